import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../../../events/errors';
import { EventLogWriter } from '../../../../events/log';
import { makeEvent, type InputEvent, type MarketDefinitionEvent } from '../../../../events/types';
import { COLLECTOR_LAYOUT, collectorPath, decodeCollectorFile, type CollectorPath } from './collector';
import { derivedUpDownMarket, upDownSlug } from './derivedIds';
import { detectHistoryFormat } from './detect';
import { readText } from './readText';
import { RowError, countEvent, rejectRow } from './rows';
import { CHAINLINK_HEADER, decodeChainlinkRow, decodeListingLine, oracleSymbolFromName } from './updownListing';
import type { HistoryFileSummary, HistoryFormat, HistoryImportOptions, HistoryImportSummary, HistorySkipReason, SourcedEvent } from './types';

const RANK: Partial<Record<InputEvent['type'], 0 | 2>> = { market_definition: 0, market_resolved: 2 };

/**
 * Polymarket history files into one tick file (docs/importers.md): every market's definition before
 * its first price, then its books, trades, reference and oracle prices by time, and its recorded outcome
 * at its end. Files are read whole (recordings of one window or one day). An `out` ending in `.gz` is
 * gzipped. Under `strict` the first bad row throws an `InputError` naming file, row and field.
 */
export async function importHistory(files: string[], out: string, options: HistoryImportOptions = {}): Promise<HistoryImportSummary> {
  if (files.length === 0) throw new InputError({ file: '(command line)' }, 'files', 'no input files');
  const strict = options.strict ?? false;
  const events: SourcedEvent[] = [];
  const summaries: HistoryFileSummary[] = [];
  /** Collector windows by slug, with the kinds of file seen (books or trades). */
  const windows = new Map<string, { window: CollectorPath; books: boolean; firstTs: number; fileIndex: number }>();

  files.forEach((file, fileIndex) => {
    const text = readText(file);
    const format = options.format && options.format !== 'auto' ? options.format : detectHistoryFormat(file, text);
    if (format === null) throw new InputError({ file }, '(format)', 'not a Polymarket collector recording, Up/Down listing or Chainlink CSV (give --format to force one)');
    const summary: HistoryFileSummary = { file, format, rows: 0, events: {}, skipped: {} };
    summaries.push(summary);
    const add = (event: InputEvent, row: number) => events.push({ event, rank: RANK[event.type] ?? 1, fileIndex, row });
    switch (format) {
      case 'polymarket-collector': {
        const where = collectorPath(file);
        if (!where) throw new InputError({ file }, '(path)', `a collector file must sit at ${COLLECTOR_LAYOUT}: the path names the market`);
        const decoded = decodeCollectorFile(file, text, where, summary, strict);
        decoded.forEach((e, i) => add(e, i + 1));
        const slug = upDownSlug(where);
        const known = windows.get(slug);
        const firstTs = Math.min(where.startSec * 1000, ...decoded.slice(0, 1).map((e) => e.ts));
        if (known) {
          known.books ||= where.kind === 'orderbooks';
          known.firstTs = Math.min(known.firstTs, firstTs);
        } else windows.set(slug, { window: where, books: where.kind === 'orderbooks', firstTs, fileIndex });
        break;
      }
      case 'polymarket-listing':
        eachLine(text, (line, row) => {
          summary.rows++;
          try {
            for (const e of decodeListingLine(line, file, row)) add(e, row);
          } catch (err) {
            if (!(err instanceof InputError)) throw err;
            rejectRow(summary, strict, err);
          }
        });
        break;
      case 'chainlink-csv': {
        const symbol = oracleSymbolFromName(file);
        if (!symbol) throw new InputError({ file }, '(file name)', 'names no pair: expected e.g. BTCUSD-prices-2026-07-24.csv(.gz)');
        let columns: string[] | null = null;
        let lastTs = -1;
        eachLine(text, (line, row) => {
          if (columns === null) {
            if (!line.startsWith(CHAINLINK_HEADER)) throw new InputError({ file: `${file} row ${row}` }, '(header)', `expected a header starting ${CHAINLINK_HEADER}`);
            columns = line.split(',');
            return;
          }
          summary.rows++;
          try {
            const e = decodeChainlinkRow(line, columns, symbol, file, row);
            if (e.ts < lastTs) throw new RowError(file, row, 'feed_ts_ms', `time ${e.ts} is before the previous row's ${lastTs} (time going backwards)`, 'time_backwards');
            lastTs = e.ts;
            add(e, row);
          } catch (err) {
            if (!(err instanceof InputError)) throw err;
            rejectRow(summary, strict, err);
          }
        });
        break;
      }
    }
  });

  for (const w of windows.values()) {
    const definition: MarketDefinitionEvent = makeEvent('market_definition', w.firstTs, {
      source: 'collector',
      market: derivedUpDownMarket(w.window),
      derivedIds: true,
      prices: w.books ? 'books' : 'trades',
      windowStartTs: w.window.startSec * 1000,
      asset: w.window.asset,
      strike: null,
    });
    events.push({ event: definition, rank: 0, fileIndex: w.fileIndex, row: 0 });
  }

  events.sort((a, b) => a.event.ts - b.event.ts || a.rank - b.rank || a.fileIndex - b.fileIndex || a.row - b.row);
  const written = dropRepeatedReferences(events);
  return write(written, out, summaries);
}

/** The collector stores its Binance mid on every row of every file: keep a symbol's value only when it changed. */
function dropRepeatedReferences(events: SourcedEvent[]): SourcedEvent[] {
  const last = new Map<string, string>();
  return events.filter(({ event }) => {
    if (event.type !== 'reference_price') return true;
    if (last.get(event.symbol) === event.value) return false;
    last.set(event.symbol, event.value);
    return true;
  });
}

function write(events: SourcedEvent[], out: string, files: HistoryFileSummary[]): HistoryImportSummary {
  const summary: HistoryImportSummary = { out, files, eventsByType: {}, eventsWritten: 0, skipped: {}, markets: [], firstTs: null, lastTs: null };
  const gzip = out.endsWith('.gz');
  const plain = gzip ? `${out}.partial` : out;
  const writer = EventLogWriter.open(plain, { durability: 'batched', truncate: true });
  let ok = false;
  try {
    for (const { event, fileIndex } of events) {
      writer.append(event);
      countEvent(files[fileIndex], event.type);
      summary.eventsByType[event.type] = (summary.eventsByType[event.type] ?? 0) + 1;
      if (event.type === 'market_definition') summary.markets.push({ slug: event.market.slug, prices: event.prices, derivedIds: event.derivedIds });
      summary.firstTs ??= event.ts;
      summary.lastTs = event.ts;
    }
    writer.close();
    summary.eventsWritten = writer.lastSeq;
    if (gzip) {
      writeFileSync(`${out}.gz-partial`, gzipSync(readText(plain), { level: 9 }));
      renameSync(`${out}.gz-partial`, out);
    }
    ok = true;
  } finally {
    writer.close();
    if (gzip || !ok) rmSync(plain, { force: true });
  }
  for (const f of files) for (const [k, n] of Object.entries(f.skipped)) summary.skipped[k as HistorySkipReason] = (summary.skipped[k as HistorySkipReason] ?? 0) + (n ?? 0);
  return summary;
}

/** Calls `fn` for each non-blank line with its 1-based line number. */
function eachLine(text: string, fn: (line: string, row: number) => void): void {
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim().length > 0) fn(line, i + 1);
  });
}

export type { HistoryFormat };
