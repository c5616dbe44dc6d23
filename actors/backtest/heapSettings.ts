import { setFlagsFromString } from 'node:v8';

/**
 * V8's garbage-collector settings in a process that runs a backtest (docs/backtest.md, "Peak memory").
 *
 * `--heap-growing-percent=100`: after a full collection the old generation may fill to twice what
 * survived it before the next one starts. V8's own factor is chosen from how fast collections run
 * against the program (up to 4x for a small, quickly collected heap like a backtest's ~20 MB), so a
 * long run drifted to a larger heap than a short one. It sets how often full collections run, not a
 * limit: a backtest that keeps more live data still gets V8's usual maximum.
 *
 * `--compact-on-every-full-gc`: every full collection moves the survivors of fragmented pages
 * together and frees those pages; by V8's heuristics pages half full of old garbage stayed, and the
 * committed old generation crept up over a long run while what it held stayed flat.
 */
export const BACKTEST_V8_FLAGS = ['--heap-growing-percent=100', '--compact-on-every-full-gc'];

/** Applies BACKTEST_V8_FLAGS to this process: both are read at each collection, so setting them while running takes effect. */
export function useBacktestHeapSettings(): void {
  for (const flag of BACKTEST_V8_FLAGS) setFlagsFromString(flag);
}
