import { MinHeap, beforeInInputOrder } from './heap';
import type { SourcedTrade } from './types';

interface Cursor {
  batch: SourcedTrade[];
  index: number;
  source: AsyncIterator<SourcedTrade[], void>;
}

function head(c: Cursor): SourcedTrade {
  return c.batch[c.index];
}

/**
 * Streaming k-way merge of time-ordered sources into one sequence ordered by (ts, file, line):
 * ties in trade time keep input order. Holds one batch per source, never whole files.
 */
export async function* mergeByTime(sources: AsyncIterator<SourcedTrade[], void>[], outBatch = 4096): AsyncGenerator<SourcedTrade[], void> {
  const heap = new MinHeap<Cursor>((a, b) => beforeInInputOrder(head(a), head(b)));
  const refill = async (source: AsyncIterator<SourcedTrade[], void>): Promise<void> => {
    for (;;) {
      const next = await source.next();
      if (next.done) return;
      if (next.value.length > 0) {
        heap.push({ batch: next.value, index: 0, source });
        return;
      }
    }
  };
  try {
    for (const s of sources) await refill(s);
    let out: SourcedTrade[] = [];
    while (heap.size > 0) {
      const c = heap.pop()!;
      out.push(head(c));
      c.index++;
      if (c.index < c.batch.length) heap.push(c);
      else await refill(c.source);
      if (out.length >= outBatch) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    // Early stop (an error, or the consumer breaking off): let every source close its file.
    for (const s of sources) await s.return?.();
  }
}
