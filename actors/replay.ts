import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { SimulatedClock } from '../events/clock';
import { EventLogWriter, parseEventLine, readSummary, type ReadSummary, type TornTail } from '../events/log';
import { readLineBatches } from '../events/lines';
import { isInputType } from '../events/types';
import type { SignalParams } from '../streams/signals';
import { Engine, type EngineStats, type Reactor } from './engine';
import { Interrupted, PendingOutputs } from './outputFiles';
import { fileSha256, tickRecords } from './tickCache';

export interface ReplayProgress {
  events: number;
  /** Bytes of (uncompressed) text consumed so far. */
  bytes: number;
  /** Uncompressed size of the tick file (for gzip: from its trailer), or null when unknown. */
  totalBytes: number | null;
}

export interface ReplayOptions {
  ticks: string;
  out: string;
  signals: SignalParams;
  /** The rest of the system (market state, supervisor, ...), given each non-trade input and signal. */
  reactors?: Reactor[];
  /** Called after each batch of lines (about 1 MiB of text). */
  onProgress?: (progress: ReplayProgress) => void;
  /** Events per write of the output log (batched durability); default 1 MiB. */
  batchBytes?: number;
  /** Where the log is staged until the replay completes (the caller can then say what a failure left). */
  outputs?: PendingOutputs;
  /** Aborted (Ctrl-C): the replay stops at the next batch with `Interrupted`, leaving no partial log. */
  signal?: AbortSignal;
  /** A folder of columnar tick caches (`pma cache`): read the tick file from its cache there when there is one. */
  tickCache?: string;
}

export interface ReplaySummary extends EngineStats {
  /** Lines of the tick file that were derived events (re-derived, not copied). */
  derivedSkipped: number;
  /** Events written to the output log. */
  written: number;
  /** A torn last line of the tick file (not replayed). */
  tornTail: TornTail | null;
}

/**
 * Size of the text in a file: the file size, or for gzip the ISIZE trailer (uncompressed size mod
 * 2^32, exact for single-member files under 4 GiB; progress only).
 */
export function textSize(path: string): number | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(2);
    if (readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b) {
      if (size < 18) return null;
      const tail = Buffer.alloc(4);
      readSync(fd, tail, 0, 4, size - 4);
      return tail.readUInt32LE(0);
    }
    return size;
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs a tick file (plain or gzip, streamed) through the engine with event time and writes the full
 * event log (inputs copied through, derived events after their causes). The output is started anew,
 * so the same inputs and parameters always give the same bytes.
 */
export async function replayTickFile(options: ReplayOptions): Promise<ReplaySummary> {
  if (resolve(options.ticks) === resolve(options.out)) throw new Error(`replay: --out must differ from the tick file (${options.ticks})`);
  const totalBytes = textSize(options.ticks);
  const outputs = options.outputs ?? new PendingOutputs();
  const log = EventLogWriter.open(outputs.temp(options.out), { truncate: true, durability: 'batched', batchBytes: options.batchBytes });
  let completed = false;
  let derivedSkipped = 0;
  let events = 0;
  let bytes = 0;
  let read!: ReadSummary;
  let stats: EngineStats;
  try {
    const engine = new Engine({ log, signals: options.signals, clock: new SimulatedClock(0) });
    for (const r of options.reactors ?? []) engine.use(r);
    const cached = options.tickCache === undefined ? null : tickRecords(options.ticks, await fileSha256(options.ticks), options.tickCache);
    // From the columnar cache: the same records, no JSON.parse of trades.
    for (;;) {
      if (!cached?.cached) break;
      if (options.signal?.aborted) throw new Interrupted();
      const next = await cached.records.next();
      if (next.done) {
        read = next.value;
        break;
      }
      for (const r of next.value) {
        events++;
        if (options.onProgress) bytes += r.line.length + 1;
        if (r.event.type !== 'trade' && !isInputType(r.event.type)) derivedSkipped++;
        else engine.ingestLine(r.event, r.line, r.lineNo);
      }
      options.onProgress?.({ events: engine.stats().inputs, bytes, totalBytes });
    }
    // Each line is parsed just before the engine takes it, so parsed events die young (no batch of them is held).
    const lines = readLineBatches(options.ticks);
    for (;;) {
      if (cached?.cached) break;
      if (options.signal?.aborted) throw new Interrupted();
      const next = await lines.next();
      if (next.done) {
        read = readSummary(next.value, events);
        break;
      }
      const batch = next.value;
      const eventsBefore = events;
      for (let i = 0; i < batch.lines.length; i++) {
        const line = batch.lines[i];
        if (line.length === 0) continue;
        events++;
        if (options.onProgress) bytes += line.length + 1;
        const lineNo = batch.firstLine + i;
        const event = parseEventLine(line, options.ticks, lineNo);
        if (event.type !== 'trade' && !isInputType(event.type)) {
          derivedSkipped++;
          continue;
        }
        engine.ingestLine(event, line, lineNo);
      }
      if (events > eventsBefore) options.onProgress?.({ events: engine.stats().inputs, bytes, totalBytes });
    }
    stats = engine.stats();
    completed = true;
  } finally {
    log.close();
    if (completed) outputs.commit();
    else outputs.discard();
  }
  return { ...stats, derivedSkipped, written: log.lastSeq, tornTail: read.tornTail };
}
