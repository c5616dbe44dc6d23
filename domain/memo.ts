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
