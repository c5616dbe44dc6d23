import { distinct, type Executor } from './executor';
import type { RunResult } from './job';
import { startRunner, type Runner } from './runner';

/**
 * N worker processes on this machine (actors/sweep/runner.ts), each running one backtest at a time
 * (a backtest is single-threaded: one process per core). Tick files are read where the sweep names them,
 * from their columnar cache in `tickCache` when given (built before the sweep: `pma sweep --tick-cache`).
 */
export function localPool(workers: number, tickCache?: string): Executor & { pids(): number[] } {
  const runners: Runner[] = [];
  return {
    run(jobs, onResult) {
      const queue = distinct(jobs);
      const results = new Map<string, RunResult>();
      if (queue.length === 0) return Promise.resolve(results);
      return new Promise((done, fail) => {
        let next = 0;
        let failed = false;
        const feed = (runner: Runner) => {
          if (failed || next >= queue.length) return;
          const job = queue[next++];
          runner.run(job, job.ticks.map((t) => t.name), tickCache).then(
            (r) => {
              results.set(r.hash, r);
              // The worker's next job first: the result's bookkeeping (progress, the kept-run file) happens while it runs.
              feed(runner);
              onResult(r);
              if (results.size === queue.length) done(results);
            },
            (err: Error) => {
              failed = true;
              fail(new Error(`sweep: ${err.message}, before the sweep finished`));
            },
          );
        };
        while (runners.length < Math.min(workers, queue.length)) runners.push(startRunner());
        for (const runner of runners) {
          runner.onIdleExit((why) => {
            failed = true;
            fail(new Error(`sweep: ${why} before the sweep finished`));
          });
          feed(runner);
        }
      });
    },
    /** The worker processes' ids (benchmarks read their CPU time). */
    pids: () => runners.map((r) => r.pid),
    async close() {
      await Promise.all(runners.splice(0).map((r) => r.close()));
    },
  };
}
