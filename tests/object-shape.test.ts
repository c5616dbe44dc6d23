/**
 * `ObjectShape` (machines/objectShape.ts): a literal copy per key list stands in for a spread only
 * where it gives the same object: same keys, same order, same values.
 */
import { ObjectShape } from '../machines/objectShape';

describe('ObjectShape', () => {
  it('copies a plain object as a spread does: keys in order, values, getters read', () => {
    const source = { b: 1, a: 'x', 'odd key': null as unknown, nested: { deep: [1] } };
    Object.defineProperty(source, 'late', { enumerable: true, get: () => 42 });
    const shape = ObjectShape.of(source)!;
    expect(shape.keys).toEqual(['b', 'a', 'odd key', 'nested', 'late']);
    const copy = shape.copy(source);
    expect(copy).not.toBe(source);
    expect(JSON.stringify(copy)).toBe(JSON.stringify({ ...source }));
    expect(Object.getOwnPropertyDescriptor(copy, 'late')).toEqual({ value: 42, writable: true, enumerable: true, configurable: true });
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy.nested).toBe(source.nested);
  });

  it('is one object per key list', () => {
    expect(ObjectShape.of({ p: 1, q: 2 })).toBe(ObjectShape.of({ p: 'other', q: null }));
    expect(ObjectShape.of({ q: 1, p: 2 })).not.toBe(ObjectShape.of({ p: 1, q: 2 }));
  });

  it('declines what a literal would copy differently: symbols, __proto__, index keys, hidden keys, other prototypes', () => {
    expect(ObjectShape.of({ a: 1, [Symbol('s')]: 2 })).toBeNull();
    expect(ObjectShape.of(JSON.parse('{"__proto__": {"x": 1}, "a": 1}'))).toBeNull();
    expect(ObjectShape.of({ a: 1, 7: 'seven' })).toBeNull();
    expect(ObjectShape.of(Object.defineProperty({ a: 1 }, 'hidden', { enumerable: false, value: 2 }))).toBeNull();
    expect(ObjectShape.of(new (class Point { x = 1; })())).toBeNull();
    // Index-like only when canonical: "07" and "-1" are ordinary keys.
    expect(ObjectShape.of({ z: 1, '07': 2, '-1': 3 })!.keys).toEqual(['z', '07', '-1']);
  });

  it('says which keys an update sets when the shape has them all, else null', () => {
    const shape = ObjectShape.of({ n: 0, log: [], limit: 1 })!;
    expect(shape.keysSetBy({ log: ['a'], n: 2 })).toEqual(['log', 'n']);
    expect(shape.keysSetBy({})).toEqual([]);
    expect(shape.keysSetBy({ n: 1, extra: true })).toBeNull();
    expect(shape.keysSetBy({ n: 1, [Symbol('s')]: 2 })).toBeNull();
    expect(shape.keysSetBy(undefined)).toBeNull();
  });

  it('merges an update as Object.assign({}, object, update) does: the object\'s key order, the update\'s values, every getter read once in the same order', () => {
    const reads: string[] = [];
    const object = { n: 0, log: [] as string[], limit: 1, 'odd key': 'o' };
    Object.defineProperty(object, 'late', { enumerable: true, get: () => (reads.push('object.late'), 'L') });
    const shape = ObjectShape.of(object)!;
    const update = { limit: 5, n: undefined as unknown };
    Object.defineProperty(update, 'odd key', { enumerable: true, get: () => (reads.push('update.odd key'), 'u') });
    const keys = shape.keysSetBy(update)!;
    expect(keys).toEqual(['limit', 'n', 'odd key']);
    const merged = shape.mergerFor(keys)(object, update);
    const assignReads = reads.splice(0);
    const expected = Object.assign({}, object, update);
    expect(assignReads).toEqual(['object.late', 'update.odd key']);
    expect(reads.splice(0)).toEqual(['object.late', 'update.odd key']);
    expect(Object.keys(merged)).toEqual(Object.keys(expected));
    expect(merged).toEqual(expected);
    expect('n' in merged && merged.n === undefined).toBe(true);
    expect(merged.log).toBe(object.log);
  });

  it('keeps one merger per update key list (the same function again), and one setter per key', () => {
    const shape = ObjectShape.of({ a: 1, b: 2, c: 3 })!;
    const ab = shape.mergerFor(['a', 'b']);
    expect(shape.mergerFor(['a', 'b'])).toBe(ab);
    const ba = shape.mergerFor(['b', 'a']);
    expect(ba).not.toBe(ab);
    expect(ba({ a: 1, b: 2, c: 3 }, { b: 20, a: 10 })).toEqual({ a: 10, b: 20, c: 3 });
    expect(shape.mergerFor([])({ a: 1, b: 2, c: 3 }, {})).toEqual({ a: 1, b: 2, c: 3 });
    // An empty context merged with an empty update.
    const empty = ObjectShape.of({})!;
    const copy = empty.mergerFor(empty.keysSetBy({})!)({}, {});
    expect(copy).toEqual({});
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    const setB = shape.setterFor('b');
    expect(shape.setterFor('b')).toBe(setB);
    const out = setB({ a: 1, b: 2, c: 3 }, null);
    expect(Object.keys(out)).toEqual(['a', 'b', 'c']);
    expect(out).toEqual({ a: 1, b: null, c: 3 });
  });

  it('merges like Object.assign on 2 000 seeded random objects and updates', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const names = ['now', 'window', 'crash', 'quote', 'mark', 'order', 'shares', 'k 7', '07'];
    for (let i = 0; i < 2000; i++) {
      const keys = names.filter(() => next() < 0.7);
      const object: Record<string, unknown> = {};
      for (const k of keys) object[k] = next() < 0.5 ? next() : { v: next() };
      const shape = ObjectShape.of(object)!;
      const update: Record<string, unknown> = {};
      for (const k of keys) if (next() < 0.4) update[k] = next() < 0.2 ? undefined : next();
      const set = shape.keysSetBy(update)!;
      const merged = shape.mergerFor(set)(object, update);
      const expected = Object.assign({}, object, update);
      expect(Object.keys(merged)).toEqual(Object.keys(expected));
      expect(merged).toEqual(expected);
    }
  });
});
