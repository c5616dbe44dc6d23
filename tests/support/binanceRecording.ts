/**
 * Independent readers of Binance recordings and tick files for the importer tests: they parse the
 * inputs their own way (whole file, JSON.parse per line) so the importer's output can be checked
 * against them.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export function fileText(path: string): string {
  const buf = readFileSync(path);
  return (buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf).toString('utf8');
}

/** Lines of a file without the empty string after the final newline. */
export function fileLines(path: string): string[] {
  const lines = fileText(path).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export interface ExpectedTrade {
  symbol: string;
  tradeId: number;
  price: string;
  qty: string;
  ts: number;
  buyerMaker: boolean;
  /** 1-based line in its file. */
  line: number;
}

type Json = Record<string, unknown>;

/** Trades of `<ns> {"stream":"x@trade","data":{...}}` lines, read field by field from the JSON. */
export function recordedTrades(lines: string[]): ExpectedTrade[] {
  const out: ExpectedTrade[] = [];
  lines.forEach((line, i) => {
    const frame = JSON.parse(line.slice(line.indexOf(' ') + 1)) as Json;
    if (typeof frame.stream !== 'string' || !frame.stream.endsWith('@trade')) return;
    const d = frame.data as Json;
    out.push({ symbol: d.s as string, tradeId: d.t as number, price: d.p as string, qty: d.q as string, ts: d.T as number, buyerMaker: d.m as boolean, line: i + 1 });
  });
  return out;
}

/** Lines per kind, told by the text of the stream name: trade, bookTicker, depth, snapshot. */
export function recordedKinds(lines: string[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const line of lines) {
    const m = /^\d+ \{"stream":"[a-z0-9]+@([A-Za-z]+)/.exec(line);
    const kind = m ? m[1] : line.includes('"lastUpdateId"') ? 'snapshot' : 'unknown';
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

export interface TickLine {
  v: number;
  seq: number;
  ts: number;
  type: string;
  venue: string;
  symbol: string;
  tradeId: number;
  price: string;
  qty: string;
  buyerMaker: boolean;
}

export function readTicks(path: string): TickLine[] {
  return fileLines(path).map((l) => JSON.parse(l) as TickLine);
}

/** A tick line's trade fields, for comparing with `ExpectedTrade`s. */
export function tradeOf(t: TickLine): Omit<ExpectedTrade, 'line'> {
  return { symbol: t.symbol, tradeId: t.tradeId, price: t.price, qty: t.qty, ts: t.ts, buyerMaker: t.buyerMaker };
}

export function strip(e: ExpectedTrade): Omit<ExpectedTrade, 'line'> {
  const { line: _line, ...rest } = e;
  return rest;
}

export function tempDir(prefix = 'pma-import-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
