import { fork, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { distinct, type Executor } from './executor';
import type { RunJob, RunResult } from './job';

const ROOT = resolve(__dirname, '../..');

/**
 * N child processes on this machine, each running one backtest at a time (a backtest is
 * single-threaded: one process per core). Tick files are read where the sweep names them.
 */
export function localPool(workers: number): Executor & { pids(): number[] } {
  const children: ChildProcess[] = [];
  return {
    run(jobs, onResult) {
      const queue = distinct(jobs);
      const results = new Map<string, RunResult>();
      if (queue.length === 0) return Promise.resolve(results);
      return new Promise((done, fail) => {
        let next = 0;
        const feed = (child: ChildProcess) => {
          if (next >= queue.length) return;
          const job = queue[next++];
          child.send({ job, paths: job.ticks.map((t) => t.name) });
        };
        const count = Math.min(workers, queue.length);
        // A worker is given one core: V8's parallel GC helpers of N workers on N cores only fight each other
        // (docs/benchmarks.md, Sweep: 2 workers 12.2-12.8 s against 13.75 s without the flags, idle machine);
        // a larger young generation takes scavenges off the backtest's short-lived events.
        const execArgv = [...process.execArgv, '--single-threaded-gc', '--max-semi-space-size=32'];
        while (children.length < count) children.push(fork(join(ROOT, 'bin/run-ts.js'), [join(__dirname, 'child.ts')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv }));
        for (const child of children) {
          child.removeAllListeners('message').removeAllListeners('exit');
          child.on('message', (r: RunResult) => {
            results.set(r.hash, r);
            // The worker's next job first: the result's bookkeeping (progress, the kept-run file) happens while it runs.
            feed(child);
            onResult(r);
            if (results.size === queue.length) done(results);
          });
          child.on('exit', (code, signal) => {
            if (results.size < queue.length) fail(new Error(`sweep: a local worker exited (${signal ?? `code ${code}`}) before the sweep finished`));
          });
          feed(child);
        }
      });
    },
    /** The worker processes' ids (benchmarks read their CPU time). */
    pids: () => children.map((c) => c.pid!),
    async close() {
      await Promise.all(
        children.splice(0).map(
          (c) =>
            new Promise<void>((done) => {
              if (c.exitCode !== null || c.signalCode !== null) return done();
              c.once('exit', () => done());
              c.disconnect();
            }),
        ),
      );
    },
  };
}
