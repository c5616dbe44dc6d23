/**
 * Exact results of a pure function by key, kept up to `limit` entries and then started afresh: the
 * prices of a market sit on a grid of ticks and come back again and again, and memory stays bounded
 * whatever comes.
 */
export class BoundedMemo<K, V> {
  private readonly values = new Map<K, V>();

  constructor(private readonly limit: number) {}

  get(key: K, compute: (key: K) => V): V {
    let v = this.values.get(key);
    if (v === undefined && !this.values.has(key)) {
      if (this.values.size >= this.limit) this.values.clear();
      this.values.set(key, (v = compute(key)));
    }
    return v as V;
  }
}

/**
 * `BoundedMemo` for a function of two keys (a bid and an ask, a price before and after), kept by the
 * first then the second: no key text is built per call. Up to `limit` results, then started afresh.
 */
export class BoundedPairMemo<A, B, V> {
  private readonly values = new Map<A, Map<B, V>>();
  private count = 0;

  constructor(private readonly limit: number) {}

  get(a: A, b: B, compute: (a: A, b: B) => V): V {
    let byB = this.values.get(a);
    if (byB === undefined) this.values.set(a, (byB = new Map()));
    let v = byB.get(b);
    if (v === undefined && !byB.has(b)) {
      v = compute(a, b);
      if (this.count >= this.limit) {
        this.values.clear();
        this.values.set(a, (byB = new Map()));
        this.count = 0;
      }
      byB.set(b, v);
      this.count++;
    }
    return v as V;
  }
}
