/**
 * Shared pieces of the property-based tests over the parsers of outside data: run counts, the
 * unhandled-rejection trap, mutators that damage real records field by field, and the checks every
 * event that could reach a strategy must pass.
 */
import { runInThisContext } from 'node:vm';
import fc from 'fast-check';
import { monotonicMs } from '../../events/clock';
import { InputError } from '../../events/errors';

/**
 * Runs per property: `FUZZ_RUNS` (a long run: `FUZZ_RUNS=100000 npx jest tests/fuzz`) scales every
 * property's default count, which is sized so the whole folder runs in about 30 s.
 */
export function runs(defaultRuns: number): number {
  const env = Number(process.env.FUZZ_RUNS);
  if (!Number.isFinite(env) || env <= 0) return defaultRuns;
  // File-level properties have smaller defaults; keep their share of a long run.
  return Math.max(1, Math.round((env * defaultRuns) / 1000));
}

/** fast-check parameters: the run count, and a seed from `FUZZ_SEED` to replay a failure. */
export function params(defaultRuns: number): fc.Parameters<unknown> {
  const seed = Number(process.env.FUZZ_SEED);
  return { numRuns: runs(defaultRuns), ...(Number.isFinite(seed) && process.env.FUZZ_SEED ? { seed } : {}) };
}

/** Generous per-input bound: a linear parser needs well under a millisecond; super-linear blow-ups need seconds. */
export const MAX_MS_PER_INPUT = 500;

/** Runs `fn` and fails when it took longer than the per-input bound. */
export function timed<T>(what: string, fn: () => T): T {
  const start = monotonicMs();
  try {
    return fn();
  } finally {
    const took = monotonicMs() - start;
    if (took > MAX_MS_PER_INPUT) throw new Error(`${what} took ${took.toFixed(0)} ms on one input (bound ${MAX_MS_PER_INPUT} ms)`);
  }
}

/**
 * Installs a process-level `unhandledRejection` trap around each test of the file and fails the test
 * when one fired. Call at the top level of a test file. The trap goes on the real process object:
 * jest gives each test file a copy of `process` whose listeners never see the event.
 */
export function trapUnhandledRejections(): void {
  const realProcess = runInThisContext('process') as NodeJS.Process;
  const seen: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    seen.push(reason);
  };
  beforeEach(() => {
    seen.length = 0;
    realProcess.on('unhandledRejection', onRejection);
  });
  afterEach(async () => {
    // Let rejections of the last run surface before looking.
    await new Promise<void>((resolve) => setImmediate(resolve));
    realProcess.off('unhandledRejection', onRejection);
    expect(seen.map(String)).toEqual([]);
  });
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: InputError };

/** Runs a parser: its value, or the documented `InputError`. Any other exception fails the property. */
export function parse<T>(what: string, fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: timed(what, fn) };
  } catch (err) {
    if (err instanceof InputError) return { ok: false, error: err };
    throw err;
  }
}

/** The error names the source it was given (file or URL), a line when one was given, and a field (in the
 * message too, unless it is a parenthesised pseudo-field such as '(json)', which the message leaves out). */
export function expectNamesPlace(err: InputError, file: string, line?: number): void {
  expect(err.where.file).toBe(file);
  if (line !== undefined) expect(err.where.line).toBe(line);
  expect(typeof err.field).toBe('string');
  expect(err.field.length).toBeGreaterThan(0);
  expect(err.message).toContain(file);
  if (/^\(.*\)$/.test(err.field)) expect(err.message).not.toContain(`field '${err.field}'`);
  else expect(err.message).toContain(`field '${err.field}'`);
}

// ------------------------------------------------------------------ decimals reaching a strategy

/** A plain non-negative decimal: digits, an optional fraction, no sign, exponent or spaces. */
export const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;

/** Checked here digit by digit rather than by the parsers' own regex. */
function isPlainDecimal(s: unknown): s is string {
  if (typeof s !== 'string' || s.length === 0) return false;
  const [int, frac, ...rest] = s.split('.');
  if (rest.length > 0 || int.length === 0 || (int.length > 1 && int[0] === '0')) return false;
  const digits = (t: string): boolean => [...t].every((c) => c >= '0' && c <= '9');
  return digits(int) && (frac === undefined || (frac.length > 0 && digits(frac)));
}

export function expectDecimal(s: unknown, what: string): asserts s is string {
  if (!isPlainDecimal(s) || !DECIMAL.test(s)) throw new Error(`${what}: ${JSON.stringify(s)} is not a plain decimal string`);
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what}: ${s} is not a finite non-negative number`);
}

export function expectPositiveDecimal(s: unknown, what: string): void {
  expectDecimal(s, what);
  if (!/[1-9]/.test(s)) throw new Error(`${what}: ${s} is zero`);
}

/** A Polymarket outcome price: a plain decimal in [0, 1]. */
export function expectProbability(s: unknown, what: string): void {
  expectDecimal(s, what);
  const [int, frac = ''] = s.split('.');
  if (!(int === '0' || (int === '1' && /^0*$/.test(frac)))) throw new Error(`${what}: ${s} is above 1`);
}

export function expectTime(ts: unknown, what: string): void {
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) throw new Error(`${what}: ${String(ts)} is not a time in ms`);
}

// ------------------------------------------------------------------ damaging real records

type Path = (string | number)[];

/** Every path to a value inside `root` (not the root itself), depth first. */
export function pathsOf(root: unknown): Path[] {
  const out: Path[] = [];
  const walk = (v: unknown, path: Path): void => {
    if (Array.isArray(v)) v.forEach((x, i) => (out.push([...path, i]), walk(x, [...path, i])));
    else if (typeof v === 'object' && v !== null) for (const k of Object.keys(v)) out.push([...path, k]), walk((v as Record<string, unknown>)[k], [...path, k]);
  };
  walk(root, []);
  return out;
}

/** Values that have broken parsers before: special numbers, number-like strings, unicode, huge and nested. */
export const NASTY: readonly unknown[] = [
  null,
  undefined,
  true,
  false,
  '',
  ' ',
  'NaN',
  'Infinity',
  '-Infinity',
  '-1',
  '-0',
  '0',
  '0.0',
  '0.00000000',
  '00.5',
  '1.',
  '.5',
  '+1',
  ' 1',
  '1 ',
  '1\n',
  '1e5',
  '1E-7',
  '1e400',
  '0x1F',
  '1_000',
  '1,5',
  '１２３',
  '٣٫٥',
  '½',
  '\u0000',
  '\ud800',
  '💥',
  'null',
  'true',
  '9'.repeat(400),
  `0.${'0'.repeat(1000)}1`,
  'a'.repeat(20000),
  '['.repeat(5000),
  NaN,
  Infinity,
  -Infinity,
  -1,
  0,
  -0,
  0.1 + 0.2,
  1e-7,
  5e-324,
  1e21,
  1e308,
  2 ** 53 + 1,
  -(2 ** 53),
  Number.MAX_VALUE,
  [],
  {},
  [[]],
  [null],
  { a: { b: { c: [] } } },
  ['Yes', 'No', 'Maybe'],
  '["Yes","No"]',
  '["0.5",',
  '[0.5, 0.5]',
  '[1e400]',
];

/** A garbage value: one of `NASTY`, or anything JSON can hold, or a random string or double. */
export const garbage: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer().map(String) },
);

export type FieldMutation =
  | { op: 'delete'; at: number }
  | { op: 'set'; at: number; value: unknown }
  | { op: 'numberToString' | 'stringToNumber' | 'negate' | 'wrapInArray' | 'appendChar'; at: number; char?: string };

export const fieldMutation: fc.Arbitrary<FieldMutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: garbage }),
  fc.record({ op: fc.constantFrom('numberToString' as const, 'stringToNumber' as const, 'negate' as const, 'wrapInArray' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('appendChar' as const), at: fc.nat(), char: fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }) }),
);

function changed(old: unknown, m: FieldMutation): unknown {
  switch (m.op) {
    case 'set':
      return m.value;
    case 'numberToString':
      return typeof old === 'number' ? String(old) : old;
    case 'stringToNumber':
      return typeof old === 'string' ? Number(old) : old;
    case 'negate':
      return typeof old === 'number' ? -old : typeof old === 'string' ? `-${old}` : old;
    case 'wrapInArray':
      return [old];
    case 'appendChar':
      return typeof old === 'string' ? old + (m.char ?? '') : old;
    case 'delete':
      return undefined;
  }
}

/** A deep copy of `root` with each mutation applied at one of its paths (chosen by `at`). */
export function mutate<T>(root: T, mutations: readonly FieldMutation[]): T {
  const copy = structuredClone(root) as unknown;
  for (const m of mutations) {
    const paths = pathsOf(copy);
    if (paths.length === 0) break;
    const path = paths[m.at % paths.length];
    let parent = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const key = path[path.length - 1];
    if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else {
      // A copy: the garbage constants are shared between runs and later mutations edit in place.
      parent[key] = structuredClone(changed(parent[key], m));
    }
  }
  return copy as T;
}

/** One of `samples`, damaged by zero to three field mutations (zero keeps real records in the mix). */
export function mutatedSample<T>(samples: readonly T[]): fc.Arbitrary<T> {
  return fc.tuple(fc.nat(samples.length - 1), fc.array(fieldMutation, { maxLength: 3 })).map(([i, ms]) => mutate(samples[i], ms));
}

/** Damage to the text of a record: cut, a byte inserted or dropped, a key repeated with a garbage value. */
export type TextMutation =
  | { op: 'none' }
  | { op: 'truncate' | 'dropChar'; at: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'duplicateKey'; at: number; value: unknown }
  | { op: 'bytes'; bytes: Uint8Array };

export const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ op: 'none' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('truncate' as const, 'dropChar' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('duplicateKey' as const), at: fc.nat(), value: garbage }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 200 }) }) },
);

/** JSON text of a value; `undefined` and non-JSON numbers become what JSON.stringify makes of them. */
export function toJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

export function mutateText(text: string, m: TextMutation, keysOf: unknown = null): string {
  switch (m.op) {
    case 'none':
      return text;
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'dropChar': {
      const i = m.at % Math.max(1, text.length);
      return text.slice(0, i) + text.slice(i + 1);
    }
    case 'insert': {
      const i = m.at % (text.length + 1);
      return text.slice(0, i) + m.text + text.slice(i);
    }
    case 'duplicateKey': {
      // JSON.parse keeps the last of repeated keys: repeat one key at the end with a garbage value.
      const keys = typeof keysOf === 'object' && keysOf !== null && !Array.isArray(keysOf) ? Object.keys(keysOf) : [];
      if (keys.length === 0 || !text.endsWith('}')) return text;
      return `${text.slice(0, -1)},${JSON.stringify(keys[m.at % keys.length])}:${toJson(m.value)}}`;
    }
    case 'bytes':
      return Buffer.from(m.bytes).toString('utf8');
  }
}

/** The JSON text of a (field-mutated) sample, then damaged as text. */
export function mutatedJsonText(samples: readonly unknown[]): fc.Arbitrary<string> {
  return fc.tuple(mutatedSample(samples), textMutation).map(([obj, m]) => mutateText(toJson(obj), m, obj));
}
