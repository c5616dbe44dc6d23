import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { distinct, type Executor } from './executor';
import type { RunJob, RunResult } from './job';
import { writeAtomic } from './results';

/** Where a local sweep keeps each finished run (`DIR/runs/HASH.json`) so a stopped sweep resumes. */
export const runsDir = (out: string): string => join(out, 'runs');

/** A finished run kept in `dir`, or null when there is none (or it is damaged, or for another run). */
function kept(dir: string, job: RunJob): RunResult | null {
  let text: string;
  try {
    text = readFileSync(join(dir, `${job.hash}.json`), 'utf8');
  } catch {
    return null;
  }
  try {
    const r = JSON.parse(text) as RunResult;
    return r.hash === job.hash && r.error === undefined && typeof r.figures === 'object' && Array.isArray(r.equity) ? r : null;
  } catch {
    return null;
  }
}

/**
 * An executor whose finished runs are kept in `dir`, one file per run named by its hash (the hash
 * covers the config, the tick files' sha256 and the time range): a run with a file there is not run
 * again, so a sweep stopped at any point (Ctrl-C, SIGKILL) and started again runs only what is left.
 * A file is written whole (temp file, then rename) or not at all. Failed runs are not kept: they run again.
 */
export function resumable(inner: Executor, dir: string, onKept: (kept: number, total: number) => void = () => {}): Executor {
  return {
    async run(jobs, onResult) {
      mkdirSync(dir, { recursive: true });
      const results = new Map<string, RunResult>();
      const todo: RunJob[] = [];
      const queue = distinct(jobs);
      for (const job of queue) {
        const r = kept(dir, job);
        if (r === null) todo.push(job);
        else results.set(job.hash, r);
      }
      if (results.size > 0) onKept(results.size, queue.length);
      for (const r of results.values()) onResult(r);
      const ran = await inner.run(todo, (r) => {
        if (r.error === undefined) writeAtomic(join(dir, `${r.hash}.json`), JSON.stringify(r));
        onResult(r);
      });
      for (const [hash, r] of ran) results.set(hash, r);
      return results;
    },
    close: () => inner.close(),
  };
}
