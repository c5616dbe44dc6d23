import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importTicks } from '../actors/venues/binance/importers';
import { InputError } from '../events/errors';
import { tradeMarketKey } from '../events/types';
import { validateEvent } from '../events/validate';
import { SignalDetector } from '../streams/signals';
import { FIXTURES } from './support/shared';
import { fileLines, readTicks, tempDir } from './support/binanceRecording';

const dir = tempDir('pma-import-market-');
// 100 real ETHUSDT spot trade lines; the "futures" file below is the same prints (same ids), as a futures
// recording of the same span would overlap a spot one's ids: they must stay two markets, not be merged.
const spot = fileLines(join(FIXTURES, 'binance/ethusdt_20240808.head300.trades.txt')).slice(0, 100);

describe('Binance spot and USD-M futures trades of one symbol stay apart', () => {
  it('a futures file (by name) keeps every trade, marked market usdm; the spot trades stay unmarked', async () => {
    const a = join(dir, 'ethusdt_spot.txt');
    const b = join(dir, 'ETHUSDT-trades-um-2024-08-08.txt');
    writeFileSync(a, spot.join('\n') + '\n');
    writeFileSync(b, spot.join('\n') + '\n');
    const out = join(dir, 'both.jsonl');
    const summary = await importTicks([a, b], out);
    expect(summary.skipped).toEqual({});
    expect(summary.tradesWritten).toBe(200);
    expect(summary.tradesBySymbol).toEqual({ ETHUSDT: 100, 'ETHUSDT@usdm': 100 });
    const ticks = readTicks(out) as unknown as Record<string, unknown>[];
    expect(ticks.filter((t) => t.market === 'usdm')).toHaveLength(100);
    expect(ticks.filter((t) => t.market === undefined)).toHaveLength(100);
    // The key order of a spot trade is unchanged (old tick files and new ones of spot data are alike).
    expect(Object.keys(ticks.find((t) => t.market === undefined)!)).toEqual(['v', 'seq', 'ts', 'type', 'venue', 'symbol', 'tradeId', 'price', 'qty', 'buyerMaker']);
    expect(Object.keys(ticks.find((t) => t.market === 'usdm')!)).toEqual(['v', 'seq', 'ts', 'type', 'venue', 'symbol', 'market', 'tradeId', 'price', 'qty', 'buyerMaker']);
  });

  it('without the mark the same two files overlap (what happened before): counted as overlaps_earlier_file', async () => {
    const a = join(dir, 'ethusdt_a.txt');
    const b = join(dir, 'ethusdt_b.txt');
    writeFileSync(a, spot.join('\n') + '\n');
    writeFileSync(b, spot.join('\n') + '\n');
    const summary = await importTicks([a, b], join(dir, 'same.jsonl'));
    expect(summary.skipped).toEqual({ overlaps_earlier_file: 100 });
    const forced = await importTicks([b], join(dir, 'forced.jsonl'), { market: 'usdm' });
    expect(forced.tradesBySymbol).toEqual({ 'ETHUSDT@usdm': 100 });
  });

  it('a futures @trade payload (it carries X) is usdm even in a file named like spot', async () => {
    const line = spot[0].replace('"M":true', '"X":"MARKET"');
    const path = join(dir, 'ethusdt_x.txt');
    writeFileSync(path, line + '\n');
    const summary = await importTicks([path], join(dir, 'x.jsonl'));
    expect(summary.tradesBySymbol).toEqual({ 'ETHUSDT@usdm': 1 });
  });

  it('tick files: a trade without market is spot; an unknown market is refused naming the field', () => {
    const trade = { v: 1, seq: 1, ts: 5, type: 'trade', venue: 'binance', symbol: 'BTCUSDT', tradeId: 1, price: '1', qty: '1', buyerMaker: false };
    expect(tradeMarketKey(validateEvent(trade, { file: 't' }) as never)).toBe('BTCUSDT');
    expect(tradeMarketKey(validateEvent({ ...trade, market: 'usdm' }, { file: 't' }) as never)).toBe('BTCUSDT@usdm');
    expect(() => validateEvent({ ...trade, market: 'coinm' }, { file: 't', line: 3 })).toThrow(InputError);
    expect(() => validateEvent({ ...trade, market: 'coinm' }, { file: 't', line: 3 })).toThrow(/t:3: field 'market'/);
  });

  it('signals keep one price window per market: a futures print does not move the spot window', () => {
    const detector = new SignalDetector({ windowMs: 1000, threshold: 0.001, volumeWindow: 20, volumeAverageOf: 20, volumeMultiplier: 1.5 });
    const t = (ts: number, price: string, market?: 'usdm') => ({ v: 1 as const, seq: 0, ts, type: 'trade' as const, venue: 'binance' as const, symbol: 'BTCUSDT', ...(market ? { market } : {}), tradeId: ts, price, qty: '1', buyerMaker: false });
    expect(detector.onTrade(t(1000, '100'))).toBeNull();
    expect(detector.onTrade(t(1200, '101', 'usdm'))).toBeNull(); // first futures print: its own window
    expect(detector.symbols).toEqual(['BTCUSDT', 'BTCUSDT@usdm']);
    // Against spot's 100 at 1000 this is +0.05 % (no signal); one mixed window would measure it against 101 (-0.94 %).
    expect(detector.onTrade(t(2500, '100.05'))).toBeNull();
    expect(detector.onTrade(t(2600, '101', 'usdm'))).toBeNull(); // futures against its own 101
    expect(detector.onTrade(t(2700, '100.2'))?.direction).toBe('bullish'); // spot +0.2 % against 100
  });
});
