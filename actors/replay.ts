import { resolve } from 'node:path';
import { SimulatedClock } from '../events/clock';
import { EventLogWriter, readSummary, type ReadSummary, type TornTail } from '../events/log';
import { textSize } from '../events/lines';
import type { SignalParams } from '../streams/signals';
import { Engine, type EngineStats, type Reactor } from './engine';
import { PendingOutputs } from './outputFiles';
import { fileLines, replayLines, type ReplayCounts } from './replayLoop';
import { knownSha256, tickRecords } from './tickCache';

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
  /** Given a tick cache: whether the tick file was read from it (absent without one). */
  readFromTickCache?: boolean;
}

/**
 * Runs a tick file (plain or gzip, streamed) through the engine with event time and writes the full
 * event log (inputs copied through, derived events after their causes). The output is started anew,
 * so the same inputs and parameters always give the same bytes.
 */
export async function replayTickFile(options: ReplayOptions): Promise<ReplaySummary> {
  if (resolve(options.ticks) === resolve(options.out)) throw new Error(`replay: --out must differ from the tick file (${options.ticks})`);
  const totalBytes = textSize(options.ticks);
  const cached = options.tickCache === undefined ? null : tickRecords(options.ticks, await knownSha256(options.ticks, options.tickCache), options.tickCache);
  const outputs = options.outputs ?? new PendingOutputs();
  const log = EventLogWriter.open(outputs.temp(options.out), { truncate: true, durability: 'batched', batchBytes: options.batchBytes });
  let completed = false;
  let derivedSkipped: number;
  let read: ReadSummary;
  let stats: EngineStats;
  try {
    const engine = new Engine({ log, signals: options.signals, clock: new SimulatedClock(0) });
    for (const r of options.reactors ?? []) engine.use(r);
    const onProgress = options.onProgress;
    const hooks = { onBatch: onProgress && ((c: ReplayCounts) => onProgress({ events: engine.stats().inputs, bytes: c.bytes, totalBytes })) };
    if (cached?.cached) {
      // From the columnar cache: the same records, no JSON.parse of trades.
      const { summary, counts } = await replayLines(cached.records, engine, options.ticks, hooks, options.signal);
      read = summary;
      derivedSkipped = counts.derived;
    } else {
      const { summary, counts } = await replayLines(fileLines(options.ticks), engine, options.ticks, hooks, options.signal);
      read = readSummary(summary, counts.lines);
      derivedSkipped = counts.derived;
    }
    stats = engine.stats();
    completed = true;
  } finally {
    log.close();
    if (completed) outputs.commit();
    else outputs.discard();
  }
  const cacheUse = cached === null ? {} : { readFromTickCache: cached.cached };
  return { ...stats, derivedSkipped, written: log.lastSeq, tornTail: read.tornTail, ...cacheUse };
}
