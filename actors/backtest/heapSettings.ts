import { setFlagsFromString } from 'node:v8';

/**
 * V8's garbage-collector settings in a process that runs a backtest (docs/backtest.md, "Peak memory").
 *
 * `--heap-growing-percent=50`: after a full collection the old generation may fill to 1.5 times what
 * survived it before the next full collection starts. V8 otherwise picks the factor from how fast its
 * collections run against the program, up to 4 for a small heap collected quickly like a backtest's
 * (~20-25 MB live): a long run drifted to a larger heap than a short one (more old-generation
 * garbage between collections, more committed pages), so the peak grew with the run's length. This
 * sets how often full collections run, not a limit: a backtest that keeps more live data still gets
 * V8's usual maximum heap (tested in tests/backtest-heap.test.ts).
 */
export const BACKTEST_V8_FLAGS = ['--heap-growing-percent=50'];

/** Applies BACKTEST_V8_FLAGS to this process: V8 reads the factor at each full collection, so setting it while running takes effect. */
export function useBacktestHeapSettings(): void {
  for (const flag of BACKTEST_V8_FLAGS) setFlagsFromString(flag);
}
