import { parseEventLine, readSummary, type LogRecord, type ReadSummary } from '../events/log';
import { readScannedLines, type LineReadOptions, type LineReadResult } from '../events/lines';
import { isInputType, type AnyEvent } from '../events/types';
import type { Engine } from './engine';
import { Interrupted } from './outputFiles';

/**
 * The one replay loop: lines of an event log or tick file go through the engine in order; derived
 * lines are not copied (the engine derives them again). Used by `pma replay` (actors/replay.ts), the
 * backtest (actors/backtest/run.ts) and the service's rebuild on restart (actors/service/service.ts);
 * what differs between them is where the lines come from and the hooks.
 */

/** A line to replay: parsed already (a merge by time needs `ts`), or parsed just before the engine takes it. */
export interface ReplayLine {
  line: string;
  lineNo: number;
  event?: AnyEvent;
  /** `line.length`, when known without building the line (a columnar cache's trade renders its line only when written). */
  lineLength?: number;
}

export interface ReplayHooks<T extends ReplayLine = ReplayLine> {
  /** Every line first; 'skip' leaves it out altogether (not counted as derived or input). */
  filter?(event: AnyEvent, line: T): 'skip' | undefined;
  /** A derived line (not replayed). */
  onDerived?(line: T): void;
  /** Before an input goes in: what must happen first (the backtest's simulated world); false leaves the input out. */
  beforeInput?(event: AnyEvent): boolean | Promise<boolean>;
  /** Takes the input instead of `engine.ingestLine` (the backtest groups one millisecond of market data). */
  ingest?(event: AnyEvent, line: T): void;
  /** After each batch that had lines. */
  onBatch?(counts: ReplayCounts, batch: readonly T[]): void;
}

export interface ReplayCounts {
  /** Lines read (non-empty). */
  lines: number;
  /** Characters of those lines, newlines included (bytes for ASCII text). */
  bytes: number;
  derived: number;
  /** Inputs taken. */
  inputs: number;
}

/**
 * Replays `batches` into `engine`; returns the source's own summary with the counts. `path` names the
 * file in errors for lines parsed here. An aborted `signal` stops it before the next batch (`Interrupted`).
 */
export async function replayLines<S, T extends ReplayLine = ReplayLine>(
  batches: AsyncGenerator<readonly T[], S>,
  engine: Engine,
  path: string,
  hooks: ReplayHooks<T> = {},
  signal?: AbortSignal,
): Promise<{ summary: S; counts: ReplayCounts }> {
  const counts: ReplayCounts = { lines: 0, bytes: 0, derived: 0, inputs: 0 };
  for (;;) {
    if (signal?.aborted) throw new Interrupted();
    const next = await batches.next();
    if (next.done) return { summary: next.value, counts };
    const batch = next.value;
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i];
      counts.lines++;
      counts.bytes += (item.lineLength ?? item.line.length) + 1;
      // Parsed just before the engine takes it, so parsed events die young (no batch of them is held).
      const event = item.event ?? parseEventLine(item.line, path, item.lineNo);
      if (hooks.filter?.(event, item) === 'skip') continue;
      if (event.type !== 'trade' && !isInputType(event.type)) {
        counts.derived++;
        hooks.onDerived?.(item);
        continue;
      }
      if (hooks.beforeInput) {
        const go = hooks.beforeInput(event);
        if ((typeof go === 'boolean' ? go : await go) === false) continue;
      }
      if (hooks.ingest) hooks.ingest(event, item);
      else engine.ingestRead(event, item);
      counts.inputs++;
    }
    if (batch.length > 0) hooks.onBatch?.(counts, batch);
  }
}

/**
 * A file's non-empty lines in batches (plain or gzip): trade lines in the template's form read from their
 * bytes with their events (events/tradeLine.ts), other lines unparsed; the line reader's result at the end.
 */
export function fileLines(path: string, options: LineReadOptions = {}): AsyncGenerator<ReplayLine[], LineReadResult> {
  return readScannedLines(path, options);
}

/** `fileLines` of one tick file, ending with its read summary as the merge of tick files gives it (events: non-empty lines). */
export async function* tickFileLines(path: string, options: LineReadOptions = {}): AsyncGenerator<ReplayLine[], ReadSummary[]> {
  const lines = fileLines(path, options);
  let events = 0;
  for (;;) {
    const next = await lines.next();
    if (next.done) return [readSummary(next.value, events)];
    events += next.value.length;
    yield next.value;
  }
}

/** One file's records (a columnar cache's, say) as they come, ending with its read summary as the merge of tick files gives it. */
export async function* oneFileRecords(records: AsyncGenerator<LogRecord[], ReadSummary>): AsyncGenerator<LogRecord[], ReadSummary[]> {
  return [yield* records];
}
