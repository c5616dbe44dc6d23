import Big from 'big.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { importTicks } from '../actors/venues/binance/importers';
import { InputError } from '../events/errors';
import { FIXTURES } from './support/shared';
import { fileLines, readTicks, recordedTrades, strip, tempDir, tradeOf, type ExpectedTrade } from './support/binanceRecording';

// Real BTCUSDT trades (hftbacktest slice), re-expressed by this test in the other Binance layouts.
const trades: ExpectedTrade[] = recordedTrades(fileLines(join(FIXTURES, 'binance/btcusdt_20240808.head1500.gz')));
const expected = trades.map(strip);
const dir = tempDir();
const bool = (b: boolean): string => (b ? 'True' : 'False');

function write(name: string, lines: string[], { eol = '\n', final = true, gzip = false } = {}): string {
  const path = join(dir, name);
  const text = lines.join(eol) + (final ? eol : '');
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

const tradesRow = (t: ExpectedTrade, time = String(t.ts)): string => [t.tradeId, t.price, t.qty, new Big(t.price).times(t.qty).toFixed(8), time, bool(t.buyerMaker)].join(',');
// One trade per aggregate: first and last trade id are the trade's own id.
const aggRow = (t: ExpectedTrade): string => [t.tradeId, t.price, t.qty, t.tradeId, t.tradeId, t.ts, bool(t.buyerMaker)].join(',');

async function imported(path: string, options = {}): Promise<{ ticks: ReturnType<typeof readTicks>; summary: Awaited<ReturnType<typeof importTicks>> }> {
  const out = `${path}.ticks.jsonl`;
  const summary = await importTicks([path], out, options);
  return { ticks: readTicks(out), summary };
}

describe('Binance public-data CSV', () => {
  it('trades layout without header; symbol from the file name', async () => {
    const { ticks, summary } = await imported(write('BTCUSDT-trades-2024-08-08.csv', trades.map((t) => tradesRow(t))));
    expect(summary.files[0].format).toBe('csv-trades');
    expect(summary.linesByKind).toEqual({ trade: trades.length });
    expect(ticks.map(tradeOf)).toEqual(expected);
  });

  it('trades layout with header and is_best_match, CRLF, gzip, no final newline', async () => {
    const rows = ['id,price,qty,quote_qty,time,is_buyer_maker,is_best_match', ...trades.map((t) => `${tradesRow(t)},True`)];
    const path = write('BTCUSDT-trades-2024-08-08.csv.gz', rows, { eol: '\r\n', final: false, gzip: true });
    const { ticks, summary } = await imported(path);
    expect(summary.linesByKind).toEqual({ header: 1, trade: trades.length });
    expect(ticks.map(tradeOf)).toEqual(expected);
  });

  it('trades layout with microsecond times (Binance spot files since 2025) gives ms', async () => {
    const rows = trades.map((t, i) => tradesRow(t, `${t.ts}${String(i % 1000).padStart(3, '0')}`));
    const { ticks } = await imported(write('BTCUSDT-trades-us.csv', rows));
    expect(ticks.map(tradeOf)).toEqual(expected);
  });

  it('aggTrades layout without header (7 columns) and with header (8 columns)', async () => {
    const plain = await imported(write('BTCUSDT-aggTrades-2024-08-08.csv', trades.map(aggRow)));
    expect(plain.summary.files[0].format).toBe('csv-aggtrades');
    expect(plain.summary.linesByKind).toEqual({ aggTrade: trades.length });
    expect(plain.ticks.map(tradeOf)).toEqual(expected);

    const header = 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match';
    const withHeader = await imported(write('agg.csv', [header, ...trades.map((t) => `${aggRow(t)},True`)]), { symbol: 'btcusdt' });
    expect(withHeader.summary.linesByKind).toEqual({ header: 1, aggTrade: trades.length });
    expect(withHeader.ticks.map(tradeOf)).toEqual(expected);

    const briefHeader = 'agg_id,price,qty,first_id,last_id,time,is_buyer_maker';
    const short = await imported(write('agg2.csv', [briefHeader, ...trades.map(aggRow)]), { symbol: 'BTCUSDT' });
    expect(short.ticks.map(tradeOf)).toEqual(expected);
  });

  it('a CSV without a symbol in its name or --symbol is refused, strict or not', async () => {
    const path = write('trades.csv', trades.slice(0, 5).map((t) => tradesRow(t)));
    await expect(importTicks([path], `${path}.out`)).rejects.toThrow(InputError);
    await expect(importTicks([path], `${path}.out`)).rejects.toThrow(/trades\.csv: field 'symbol'/);
  });

  it('--format overrides detection', async () => {
    const path = write('BTCUSDT-forced.csv', trades.map((t) => tradesRow(t)));
    const { summary } = await imported(path, { format: 'csv-aggtrades' });
    // Read as aggTrades, 6 columns are one too few on every line: all skipped, none written wrongly.
    expect(summary.tradesWritten).toBe(0);
    expect(summary.skipped).toEqual({ wrong_columns: trades.length });
  });
});

describe('@trade / @aggTrade JSON lines', () => {
  it('bare @trade payloads', async () => {
    const rows = trades.map((t) => JSON.stringify({ e: 'trade', E: t.ts + 1, s: t.symbol, t: t.tradeId, p: t.price, q: t.qty, T: t.ts, m: t.buyerMaker, M: true }));
    const { ticks, summary } = await imported(write('bare.jsonl', rows));
    expect(summary.files[0].format).toBe('jsonl');
    expect(summary.linesByKind).toEqual({ trade: trades.length });
    expect(ticks.map(tradeOf)).toEqual(expected);
  });

  it('combined @aggTrade frames, interleaved with bare bookTicker payloads that are counted, not taken for trades', async () => {
    const rows = trades.flatMap((t) => [
      JSON.stringify({ stream: 'btcusdt@aggTrade', data: { e: 'aggTrade', E: t.ts + 1, s: 'BTCUSDT', a: t.tradeId, p: t.price, q: t.qty, f: t.tradeId, l: t.tradeId, T: t.ts, m: t.buyerMaker, M: true } }),
      JSON.stringify({ u: t.tradeId, s: 'BTCUSDT', b: t.price, B: '1.0', a: t.price, A: '2.0' }),
    ]);
    const { ticks, summary } = await imported(write('frames.jsonl', rows));
    expect(summary.linesByKind).toEqual({ aggTrade: trades.length, bookTicker: trades.length });
    expect(ticks.map(tradeOf)).toEqual(expected);
  });
});
