import { accessSync, constants, createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { fsProblem, InputError } from '../../../../events/errors';
import { EventLogWriter } from '../../../../events/log';
import { tradeMarketKey } from '../../../../events/types';
import { FileTradeSource, OrderError } from './fileSource';
import { mergeByTime } from './merge';
import type { ImportOptions, ImportSummary, SkipReason, SourcedTrade } from './types';
import { addCount } from './summary';

/**
 * Converts Binance trade files into one tick file: an event log of `trade` input events (seq 1..N,
 * ts = trade time), merged by time across files, ties kept in input order. An `out` ending in `.gz`
 * is gzipped. Returns the summary; under `strict` the first bad line throws an `InputError` and no
 * output file is left behind.
 */
export async function importTicks(files: string[], out: string, options: ImportOptions = {}): Promise<ImportSummary> {
  checkInputs(files, out);
  const gzip = out.endsWith('.gz');
  const plainPath = gzip ? `${out}.partial` : out;
  const sources = files.map((f, i) => new FileTradeSource(f, i, options));
  const summary: ImportSummary = { out, files: sources.map((s) => s.summary), linesByKind: {}, tradesWritten: 0, tradesBySymbol: {}, skipped: {}, firstTs: null, lastTs: null };
  const writer = EventLogWriter.open(plainPath, { durability: 'batched', truncate: true });
  let ok = false;
  try {
    // Across files a symbol's trade ids must still rise: overlapping inputs (the same trades twice) are caught here.
    const lastIds = new Map<string, number>();
    const check = (t: SourcedTrade): boolean => {
      const key = `${tradeMarketKey(t.event)}/${t.idKind}`;
      const last = lastIds.get(key);
      if (last !== undefined && t.event.tradeId <= last) {
        const src = sources[t.fileIndex];
        const problem = `${t.event.symbol} trade id ${t.event.tradeId} is not above id ${last}, already written from an earlier file (overlapping inputs?)`;
        src.reject(new OrderError({ file: src.path, line: t.line }, 'tradeId', problem, 'overlaps_earlier_file'));
        src.summary.trades--;
        return false;
      }
      lastIds.set(key, t.event.tradeId);
      return true;
    };
    for await (const batch of mergeByTime(sources.map((s) => s.batches()))) {
      for (const t of batch) {
        if (!check(t)) continue;
        writer.append(t.event);
        const symbol = tradeMarketKey(t.event);
        addCount(summary.tradesBySymbol, symbol);
        if (summary.firstTs === null) summary.firstTs = t.event.ts;
        summary.lastTs = t.event.ts;
      }
    }
    writer.close();
    summary.tradesWritten = writer.lastSeq;
    if (gzip) await gzipFile(plainPath, out);
    ok = true;
  } finally {
    writer.close();
    if (!ok) {
      rmSync(plainPath, { force: true });
      if (gzip) rmSync(out, { force: true });
    } else if (gzip) rmSync(plainPath, { force: true });
  }
  for (const f of summary.files) {
    for (const [k, n] of Object.entries(f.kinds)) addCount(summary.linesByKind, k, n);
    for (const [k, n] of Object.entries(f.skipped)) summary.skipped[k as SkipReason] = (summary.skipped[k as SkipReason] ?? 0) + (n ?? 0);
  }
  return summary;
}

/** Every input readable and none of them the output (which is truncated on open). */
function checkInputs(files: string[], out: string): void {
  if (files.length === 0) throw new InputError({ file: '(command line)' }, 'files', 'no input files');
  for (const file of files) {
    if (resolve(file) === resolve(out)) throw new InputError({ file }, '(file)', 'is also the output file');
    try {
      accessSync(file, constants.R_OK);
      if (!statSync(file).isFile()) throw new Error('not a regular file');
    } catch (err) {
      throw new InputError({ file }, '(file)', `cannot be read (${fsProblem(err) ?? (err as Error).message})`);
    }
  }
}

async function gzipFile(from: string, to: string): Promise<void> {
  const tmp = `${to}.gz-partial`;
  await pipeline(createReadStream(from), createGzip({ level: 9 }), createWriteStream(tmp));
  renameSync(tmp, to);
}
