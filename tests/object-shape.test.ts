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
});
