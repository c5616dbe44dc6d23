import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, describeIssue, parseConfig } from '../config/load';
import { gridSchema, type Config, type GridFile } from '../config/schema';

/** One value a parameter takes in a run. */
export type ParamValue = number | boolean | string;

export interface Grid {
  metric: GridFile['metric'];
  /** Each dotted config key with the values to try, in the grid file's order. */
  parameters: { key: string; values: ParamValue[] }[];
}

/** Config sections a grid may not vary: they say how a sweep runs, not what a backtest does. */
const NOT_PARAMETERS = new Set(['sweep']);

/** The values of an inclusive range, computed from integers of the step's precision so 1.5 + 0.5 + 0.5 is 2.5. */
function rangeValues(key: string, r: { from: number; to: number; step: number }, source: string): number[] {
  if (r.from > r.to) throw new ConfigError(`${source}: parameters.${key}: empty range (from ${r.from} is above to ${r.to})`);
  const decimals = Math.max(...[r.from, r.to, r.step].map((n) => (String(n).split('.')[1] ?? '').length));
  const scale = 10 ** decimals;
  const [from, to, step] = [r.from, r.to, r.step].map((n) => Math.round(n * scale));
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v / scale);
  return out;
}

function leafKeys(obj: Record<string, unknown>): string[] {
  return Object.keys(obj);
}

/** Checks that a dotted key names a setting of the config, naming the nearest section when it does not. */
function checkKey(key: string, base: Config, source: string): void {
  const parts = key.split('.');
  if (NOT_PARAMETERS.has(parts[0])) throw new ConfigError(`${source}: parameters.${key}: the ${parts[0]} section says how a sweep runs and is not a backtest parameter`);
  let node: unknown = base;
  for (let i = 0; i < parts.length; i++) {
    const here = node as Record<string, unknown>;
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(parts[i] in here)) {
      const where = parts.slice(0, i).join('.') || 'the config';
      const known = node && typeof node === 'object' && !Array.isArray(node) ? ` (${where} has: ${leafKeys(here).join(', ')})` : '';
      throw new ConfigError(`${source}: unknown key ${key}${known}`);
    }
    node = here[parts[i]];
  }
}

/** The config with one dotted key set (a copy; the base is not changed). */
export function withValue(config: Config, key: string, value: ParamValue): Config {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  const parts = key.split('.');
  let node = copy;
  for (const p of parts.slice(0, -1)) node = node[p] as Record<string, unknown>;
  node[parts[parts.length - 1]] = value;
  return copy as unknown as Config;
}

/** Applies a run's parameters over the base config and validates the result like a config file. */
export function configFor(base: Config, params: Record<string, ParamValue>, source = 'grid'): Config {
  let raw = base;
  for (const [k, v] of Object.entries(params)) raw = withValue(raw, k, v);
  return parseConfig(raw, `${source}: parameters`);
}

/**
 * Validates a grid object: its shape (gridSchema), every key against the config, every value by
 * the config schema (each value on its own over the base), no empty list or range.
 */
export function parseGrid(raw: unknown, base: Config, source = 'grid'): Grid {
  const result = gridSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => describeIssue(i, source)).join('\n'));
  const parameters: Grid['parameters'] = [];
  for (const [key, spec] of Object.entries(result.data.parameters)) {
    checkKey(key, base, source);
    const values = Array.isArray(spec) ? spec : rangeValues(key, spec, source);
    if (values.length === 0) throw new ConfigError(`${source}: parameters.${key}: empty list of values`);
    for (const v of values) configFor(base, { [key]: v }, source);
    parameters.push({ key, values });
  }
  if (parameters.length === 0) throw new ConfigError(`${source}: parameters: no parameter to vary`);
  return { metric: result.data.metric, parameters };
}

/** Reads a grid file, JSON or YAML (by extension; YAML is a superset of JSON otherwise). */
export function loadGrid(file: string, base: Config): Grid {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read grid (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'} (${(err as Error).message})`);
  }
  return parseGrid(raw, base, file);
}

/** How many combinations a grid makes. */
export const combinationCount = (grid: Grid): number => grid.parameters.reduce((n, p) => n * p.values.length, 1);

/** Every combination, the last parameter varying fastest (a fixed order: run numbers mean the same thing every time). */
export function combinations(grid: Grid): Record<string, ParamValue>[] {
  let out: Record<string, ParamValue>[] = [{}];
  for (const { key, values } of grid.parameters) out = out.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  return out;
}
