/**
 * Test-side helpers for the signal pipeline, written independently of streams/: reading recorded
 * Binance trades, writing tick lines by hand, and a naive reference of the signal rules.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface RecordedTrade {
  symbol: string;
  T: number;
  t: number;
  p: string;
  q: string;
  m: boolean;
}

/** Trades of a hftbacktest recording (`<local ns> <combined-stream json>` lines, plain or gzip); other streams skipped. */
export function readRecordedTrades(path: string): RecordedTrade[] {
  const raw = readFileSync(path);
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
  const out: RecordedTrade[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const msg = JSON.parse(line.slice(line.indexOf(' ') + 1));
    if (typeof msg.stream !== 'string' || !msg.stream.endsWith('@trade')) continue;
    const d = msg.data;
    out.push({ symbol: d.s, T: d.T, t: d.t, p: d.p, q: d.q, m: d.m });
  }
  return out;
}

/** A tick-file line exactly as the format card shows it. */
export function tickLine(seq: number, t: RecordedTrade): string {
  return `{"v":1,"seq":${seq},"ts":${t.T},"type":"trade","venue":"binance","symbol":"${t.symbol}","tradeId":${t.t},"price":"${t.p}","qty":"${t.q}","buyerMaker":${t.m}}`;
}

/** Merges several symbols' trades by time, ties in argument order (each list is already in order). */
export function mergeByTime(...lists: RecordedTrade[][]): RecordedTrade[] {
  const all = lists.flatMap((list, li) => list.map((t, i) => ({ t, li, i })));
  all.sort((a, b) => a.t.T - b.t.T || a.li - b.li || a.i - b.i);
  return all.map((x) => x.t);
}

export interface ReferenceParams {
  windowMs: number;
  threshold: number;
  volumeAverageOf: number;
  volumeMultiplier: number;
}

export interface ReferenceSignal {
  symbol: string;
  ts: number;
  tradeId: number;
  change: number;
  direction: 'bullish' | 'bearish';
  confirmed: boolean;
  avgQty: number | null;
}

/**
 * The signal rules, naively: for every trade, look back through the earlier trades of its symbol for
 * the last one at or before ts - window, and average the last N quantities by slicing the history.
 */
export function naiveSignals(trades: RecordedTrade[], p: ReferenceParams): ReferenceSignal[] {
  const history = new Map<string, RecordedTrade[]>();
  const out: ReferenceSignal[] = [];
  for (const trade of trades) {
    const earlier = history.get(trade.symbol) ?? [];
    let ref: RecordedTrade | null = null;
    for (let j = earlier.length - 1; j >= 0 && ref === null; j--) if (earlier[j].T <= trade.T - p.windowMs) ref = earlier[j];
    earlier.push(trade);
    history.set(trade.symbol, earlier);
    if (ref === null) continue;
    const change = (Number(trade.p) - Number(ref.p)) / Number(ref.p);
    if (Math.abs(change) <= p.threshold) continue;
    let avgQty: number | null = null;
    if (earlier.length >= p.volumeAverageOf) {
      avgQty = earlier.slice(-p.volumeAverageOf).reduce((sum, e) => sum + Number(e.q), 0) / p.volumeAverageOf;
    }
    out.push({
      symbol: trade.symbol,
      ts: trade.T,
      tradeId: trade.t,
      change,
      direction: change > 0 ? 'bullish' : 'bearish',
      confirmed: avgQty !== null && Number(trade.q) >= p.volumeMultiplier * avgQty,
      avgQty,
    });
  }
  return out;
}

export const DEFAULT_PARAMS = { windowMs: 10_000, threshold: 0.001, volumeWindow: 60, volumeAverageOf: 30, volumeMultiplier: 2 };
