import { fork, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { RunJob, RunResult } from './job';

const ROOT = resolve(__dirname, '../..');

/**
 * V8 flags of a process that runs a sweep's backtests one after another (docs/benchmarks.md, Sweep):
 * garbage collected on its own thread (the parallel GC helpers of one such process per core only
 * fight the others for the same cores) with a larger young generation (fewer scavenges of the
 * backtest's short-lived events). Local workers and `pma worker` run theirs with the same flags.
 */
export const RUNNER_V8_FLAGS = ['--single-threaded-gc', '--max-semi-space-size=32'];

/** The worker process ended before answering: no result for the run (not an error of the backtest). */
export class RunnerExited extends Error {}

/** A child process (actors/sweep/child.ts) that runs one sweep job at a time: the backtest, never the bookkeeping. */
export interface Runner {
  readonly pid: number;
  /** The job's result; rejects if the process exits before answering (a crash is not a result). `tickCache`: as `runOne`'s. */
  run(job: RunJob, paths: string[], tickCache?: string): Promise<RunResult>;
  /** Heard once if the process exits while no job is in hand (a job in hand rejects instead). */
  onIdleExit(listener: (why: string) => void): void;
  /** Ends the process (a job in hand fails) and resolves when it has exited. */
  close(): Promise<void>;
}

export function startRunner(): Runner {
  const execArgv = [...process.execArgv, ...RUNNER_V8_FLAGS];
  const child: ChildProcess = fork(join(ROOT, 'bin/run-ts.js'), [join(__dirname, 'child.ts')], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  let inHand: { done: (r: RunResult) => void; fail: (e: Error) => void } | null = null;
  let idleExit: (why: string) => void = () => {};
  let gone: string | null = null;
  const exited = new Promise<void>((done) =>
    child.once('exit', (code, signal) => {
      const why = (gone = `a sweep worker process exited (${signal ?? `code ${code}`})`);
      if (inHand) inHand.fail(new RunnerExited(`${why} in the middle of a run`));
      else idleExit(why);
      inHand = null;
      done();
    }),
  );
  child.on('message', (r: RunResult) => {
    const answer = inHand;
    inHand = null;
    answer?.done(r);
  });
  return {
    pid: child.pid!,
    run(job, paths, tickCache) {
      if (inHand) throw new Error('runner: one job at a time');
      if (gone !== null) return Promise.reject(new RunnerExited(gone));
      return new Promise((done, fail) => {
        inHand = { done, fail };
        child.send({ job, paths, tickCache }, (err) => {
          if (err && inHand) {
            inHand = null;
            fail(err);
          }
        });
      });
    },
    onIdleExit: (listener) => void (idleExit = listener),
    async close() {
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}
