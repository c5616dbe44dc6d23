import { readEventBatches, type LogRecord, type ReadSummary } from './log';

/** A record of the merged stream (records are passed on as their file's reader made them). */
export type MergedRecord = LogRecord;

interface Cursor {
  source: number;
  gen: AsyncGenerator<LogRecord[], ReadSummary>;
  batch: LogRecord[];
  i: number;
  summary: ReadSummary | null;
}

async function fill(c: Cursor): Promise<void> {
  while (c.i >= c.batch.length && c.summary === null) {
    const next = await c.gen.next();
    if (next.done) c.summary = next.value;
    else {
      c.batch = next.value;
      c.i = 0;
    }
  }
}

/**
 * Several event logs or tick files as one stream in time order: a streaming k-way merge by `ts`,
 * stable by input order (the file given first wins a tie, then line order). Each file must itself
 * be in time order; a file whose time goes backwards is an error naming the file and line.
 * Returns each file's read summary (torn tails included). `open` reads one file's records (a
 * columnar cache of it, say); the JSON reader by default.
 */
export async function* mergeEventFiles(
  paths: readonly string[],
  open: (path: string, index: number) => AsyncGenerator<LogRecord[], ReadSummary> = (p) => readEventBatches(p),
): AsyncGenerator<MergedRecord[], ReadSummary[]> {
  if (paths.length === 1) return yield* inOrder(paths[0], open(paths[0], 0));
  const cursors: Cursor[] = paths.map((p, source) => ({ source, gen: open(p, source), batch: [], i: 0, summary: null }));
  await Promise.all(cursors.map(fill));
  const order = paths.map((p) => new TimeOrder(p));
  let out: MergedRecord[] = [];
  for (;;) {
    let best: Cursor | null = null;
    for (const c of cursors) {
      if (c.i >= c.batch.length) continue;
      if (best === null || c.batch[c.i].event.ts < best.batch[best.i].event.ts) best = c;
    }
    if (best === null) break;
    const record = best.batch[best.i++];
    order[best.source].check(record.event.ts, record.lineNo);
    out.push(record);
    if (best.i >= best.batch.length) {
      if (out.length > 0) {
        yield out;
        out = [];
      }
      await fill(best);
    }
  }
  if (out.length > 0) yield out;
  return cursors.map((c) => c.summary!);
}

/** One file is its own merge: its batches pass through as they are, checked for time order. */
async function* inOrder(path: string, gen: AsyncGenerator<LogRecord[], ReadSummary>): AsyncGenerator<MergedRecord[], ReadSummary[]> {
  const order = new TimeOrder(path);
  for (;;) {
    const next = await gen.next();
    if (next.done) return [next.value];
    const batch = next.value;
    for (let i = 0; i < batch.length; i++) order.check(batch[i].event.ts, batch[i].lineNo);
    if (batch.length > 0) yield batch;
  }
}

/** A tick file must be in time order: each event's ts at or after the one before, else an error naming file and line. */
export class TimeOrder {
  private lastTs = -Infinity;

  constructor(private readonly path: string) {}

  check(ts: number, lineNo: number): void {
    if (ts < this.lastTs) throw new Error(`${this.path}:${lineNo}: field 'ts': time goes backwards (${ts} after ${this.lastTs}); tick files must be in time order`);
    this.lastTs = ts;
  }
}
