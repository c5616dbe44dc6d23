import { join } from 'node:path';
import { TestScheduler } from 'rxjs/testing';
import { makeEvent, type TradeEvent } from '../events/types';
import { PriceChangeWindow, priceChange } from '../streams/priceChange';
import { TimeRing } from '../streams/timeRing';
import { FIXTURES } from './support/shared';
import { readRecordedTrades, type RecordedTrade } from './streamsReference';

const trades = readRecordedTrades(join(FIXTURES, 'trades/btcusdt_20240808.trades.6001-8500.txt'));

/** For each trade: (price - ref) / ref against the last earlier trade at or before T - window, by a full scan. */
function naiveChanges(list: RecordedTrade[], windowMs: number): (number | null)[] {
  return list.map((trade, i) => {
    let ref: RecordedTrade | null = null;
    for (let j = 0; j < i; j++) if (list[j].T <= trade.T - windowMs) ref = list[j];
    return ref === null ? null : (Number(trade.p) - Number(ref.p)) / Number(ref.p);
  });
}

function toEvent(t: RecordedTrade): TradeEvent {
  return makeEvent('trade', t.T, { venue: 'binance', symbol: t.symbol, tradeId: t.t, price: t.p, qty: t.q, buyerMaker: t.m });
}

describe('TimeRing', () => {
  it('keeps FIFO order across growth and wrap-around', () => {
    const ring = new TimeRing(2);
    const expected: [number, number][] = [];
    for (let k = 0; k < 50; k++) {
      ring.push(k, k * 10);
      expected.push([k, k * 10]);
      if (k % 3 === 0) {
        ring.shift();
        expected.shift();
      }
    }
    expect(ring.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) expect([ring.timeAt(i), ring.valueAt(i)]).toEqual(expected[i]);
    expect(ring.capacity).toBeGreaterThanOrEqual(expected.length);
    expect(ring.capacity).toBeLessThan(2 * expected.length + 2);
  });
});

describe('PriceChangeWindow on real BTCUSDT trades', () => {
  it.each([10_000, 3_000, 250])('matches a full-scan reference for every trade (window %i ms)', (windowMs) => {
    const w = new PriceChangeWindow(windowMs);
    const got = trades.map((t) => w.update(t.T, Number(t.p)));
    expect(got).toEqual(naiveChanges(trades, windowMs));
  });

  it('gives no value until windowMs of history exist, then a value for every trade', () => {
    const w = new PriceChangeWindow(10_000);
    const first = trades[0].T;
    for (const t of trades) {
      const change = w.update(t.T, Number(t.p));
      if (t.T - first < 10_000) expect(change).toBeNull();
      else expect(change).not.toBeNull();
    }
  });

  it('holds no more than the trades of one window plus the reference', () => {
    const windowMs = 10_000;
    let busiest = 0;
    for (let i = 0; i < trades.length; i++) {
      let n = 0;
      for (let j = 0; j <= i; j++) if (trades[j].T > trades[i].T - windowMs) n++;
      busiest = Math.max(busiest, n);
    }
    const w = new PriceChangeWindow(windowMs);
    let maxHeld = 0;
    for (const t of trades) {
      w.update(t.T, Number(t.p));
      maxHeld = Math.max(maxHeld, w.held);
    }
    expect(maxHeld).toBeLessThanOrEqual(busiest + 1);
  });

  it('stays bounded over a long stream (one trade per 10 ms for 3 hours, 10 s window)', () => {
    const w = new PriceChangeWindow(10_000);
    let maxHeld = 0;
    for (let k = 0; k < 1_080_000; k++) {
      w.update(k * 10, 100 + (k % 7));
      if (w.held > maxHeld) maxHeld = w.held;
    }
    // entries in (t - 10 s, t] plus the reference at t - 10 s
    expect(maxHeld).toBe(1_001);
  });

  it('treats a trade stamped before the previous one as happening at the previous time', () => {
    const w = new PriceChangeWindow(1_000);
    expect(w.update(1_000, 100)).toBeNull();
    expect(w.update(2_000, 101)).toBeCloseTo(0.01, 12);
    // 1_500 < 2_000: measured at 2_000, so the reference is still the price at 1_000
    expect(w.update(1_500, 102)).toBeCloseTo(0.02, 12);
  });
});

describe('priceChange operator', () => {
  const btc = trades.slice(0, 4);
  const eth = trades.slice(0, 4).map((t) => ({ ...t, symbol: 'ETHUSDT', p: String(Number(t.p) / 20) }));

  it('keeps one window per symbol and passes completion through', () => {
    // two symbols interleaved: each symbol's changes equal its own reference alone
    const windowMs = Math.max(1, btc[2].T - btc[0].T);
    const expectBtc = naiveChanges(btc, windowMs);
    const expectEth = naiveChanges(eth, windowMs);
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const values = { a: toEvent(btc[0]), b: toEvent(eth[0]), c: toEvent(btc[1]), d: toEvent(eth[1]), e: toEvent(btc[2]), f: toEvent(eth[2]) };
      const source = cold('a-b-c-d-e-f|', values);
      expectObservable(source.pipe(priceChange({ windowMs }))).toBe('a-b-c-d-e-f|', {
        a: { trade: values.a, change: expectBtc[0] },
        b: { trade: values.b, change: expectEth[0] },
        c: { trade: values.c, change: expectBtc[1] },
        d: { trade: values.d, change: expectEth[1] },
        e: { trade: values.e, change: expectBtc[2] },
        f: { trade: values.f, change: expectEth[2] },
      });
    });
  });

  it('passes errors through and starts fresh on every subscription', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const windowMs = Math.max(1, btc[1].T - btc[0].T);
    const second = naiveChanges(btc.slice(0, 2), windowMs)[1];
    scheduler.run(({ cold, expectObservable }) => {
      const values = { a: toEvent(btc[0]), b: toEvent(btc[1]) };
      const shared = cold('a-b-#', values).pipe(priceChange({ windowMs }));
      const out = { x: { trade: values.a, change: null }, y: { trade: values.b, change: second } };
      expectObservable(shared).toBe('x-y-#', out);
      expectObservable(shared).toBe('x-y-#', out);
    });
  });
});
