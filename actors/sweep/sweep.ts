import Big from 'big.js';
import { sha256 } from '../backtest/run';
import type { SeriesPoint } from '../backtest/reportTypes';
import { ConfigError } from '../config/load';
import type { Config } from '../config/schema';
import type { Executor } from './executor';
import { combinationCount, combinations, configFor, type Grid } from './grid';
import { makeJob, type Figure, type Params, type RunJob, type RunResult, type TickRef } from './job';
import { metricKey, rankRows } from './rank';
import { dataRange, makeFolds, type Fold, type WalkForwardSpec, type Window } from './walkForward';

export interface SweepOptions {
  grid: Grid;
  /** The grid file, for error messages. */
  gridSource: string;
  base: Config;
  /** Tick file paths as given; rows name them so. */
  ticks: string[];
  from?: number;
  to?: number;
  walkForward?: WalkForwardSpec;
  executor: Executor;
  onProgress?: (done: number, total: number) => void;
}

export interface SweepRow {
  run: number;
  hash: string;
  /** `all` without walk-forward; else `train` (every combination on a fold's train window) or `test` (the fold's best on its test window). */
  phase: 'all' | 'train' | 'test';
  fold: number | null;
  from: number | null;
  to: number | null;
  parameters: Params;
  figures: Record<string, Figure>;
  inputs: TickRef[];
  error: string | null;
}

export interface FoldRow {
  fold: number;
  train: Window;
  test: Window;
  /** The train run that ranked best, and its test run. */
  trainRun: number;
  testRun: number;
  parameters: Params;
  inSample: Figure;
  outOfSample: Figure;
  /** outOfSample - inSample (of the metric), null when either is undefined. */
  gap: string | null;
}

export interface SweepResults {
  version: 1;
  metric: Grid['metric'];
  metricKey: string;
  parameters: Grid['parameters'];
  inputs: TickRef[];
  range: { from: number | null; to: number | null };
  walkForward: { spec: string; folds: FoldRow[] } | null;
  runs: SweepRow[];
}

export interface SweepOutcome {
  results: SweepResults;
  /** Equity curves by run hash (for sweep.html). */
  equity: Map<string, SeriesPoint[]>;
}

interface Planned {
  job: RunJob;
  phase: SweepRow['phase'];
  fold: number | null;
  parameters: Params;
}

function tooMany(o: SweepOptions, runs: number, detail: string): ConfigError {
  return new ConfigError(`${o.gridSource}: the grid makes ${runs} runs (${detail}), more than sweep.maxRuns = ${o.base.sweep.maxRuns}; narrow the grid or raise sweep.maxRuns in the config`);
}

/** b - a, with as many decimals as the more precise of the two (money stays at cents). */
function gap(a: Figure, b: Figure): string | null {
  if (a === null || b === null) return null;
  const dp = Math.max(...[a, b].map((x) => (String(x).split('.')[1] ?? '').length));
  return new Big(b).minus(a).toFixed(dp);
}

/**
 * A parameter sweep: every combination of the grid as one deterministic backtest of the same tick
 * files (over base config), run by the executor; with walk-forward, every combination on each
 * fold's train window, then each fold's best on its test window. Rows come in plan order, so the
 * results do not depend on which worker finished first.
 */
export async function runSweep(o: SweepOptions): Promise<SweepOutcome> {
  const combos = combinationCount(o.grid);
  const shape = o.grid.parameters.map((p) => p.values.length).join(' x ');
  if (combos > o.base.sweep.maxRuns) throw tooMany(o, combos, shape);
  const inputs: TickRef[] = [];
  for (const name of o.ticks) inputs.push({ name, sha256: await sha256(name) });
  const paramSets = combinations(o.grid);
  const configs = paramSets.map((p) => configFor(o.base, p, o.gridSource));

  const rows: SweepRow[] = [];
  const equity = new Map<string, SeriesPoint[]>();
  let done = 0;
  let total = 0;
  const execute = async (plan: Planned[]): Promise<SweepRow[]> => {
    total += new Set(plan.map((p) => p.job.hash)).size;
    o.onProgress?.(done, total);
    const results = await o.executor.run(
      plan.map((p) => p.job),
      () => o.onProgress?.(++done, total),
    );
    return plan.map((p) => {
      const r = results.get(p.job.hash) as RunResult;
      equity.set(r.hash, r.equity);
      const row: SweepRow = { run: rows.length, hash: r.hash, phase: p.phase, fold: p.fold, from: p.job.from, to: p.job.to, parameters: p.parameters, figures: r.figures, inputs, error: r.error ?? null };
      rows.push(row);
      return row;
    });
  };

  let walkForward: SweepResults['walkForward'] = null;
  if (!o.walkForward) {
    await execute(configs.map((c, i) => ({ job: makeJob(c, inputs, o.from ?? null, o.to ?? null), phase: 'all', fold: null, parameters: paramSets[i] })));
  } else {
    const range = await dataRange(o.ticks, o.from, o.to);
    const folds: Fold[] = makeFolds(o.walkForward, range.from, range.to);
    const runs = combos * folds.length + folds.length;
    if (runs > o.base.sweep.maxRuns) throw tooMany(o, runs, `${shape} on ${folds.length} train windows, and ${folds.length} test runs`);
    const train = await execute(folds.flatMap((f) => configs.map((c, i) => ({ job: makeJob(c, inputs, f.train.from, f.train.to), phase: 'train' as const, fold: f.index, parameters: paramSets[i] }))));
    const best = folds.map((f) => rankRows(train.filter((r) => r.fold === f.index), o.grid.metric)[0]);
    const test = await execute(folds.map((f, i) => ({ job: makeJob(configFor(o.base, best[i].parameters, o.gridSource), inputs, f.test.from, f.test.to), phase: 'test' as const, fold: f.index, parameters: best[i].parameters })));
    const key = metricKey(o.grid.metric);
    walkForward = {
      spec: o.walkForward.text,
      folds: folds.map((f, i) => {
        const inSample = best[i].figures[key] ?? null;
        const outOfSample = test[i].figures[key] ?? null;
        return { fold: f.index, train: f.train, test: f.test, trainRun: best[i].run, testRun: test[i].run, parameters: best[i].parameters, inSample, outOfSample, gap: gap(inSample, outOfSample) };
      }),
    };
  }
  return {
    results: { version: 1, metric: o.grid.metric, metricKey: metricKey(o.grid.metric), parameters: o.grid.parameters, inputs, range: { from: o.from ?? null, to: o.to ?? null }, walkForward, runs: rows },
    equity,
  };
}
