/**
 * The key list of a plain object, with a copy (and merges) compiled for it. Why: V8 copies an object built by a
 * spread of another spread's result (`{ ...context, ...update }` of a machine context, every quiet
 * step) on its slow path, one property definition at a time: 0.5-1 us for a 19-key context, against
 * about 25 ns for an object literal that names the keys. A literal copies only the keys it names, so
 * it is used only where the object's own keys are known to be exactly these (machines/quietStep.ts
 * knows them for the snapshots and contexts it made itself).
 */
export class ObjectShape {
  /** The own enumerable keys, in order (no symbols, no array indexes, no `__proto__`). */
  readonly keys: readonly string[];
  readonly has: ReadonlySet<string>;
  /** A new plain object with the same keys in the same order and the values `source` has for them. */
  readonly copy: (source: object) => Record<string, unknown>;

  private constructor(keys: readonly string[]) {
    this.keys = keys;
    this.has = new Set(keys);
    this.copy = this.literal<(source: object) => Record<string, unknown>>([], () => undefined);
  }

  /** Mergers compiled for the update key lists seen (a machine's few `assign`s), most recent first. */
  private readonly mergers: { keys: readonly string[]; merge: Merger }[] = [];

  /**
   * `Object.assign({}, s, u)` for a `u` whose own keys are `updateKeys` (each a key of this shape), as one
   * literal: it reads every key of `s` in order, then `u`'s in `u`'s order (as Object.assign does), and
   * the result has this shape's key list. One literal instead of a copy and a store per key: a store by
   * a computed key into objects of many maps is V8's slow keyed store, most of a quiet step's copy.
   */
  mergerFor(updateKeys: readonly string[]): Merger {
    for (const m of this.mergers) if (sameKeys(m.keys, updateKeys)) return m.merge;
    const fromU = new Map(updateKeys.map((k, i) => [k, `u${i}`]));
    const merge = this.literal<Merger>(updateKeys.map((k, i) => `u${i} = x[${JSON.stringify(k)}]`), (k) => fromU.get(k));
    // A machine has a handful of assigns; a bounded list keeps an odd caller from growing it.
    if (this.mergers.length >= MAX_MERGERS) this.mergers.pop();
    this.mergers.unshift({ keys: [...updateKeys], merge });
    return merge;
  }

  private readonly setters = new Map<string, Setter>();

  /** `Object.assign({}, s, { [key]: v })` for a key of this shape, as one literal (reading every key of `s`, as `copy`). */
  setterFor(key: string): Setter {
    let set = this.setters.get(key);
    if (set === undefined) this.setters.set(key, (set = this.literal<Setter>([], (k) => (k === key ? 'x' : undefined))));
    return set;
  }

  /**
   * The one compiler of this shape's literals: `(s, x) => ({ ...each key })`, which first reads every key of `s`
   * in order (as a copy or `Object.assign` reads them; getters run once each), then `moreReads` (of `x`), and
   * gives each key the expression `valueOf` names for it, else what `s` had. Quoted keys: any text is a key;
   * `__proto__` and index-like keys are never in a shape (`of`).
   */
  private literal<F extends (s: object, x: never) => Record<string, unknown>>(moreReads: readonly string[], valueOf: (key: string) => string | undefined): F {
    const reads = [...this.keys.map((k, i) => `s${i} = s[${JSON.stringify(k)}]`), ...moreReads];
    const body = this.keys.map((k, i) => `${JSON.stringify(k)}: ${valueOf(k) ?? `s${i}`}`).join(',\n');
    return new Function('s', 'x', `${reads.length > 0 ? `const ${reads.join(',\n')};\n` : ''}return {\n${body}\n};`) as F;
  }

  /** The shape of a plain object's own keys, or null when a literal could not copy it as a spread does. */
  static of(object: object): ObjectShape | null {
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) return null;
    if (Object.getOwnPropertySymbols(object).length > 0) return null;
    const names = Object.getOwnPropertyNames(object);
    const keys = Object.keys(object);
    // A non-enumerable own key would not be copied by a spread either, but keep to the common case.
    if (names.length !== keys.length) return null;
    for (const k of keys) if (k === '__proto__' || isIndex(k)) return null;
    const id = JSON.stringify(keys);
    let shape = known.get(id);
    if (shape === undefined) {
      if (known.size >= MAX_SHAPES) return null;
      shape = new ObjectShape(keys);
      known.set(id, shape);
    }
    return shape;
  }

  /**
   * The keys `update` sets (own, enumerable) when every one of them is already a key of this shape, so
   * that `Object.assign({}, object, update)` keeps this key list; else null.
   */
  keysSetBy(update: unknown): readonly string[] | null {
    if (update === null || typeof update !== 'object') return null;
    const keys = Object.keys(update);
    for (const k of keys) if (!this.has.has(k)) return null;
    return Object.getOwnPropertySymbols(update).length === 0 ? keys : null;
  }
}

/**
 * XState's `Object.assign({}, object, update)` (an `assign`'s new context) for a caller that copies its own
 * latest result again, step after step (a machine instance's context or snapshot): the result's shape is
 * kept, so copying that object next time is a literal without reading its keys; any other object has its
 * keys read once. Objects a literal cannot copy as a spread does are merged by a spread.
 */
export class ShapeMemo {
  private last: object | null = null;
  private shape: ObjectShape | null = null;

  merge(object: Record<string, unknown>, update: unknown): Record<string, unknown> {
    const shape = object === this.last ? this.shape : ObjectShape.of(object);
    const keys = shape === null ? null : shape.keysSetBy(update);
    if (shape === null || keys === null) return this.learn(assignedCopy(object, update as Record<string, unknown>), null);
    return this.learn(shape.mergerFor(keys)(object, update as Record<string, unknown>), shape);
  }

  /** `merge(object, { [key]: value })` without building the update. */
  with(object: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
    const shape = object === this.last ? this.shape : ObjectShape.of(object);
    if (shape === null || !shape.has.has(key)) return this.learn(assignedCopy(object, { [key]: value }), null);
    return this.learn(shape.setterFor(key)(object, value), shape);
  }

  private learn(result: Record<string, unknown>, shape: ObjectShape | null): Record<string, unknown> {
    this.last = result;
    this.shape = shape ?? ObjectShape.of(result);
    return result;
  }
}

/**
 * `Object.assign({}, object, update)` by spreads (V8 spreads these about twice as fast); the two differ only
 * for an own `__proto__` key, which Object.assign turns into the prototype.
 */
function assignedCopy(object: Record<string, unknown>, update: Record<string, unknown>): Record<string, unknown> {
  return Object.hasOwn(update, '__proto__') || Object.hasOwn(object, '__proto__') ? Object.assign({}, object, update) : { ...object, ...update };
}

/** Shapes by key list; a program has a few per machine (bounded all the same: past it, objects are spread). */
const known = new Map<string, ObjectShape>();
const MAX_SHAPES = 1024;
/** Mergers kept per shape. */
const MAX_MERGERS = 16;

type Merger = (s: object, u: Record<string, unknown>) => Record<string, unknown>;
type Setter = (s: object, v: unknown) => Record<string, unknown>;

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An array-index-like key: JavaScript orders those first whatever the order of definition. */
function isIndex(key: string): boolean {
  return /^(0|[1-9]\d*)$/.test(key) && Number(key) < 2 ** 32 - 1;
}
