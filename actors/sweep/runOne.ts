import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBacktest } from '../backtest/run';
import { buildTickCache } from '../tickCache';
import { reportFigures, thinEquity } from './figures';
import type { RunJob, RunResult } from './job';

/**
 * One run of a sweep: the plain backtest (actors/backtest/run.ts) of the job's config on the tick
 * files at `paths` (the job's ticks, in order, as this machine reads them), in a scratch folder
 * removed afterwards. A failing backtest is a result with its error, so a sweep never waits forever.
 * The log is written derived-only (`events: 'derived'`: the same report, without copying every input
 * line into a log nobody reads: 2.6 MB instead of 8.6 MB a run of the demo file, about 5% of its CPU).
 * With `tickCache`, the tick files are read from their columnar cache there, built first where it is
 * missing (the same results; docs/sweeps.md, "Tick cache").
 */
export async function runOne(job: RunJob, paths: string[], tickCache?: string): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pma-sweep-run-'));
  try {
    if (tickCache !== undefined) await buildTickCache(paths, tickCache);
    const { report } = await runBacktest({ ticks: paths, config: job.config, reportDir: dir, events: 'derived', from: job.from ?? undefined, to: job.to ?? undefined, tickCache });
    return { hash: job.hash, figures: reportFigures(report), equity: thinEquity(report.charts.equity) };
  } catch (err) {
    return { hash: job.hash, figures: {}, equity: [], error: (err as Error).message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
