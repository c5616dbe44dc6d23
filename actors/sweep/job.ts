import { createHash } from 'node:crypto';
import type { Config } from '../config/schema';
import type { SeriesPoint } from '../backtest/reportTypes';
import type { ParamValue } from './grid';

/** A tick file as a run names it: its name (as given to the sweep) and its content hash. */
export interface TickRef {
  name: string;
  sha256: string;
}

/** One backtest of a sweep: everything a worker on any machine needs to run it. */
export interface RunJob {
  /** sha256 of the config, the tick files' hashes and the time range: the same run has the same hash everywhere. */
  hash: string;
  config: Config;
  ticks: TickRef[];
  from: number | null;
  to: number | null;
}

/** A figure of a run: a decimal string (money), a number, or null (not defined, e.g. a win rate without trades). */
export type Figure = string | number | null;

export interface RunResult {
  hash: string;
  /** Every report figure, flattened to dotted keys (docs/sweeps.md). */
  figures: Record<string, Figure>;
  /** The equity curve, thinned, for sweep.html. */
  equity: SeriesPoint[];
  /** Set when the backtest failed: the message, and no figures. */
  error?: string;
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Results recorded under an older version are not reused: 2 since the report names the flash-crash strategy `flashCrash` (event version 2). */
const RUN_IDENTITY_VERSION = 2;

/** The run's identity. The `sweep` section says how a sweep runs, not what the backtest does: it is left out. */
export function runHash(config: Config, ticks: TickRef[], from: number | null, to: number | null): string {
  const { sweep: _sweep, ...backtest } = config;
  const identity = { v: RUN_IDENTITY_VERSION, config: backtest, ticks: ticks.map((t) => t.sha256), from, to };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

export function makeJob(config: Config, ticks: TickRef[], from: number | null, to: number | null): RunJob {
  return { hash: runHash(config, ticks, from, to), config, ticks, from, to };
}

/** The run's parameters, as the grid set them. */
export type Params = Record<string, ParamValue>;
