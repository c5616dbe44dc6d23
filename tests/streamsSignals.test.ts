import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DerivedOnlySink } from '../actors/backtest/derivedLog';
import { RebuildSink } from '../actors/service/rebuildSink';
import { EventLogWriter } from '../events/log';
import { TestScheduler } from 'rxjs/testing';
import { makeEvent, type SignalEvent, type TradeEvent } from '../events/types';
import { SignalCounter, signalCounts } from '../streams/signalCounts';
import { SignalDetector, SignalLine, signalLine, tradeSignals } from '../streams/signals';
import { FIXTURES } from './support/shared';
import { DEFAULT_PARAMS, naiveSignals, readRecordedTrades, type RecordedTrade, type ReferenceSignal } from './streamsReference';

const trades = readRecordedTrades(join(FIXTURES, 'trades/btcusdt_20240808.trades.6001-8500.txt'));

function toEvent(t: RecordedTrade): TradeEvent {
  return makeEvent('trade', t.T, { venue: 'binance', symbol: t.symbol, tradeId: t.t, price: t.p, qty: t.q, buyerMaker: t.m });
}

/** The signal event the contract asks for, built from a reference signal and its trade. */
function expectedEvent(ref: ReferenceSignal, trade: RecordedTrade): SignalEvent {
  return {
    v: 1,
    seq: 0,
    ts: ref.ts,
    type: 'signal',
    symbol: ref.symbol,
    tradeId: ref.tradeId,
    change: ref.change,
    direction: ref.direction,
    confirmed: ref.confirmed,
    price: trade.p,
    qty: trade.q,
    avgQty: ref.avgQty,
  };
}

function detectAll(list: RecordedTrade[], params = DEFAULT_PARAMS): SignalEvent[] {
  const d = new SignalDetector(params);
  return list.map((t) => d.onTrade(toEvent(t))).filter((s): s is SignalEvent => s !== null);
}

describe('SignalDetector on real BTCUSDT trades', () => {
  it('emits exactly the signals of a naive recomputation, field by field', () => {
    const reference = naiveSignals(trades, DEFAULT_PARAMS);
    const byId = new Map(trades.map((t) => [t.t, t]));
    const got = detectAll(trades);
    expect(got).toEqual(reference.map((r) => expectedEvent(r, byId.get(r.tradeId)!)));
    // the slice covers both directions and both confirmation outcomes
    expect(new Set(got.map((s) => s.direction))).toEqual(new Set(['bullish', 'bearish']));
    expect(new Set(got.map((s) => s.confirmed))).toEqual(new Set([true, false]));
  });

  it.each([
    { threshold: 0.0005, windowMs: 5_000, volumeMultiplier: 3 },
    { threshold: 0.0012, windowMs: 20_000, volumeMultiplier: 2.5 },
    { threshold: 0.0002, windowMs: 1_000, volumeMultiplier: 1.5 },
  ])('follows its parameters: %o', (overrides) => {
    const params = { ...DEFAULT_PARAMS, ...overrides };
    const reference = naiveSignals(trades, params);
    const got = detectAll(trades, params);
    expect(reference.length).toBeGreaterThan(0);
    expect(got.map((s) => [s.tradeId, s.change, s.confirmed])).toEqual(reference.map((r) => [r.tradeId, r.change, r.confirmed]));
  });

  it('keeps symbols apart: interleaving a second symbol changes neither one', () => {
    const eth = trades.map((t) => ({ ...t, symbol: 'ETHUSDT', p: String(Number(t.p) / 23), T: t.T + 3_000 }));
    const both = [...trades, ...eth].sort((a, b) => a.T - b.T);
    const got = detectAll(both);
    expect(got.filter((s) => s.symbol === 'BTCUSDT')).toEqual(detectAll(trades));
    expect(got.filter((s) => s.symbol === 'ETHUSDT')).toEqual(detectAll(eth));
  });

  it('needs a change strictly above the threshold', () => {
    const at = (ts: number, price: string): RecordedTrade => ({ symbol: 'BTCUSDT', T: ts, t: ts, p: price, q: '1', m: false });
    const params = { ...DEFAULT_PARAMS, threshold: 0.005, windowMs: 1_000 };
    // (100.5 - 100) / 100 is exactly the double 0.005: not a signal; 100.51 is
    expect(detectAll([at(0, '100'), at(1_000, '100.5')], params)).toEqual([]);
    expect(detectAll([at(0, '100'), at(1_000, '100.51')], params).map((s) => s.direction)).toEqual(['bullish']);
    expect(detectAll([at(0, '100'), at(1_000, '99.49')], params).map((s) => s.direction)).toEqual(['bearish']);
  });
});

describe('signalLine', () => {
  it('is byte for byte JSON.stringify of the signal, for every real signal and odd values', () => {
    const signals = detectAll(trades).map((s, i) => ({ ...s, seq: 1_000 + i }));
    const odd = { ...signals[0], symbol: 'A"B\\C\u00e9', change: -1e-21, avgQty: 1e21 };
    const control = { ...signals[2], symbol: 'TAB\tX', price: '1"2\u0001', qty: '\u2028~' };
    const noAvg = { ...signals[1], avgQty: null, change: Infinity };
    for (const s of [...signals, odd, noAvg, control]) expect(signalLine(s)).toBe(JSON.stringify(s));
  });

  it('is rendered into a log under the seq the log gives it: the same bytes in a full log, a derived-only log and a rebuild\'s sink', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pma-signal-line-'));
    try {
      const signals = detectAll(trades).slice(0, 40);
      const odd = { ...signals[0], symbol: 'A"B\\C\u00e9', change: -1e-21, avgQty: null };
      const all = [...signals, odd];
      const full = EventLogWriter.open(join(dir, 'full.jsonl'), { truncate: true, durability: 'batched' });
      const derived = EventLogWriter.open(join(dir, 'derived.jsonl'), { truncate: true, durability: 'batched' });
      const derivedOnly = new DerivedOnlySink(derived);
      const rebuild = new RebuildSink();
      // Seqs far from the signals' own (0): the line's seq is the log's.
      for (let i = 0; i < 99_990; i++) {
        full.skip();
        derived.skip();
        rebuild.appendRead(makeEvent('timer', 1, { name: 'tick' }), '');
      }
      const expected: string[] = [];
      for (const s of all) {
        const seq = full.appendMade(new SignalLine(s));
        expect(derivedOnly.appendMade(new SignalLine(s))).toBe(seq);
        expect(rebuild.appendMade(new SignalLine(s))).toBe(seq);
        expected.push(JSON.stringify({ ...s, seq }));
      }
      full.close();
      derived.close();
      expect(expected[0]).toContain('"seq":99991,');
      expect(readFileSync(join(dir, 'full.jsonl'), 'utf8')).toBe(expected.join('\n') + '\n');
      expect(readFileSync(join(dir, 'derived.jsonl'), 'utf8')).toBe(expected.join('\n') + '\n');
      expect(rebuild.derivedByLastInput).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tradeSignals operator (marbles)', () => {
  // Real trades picked so one window apart there is a move: the first is the reference.
  const params = { ...DEFAULT_PARAMS, volumeWindow: 3, volumeAverageOf: 2 };
  const all = naiveSignals(trades, DEFAULT_PARAMS);
  const target = trades.findIndex((t) => t.t === all[0].tradeId);
  let refIdx = target;
  while (trades[refIdx].T > trades[target].T - 10_000) refIdx--;
  const pick = [trades[refIdx], trades[refIdx + 1], trades[target], trades[target + 1], trades[target + 2]];
  const expected = naiveSignals(pick, params);

  it('emits a signal in the frame of its trade and completes with the source', () => {
    expect(expected.length).toBeGreaterThan(0);
    const scheduler = new TestScheduler((actual, exp) => expect(actual).toEqual(exp));
    scheduler.run(({ cold, expectObservable }) => {
      const letters = 'abcde';
      const values = Object.fromEntries(pick.map((t, i) => [letters[i], toEvent(t)]));
      const outValues: Record<string, SignalEvent> = {};
      let outMarble = '';
      pick.forEach((t, i) => {
        const ref = expected.find((r) => r.tradeId === t.t);
        if (ref) {
          outValues[letters[i]] = expectedEvent(ref, t);
          outMarble += letters[i] + '-';
        } else {
          outMarble += '--';
        }
      });
      expectObservable(cold('a-b-c-d-e-|', values).pipe(tradeSignals(params))).toBe(outMarble + '|', outValues);
    });
  });

  it('propagates errors and gives each subscription its own windows', () => {
    const scheduler = new TestScheduler((actual, exp) => expect(actual).toEqual(exp));
    scheduler.run(({ cold, expectObservable }) => {
      const values = { a: toEvent(pick[0]), c: toEvent(pick[2]) };
      const firstSignal = naiveSignals([pick[0], pick[2]], params)[0];
      const signals = cold('a-c-#', values).pipe(tradeSignals(params));
      expectObservable(signals).toBe('--x-#', { x: expectedEvent(firstSignal, pick[2]) });
      expectObservable(signals).toBe('--x-#', { x: expectedEvent(firstSignal, pick[2]) });
    });
  });
});

describe('signal counts', () => {
  it('counts confirmed and unconfirmed signals per symbol', () => {
    const signals = detectAll(trades);
    const counter = new SignalCounter();
    for (const s of signals) counter.add(s);
    const reference = naiveSignals(trades, DEFAULT_PARAMS);
    const confirmed = reference.filter((r) => r.confirmed).length;
    expect(counter.snapshot()).toEqual({ BTCUSDT: { confirmed, unconfirmed: reference.length - confirmed } });
  });

  it('signalCounts emits the running tally (marbles)', () => {
    const mk = (symbol: string, confirmed: boolean): SignalEvent =>
      makeEvent('signal', 1, { symbol, tradeId: 1, change: 0.002, direction: 'bullish', confirmed, price: '1', qty: '1', avgQty: 1 });
    const scheduler = new TestScheduler((actual, exp) => expect(actual).toEqual(exp));
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold('a-b-c|', { a: mk('BTCUSDT', true), b: mk('ETHUSDT', false), c: mk('BTCUSDT', false) });
      expectObservable(src.pipe(signalCounts())).toBe('x-y-z|', {
        x: { BTCUSDT: { confirmed: 1, unconfirmed: 0 } },
        y: { BTCUSDT: { confirmed: 1, unconfirmed: 0 }, ETHUSDT: { confirmed: 0, unconfirmed: 1 } },
        z: { BTCUSDT: { confirmed: 1, unconfirmed: 1 }, ETHUSDT: { confirmed: 0, unconfirmed: 1 } },
      });
    });
  });
});
