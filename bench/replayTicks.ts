/**
 * Builds big tick files for the replay benchmark by shifting real trades in time: the recorded
 * trades are repeated, each copy later than the last by the recording's span plus a second, with
 * trade ids continued per symbol. Files go to a temp dir, never the repo.
 */
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface BaseTrade {
  symbol: string;
  ts: number;
  tradeId: number;
  price: string;
  qty: string;
  buyerMaker: boolean;
}

const SPOT = resolve(__dirname, '../../shared/data/binance/hftbacktest/spot');
const SHARED_FILES = ['btcusdt_20240808.gz', 'btcusdt_20240809.gz', 'ethusdt_20240808.gz', 'ethusdt_20240809.gz'];
const FIXTURE = resolve(__dirname, '../tests/fixtures/trades/btcusdt_20240808.trades.6001-8500.txt');

function readRecording(path: string): BaseTrade[] {
  const raw = readFileSync(path);
  const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
  const out: BaseTrade[] = [];
  for (const line of text.split('\n')) {
    const json = line.slice(line.indexOf(' ') + 1);
    if (!json.includes('@trade"')) continue;
    const d = JSON.parse(json).data;
    out.push({ symbol: d.s, ts: d.T, tradeId: d.t, price: d.p, qty: d.q, buyerMaker: d.m });
  }
  return out;
}

/** The real trades to shift: the shared BTCUSDT and ETHUSDT recordings, or the test fixture slice without ../shared. */
export function baseTrades(): { trades: BaseTrade[]; source: string } {
  const shared = SHARED_FILES.map((f) => join(SPOT, f));
  const files = shared.every(existsSync) ? shared : [FIXTURE];
  const trades = files.flatMap(readRecording);
  trades.sort((a, b) => a.ts - b.ts); // stable: per symbol the recorded order stays
  return { trades, source: files === shared ? 'shared hftbacktest BTCUSDT+ETHUSDT' : 'tests/fixtures BTCUSDT slice' };
}

/** Writes `count` trade events as a tick file: the base trades repeated and shifted in time. Returns bytes written. */
export function writeShiftedTicks(path: string, base: BaseTrade[], count: number): number {
  const span = base[base.length - 1].ts - base[0].ts + 1_000;
  const idSpan = new Map<string, number>();
  for (const t of base) idSpan.set(t.symbol, Math.max(idSpan.get(t.symbol) ?? 0, t.tradeId));
  const firstId = new Map<string, number>();
  for (const t of base) if (!firstId.has(t.symbol)) firstId.set(t.symbol, t.tradeId);
  for (const [s, last] of idSpan) idSpan.set(s, last - firstId.get(s)! + 1);
  const fd = openSync(path, 'w');
  let bytes = 0;
  try {
    let chunk = '';
    for (let seq = 1; seq <= count; seq++) {
      const copy = Math.floor((seq - 1) / base.length);
      const t = base[(seq - 1) % base.length];
      const ts = t.ts + copy * span;
      const id = t.tradeId + copy * idSpan.get(t.symbol)!;
      chunk += `{"v":1,"seq":${seq},"ts":${ts},"type":"trade","venue":"binance","symbol":"${t.symbol}","tradeId":${id},"price":"${t.price}","qty":"${t.qty}","buyerMaker":${t.buyerMaker}}\n`;
      if (chunk.length >= 1 << 20) {
        bytes += writeSync(fd, chunk);
        chunk = '';
      }
    }
    if (chunk.length > 0) bytes += writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return bytes;
}
