/** A binary min-heap under a comparison function; used by the merge and the per-file reorder window. */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(a[i], a[parent])) break;
      const tmp = a[i];
      a[i] = a[parent];
      a[parent] = tmp;
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        const tmp = a[i];
        a[i] = a[m];
        a[m] = tmp;
        i = m;
      }
    }
    return top;
  }
}

/** Merge order: trade time, then input order (file on the command line, then line). */
export function beforeInInputOrder(a: { event: { ts: number }; fileIndex: number; line: number }, b: { event: { ts: number }; fileIndex: number; line: number }): boolean {
  if (a.event.ts !== b.event.ts) return a.event.ts < b.event.ts;
  if (a.fileIndex !== b.fileIndex) return a.fileIndex < b.fileIndex;
  return a.line < b.line;
}
