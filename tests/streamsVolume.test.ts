import { join } from 'node:path';
import { TestScheduler } from 'rxjs/testing';
import { makeEvent, type TradeEvent } from '../events/types';
import { VolumeWindow, volumeConfirmation } from '../streams/volumeConfirmation';
import { FIXTURES } from './support/shared';
import { readRecordedTrades, type RecordedTrade } from './streamsReference';

const trades = readRecordedTrades(join(FIXTURES, 'trades/btcusdt_20240808.trades.6001-8500.txt'));
const params = { volumeWindow: 60, volumeAverageOf: 30, volumeMultiplier: 2 };

/** Average of the last n quantities up to and including trade i (null before n exist), by slicing. */
function naiveAverage(list: RecordedTrade[], i: number, n: number): number | null {
  if (i + 1 < n) return null;
  return list.slice(i + 1 - n, i + 1).reduce((sum, t) => sum + Number(t.q), 0) / n;
}

function toEvent(t: RecordedTrade): TradeEvent {
  return makeEvent('trade', t.T, { venue: 'binance', symbol: t.symbol, tradeId: t.t, price: t.p, qty: t.q, buyerMaker: t.m });
}

describe('VolumeWindow on real BTCUSDT trades', () => {
  it('averages the newest 30 quantities including the current one, for every trade', () => {
    const w = new VolumeWindow(params);
    let confirmedCount = 0;
    trades.forEach((t, i) => {
      const qty = Number(t.q);
      w.push(qty);
      const avg = w.average();
      const expected = naiveAverage(trades, i, 30);
      expect(avg).toBe(expected);
      const confirmed = w.confirms(qty, avg);
      expect(confirmed).toBe(expected !== null && qty >= 2 * expected);
      if (confirmed) confirmedCount++;
    });
    // the slice has both outcomes, so the comparison above exercised each
    expect(confirmedCount).toBeGreaterThan(0);
    expect(confirmedCount).toBeLessThan(trades.length - 29);
  });

  it('never confirms before 30 trades exist, even a huge one', () => {
    const w = new VolumeWindow(params);
    for (let k = 0; k < 29; k++) w.push(k === 28 ? 1_000_000 : 0.001);
    expect(w.average()).toBeNull();
    expect(w.confirms(1_000_000, w.average())).toBe(false);
    w.push(1_000_000);
    expect(w.confirms(1_000_000, w.average())).toBe(true);
  });

  it('keeps at most volumeWindow quantities', () => {
    const w = new VolumeWindow(params);
    for (const t of trades.slice(0, 500)) w.push(Number(t.q));
    expect(w.length).toBe(60);
  });

  it('confirms at exactly multiplier x average (>=)', () => {
    const w = new VolumeWindow({ volumeWindow: 3, volumeAverageOf: 2, volumeMultiplier: 1.5 });
    w.push(1);
    w.push(3); // average (1 + 3) / 2 = 2, and 3 = 1.5 x 2
    expect(w.confirms(3, w.average())).toBe(true);
    w.push(2.9999); // average (3 + 2.9999) / 2 < 3, and 2.9999 < 1.5 x 2.99995
    expect(w.confirms(2.9999, w.average())).toBe(false);
  });

  it('rejects an average longer than the window', () => {
    expect(() => new VolumeWindow({ volumeWindow: 10, volumeAverageOf: 11, volumeMultiplier: 2 })).toThrow(/volumeAverageOf/);
  });
});

describe('volumeConfirmation operator', () => {
  it('keeps one window per symbol (marbles)', () => {
    const small = { volumeWindow: 3, volumeAverageOf: 2, volumeMultiplier: 1.2 };
    const btc = trades.slice(100, 103);
    const eth = trades.slice(200, 203).map((t) => ({ ...t, symbol: 'ETHUSDT' }));
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const v = { a: toEvent(btc[0]), b: toEvent(eth[0]), c: toEvent(btc[1]), d: toEvent(eth[1]), e: toEvent(btc[2]) };
      const check = (list: RecordedTrade[], i: number, trade: TradeEvent) => {
        const avgQty = naiveAverage(list, i, 2);
        return { trade, avgQty, confirmed: avgQty !== null && Number(list[i].q) >= 1.2 * avgQty };
      };
      expectObservable(cold('a-b-c-d-e|', v).pipe(volumeConfirmation(small))).toBe('a-b-c-d-e|', {
        a: check(btc, 0, v.a),
        b: check(eth, 0, v.b),
        c: check(btc, 1, v.c),
        d: check(eth, 1, v.d),
        e: check(btc, 2, v.e),
      });
    });
  });
});
