import Big from 'big.js';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { scanSchema } from '../actors/config/schema';
import { createActor } from 'xstate';
import { ScanIntervalController, scanIntervalInput } from '../actors/strategies/scanInterval';
import { priceMove, sampleMids, scanIntervalMachine } from '../machines/scanInterval';
import { decodeGammaMarkets } from '../actors/venues/polymarket/gammaParse';
import { makeEvent, type MarketInfo, type MarketSnapshotEvent } from '../events/types';
import { demoTrades, modelEvents } from './support/modelQuotes';
import { FIXTURES, describeWithShared } from './support/shared';

/** Gamma `/markets` as Polymarket/agents recorded it on 2024-07-15 (MIT; tests/fixtures/SOURCES.md). */
const TWENTY = join(FIXTURES, 'polymarket/twenty_markets.json');
const raw = JSON.parse(readFileSync(TWENTY, 'utf8')) as { outcomePrices: string }[];
const twenty = decodeGammaMarkets(raw, { file: TWENTY });

const snapshot = (ts: number, markets: MarketInfo[]) => makeEvent('market_snapshot', ts, { source: 'gamma', request: '/markets?closed=false&limit=100', markets });
/** The plan's formula, kept as the named option `outcomeSpread`. */
const controller = (over: Partial<ReturnType<typeof scanSchema.parse>> = {}) => ScanIntervalController.fromConfig(scanSchema.parse({ volatilityMeasure: 'outcomeSpread', ...over }));
/** The default: price movement between fetched lists. */
const moveController = (over: Partial<ReturnType<typeof scanSchema.parse>> = {}) => ScanIntervalController.fromConfig(scanSchema.parse(over));

/** (max - min) / mean per market over the first n with two or more prices, averaged: plain numbers, from the raw JSON. */
function expectedVolatility(pricesPerMarket: number[][], n: number): { volatility: number; sampled: number } {
  const used = pricesPerMarket.filter((p) => p.length >= 2).slice(0, n);
  const each = used.map((p) => (Math.max(...p) - Math.min(...p)) / (p.reduce((a, b) => a + b, 0) / p.length));
  return { volatility: each.reduce((a, b) => a + b, 0) / each.length, sampled: used.length };
}

const rawPrices = raw.map((m) => (JSON.parse(m.outcomePrices) as string[]).map(Number));
const withPrices = (m: MarketInfo, prices: string[]): MarketInfo => ({ ...m, outcomePrices: prices });

describe('scan-interval controller, outcomeSpread (the plan\'s formula, a named option)', () => {
  it('halves the 2 s base on the twenty real markets (their average spread of outcome prices is far above 2 %)', () => {
    const c = controller();
    expect(c.intervalMs).toBe(2_000);
    const expected = expectedVolatility(rawPrices, 10);
    expect(expected.volatility).toBeGreaterThan(0.02);
    const out = c.onSnapshot(snapshot(1_721_064_000_000, twenty));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ type: 'scan_interval', ts: 1_721_064_000_000, intervalMs: 1_000, marketsSampled: 10 });
    expect(out[0].volatility).toBeCloseTo(expected.volatility, 12);
    expect(c.state).toBe('fast');
    expect(c.intervalMs).toBe(1_000);
    // No change, no event.
    expect(c.onSnapshot(snapshot(1_721_064_001_000, twenty))).toEqual([]);
  });

  it('samples only markets with two or more outcome prices (a pre-trading market has none)', () => {
    const markets = [withPrices(twenty[0], []), ...twenty.slice(1)];
    const expected = expectedVolatility([[], ...rawPrices.slice(1)], 10);
    const [event] = controller().onSnapshot(snapshot(1, markets));
    expect(event.marketsSampled).toBe(10);
    expect(event.volatility).toBeCloseTo(expected.volatility, 12);
    // The 11th market (index 10) is in the sample now: the average differs from the plain first ten.
    expect(expected.volatility).not.toBeCloseTo(expectedVolatility(rawPrices, 10).volatility, 6);
  });

  it('compares with the threshold exactly: 0.505 / 0.495 is 2.0 % (not above), 0.506 / 0.494 is 2.4 %', () => {
    const c = controller();
    expect(c.onSnapshot(snapshot(1, twenty.map((m) => withPrices(m, ['0.505', '0.495']))))).toEqual([]);
    expect(c.state).toBe('normal');
    const [event] = c.onSnapshot(snapshot(2, twenty.map((m) => withPrices(m, ['0.506', '0.494']))));
    expect(event).toMatchObject({ intervalMs: 1_000, volatility: 0.024 });
  });

  it('returns to the base interval when the markets calm down, with an event', () => {
    const c = controller();
    c.onSnapshot(snapshot(1, twenty));
    const [event] = c.onSnapshot(snapshot(2, twenty.map((m) => withPrices(m, ['0.5', '0.5']))));
    expect(event).toMatchObject({ ts: 2, intervalMs: 2_000, volatility: 0, marketsSampled: 10 });
    expect(c.state).toBe('normal');
  });

  it('never goes below minIntervalMs', () => {
    const c = controller({ baseIntervalMs: 800, minIntervalMs: 500 });
    expect(c.onSnapshot(snapshot(1, twenty))[0].intervalMs).toBe(500);
  });

  it('an empty snapshot samples nothing and keeps the base', () => {
    const c = controller();
    expect(c.onSnapshot(snapshot(1, []))).toEqual([]);
    expect(c.intervalMs).toBe(2_000);
  });

  it('continues identically after persist() -> restore()', () => {
    const calm = twenty.map((m) => withPrices(m, ['0.5', '0.5']));
    const script = [twenty, twenty, calm, twenty].map((m, i) => snapshot(i + 1, m));
    const whole = controller();
    const expected = script.flatMap((e) => whole.onSnapshot(e));
    const first = controller();
    const head = script.slice(0, 2).flatMap((e) => first.onSnapshot(e));
    const second = controller();
    second.restore(JSON.parse(JSON.stringify(first.persist())));
    expect(second.intervalMs).toBe(1_000);
    const tail = script.slice(2).flatMap((e) => second.onSnapshot(e));
    expect(JSON.stringify([...head, ...tail])).toBe(JSON.stringify(expected));
    expect(expected.map((e) => e.intervalMs)).toEqual([1_000, 2_000, 1_000]);
  });

  it('as a supervisor strategy, reacts to market snapshots only', () => {
    const c = controller();
    expect(c.handles.has('market_snapshot')).toBe(true);
    expect(c.react(makeEvent('timer', 1, { name: 'scan' }))).toEqual([]);
    expect(c.react(snapshot(1, twenty))).toHaveLength(1);
  });
});

describeWithShared('scan-interval controller (outcomeSpread) on a real 5-minute BTC market', ['polymarket/nautilus_trader/gamma/gamma_market.json'], ([path]) => {
  it('0.505 / 0.495 (Gamma, 2026-03-12) is exactly at 2 %: the base interval stays', () => {
    const market = decodeGammaMarkets([JSON.parse(readFileSync(path, 'utf8'))], { file: path });
    expect(market[0].outcomePrices).toEqual(['0.505', '0.495']);
    const c = controller();
    expect(c.onSnapshot(snapshot(1, market))).toEqual([]);
    expect(c.intervalMs).toBe(2_000);
  });
});

/** Each market's outcome prices scaled by `factor` (a move of every sampled mid by factor - 1). */
const moved = (markets: MarketInfo[], factor: string): MarketInfo[] => markets.map((m) => withPrices(m, m.outcomePrices.map((p) => new Big(p).times(factor).toString())));

describe('scan-interval controller, priceMove (the default)', () => {
  it('is the default measure', () => {
    expect(scanSchema.parse({}).volatilityMeasure).toBe('priceMove');
  });

  it('keeps the base interval on the twenty real one-sided markets fetched again and again unchanged (outcomeSpread would halve it)', () => {
    const c = moveController();
    for (let i = 0; i < 5; i++) expect(c.onSnapshot(snapshot(1_721_064_000_000 + i * 2_000, twenty))).toEqual([]);
    expect(c.intervalMs).toBe(2_000);
    expect(c.state).toBe('normal');
    expect(controller().onSnapshot(snapshot(1, twenty))[0].intervalMs).toBe(1_000);
  });

  it('halves the interval when the sampled mids move 3 % between two fetches, with the figure, and returns when they stay', () => {
    const c = moveController();
    expect(c.onSnapshot(snapshot(1_000, twenty))).toEqual([]);
    const [fast] = c.onSnapshot(snapshot(3_000, moved(twenty, '1.03')));
    expect(fast).toMatchObject({ type: 'scan_interval', ts: 3_000, intervalMs: 1_000, marketsSampled: 10 });
    // The mid of a market without quotes is its first outcome price: every sampled one moved by exactly 3 %.
    expect(fast.volatility).toBe(0.03);
    expect(c.state).toBe('fast');
    const [back] = c.onSnapshot(snapshot(4_000, moved(twenty, '1.03')));
    expect(back).toMatchObject({ ts: 4_000, intervalMs: 2_000, volatility: 0, marketsSampled: 10 });
  });

  it('compares with the threshold exactly: a 2 % move is not above it, 2.1 % is', () => {
    const at = (prices: string) => twenty.map((m) => withPrices(m, [prices, '0.5']));
    const c = moveController();
    c.onSnapshot(snapshot(1, at('0.5')));
    expect(c.onSnapshot(snapshot(2, at('0.51')))).toEqual([]);
    expect(c.onSnapshot(snapshot(3, at('0.52071')))[0]).toMatchObject({ intervalMs: 1_000, volatility: 0.021 });
  });

  it('a snapshot from the same fetch as the last (a cache hit) measures nothing', () => {
    const c = moveController();
    const fetched = (ts: number, fetchedAt: number, markets: MarketInfo[]) => ({ ...snapshot(ts, markets), fetchedAt });
    c.onSnapshot(fetched(1_000, 1_000, twenty));
    expect(c.onSnapshot(fetched(2_000, 2_000, moved(twenty, '0.9')))[0].intervalMs).toBe(1_000);
    expect(c.onSnapshot(fetched(3_000, 2_000, moved(twenty, '0.9')))).toEqual([]);
    expect(c.state).toBe('fast');
  });

  it('reads the mid from best bid and ask when both are quoted', () => {
    const quoted = (bid: string, ask: string) => [{ ...twenty[0], bestBid: bid, bestAsk: ask }];
    const c = moveController();
    c.onSnapshot(snapshot(1, quoted('0.49', '0.51')));
    const [event] = c.onSnapshot(snapshot(2, quoted('0.52', '0.54')));
    expect(event).toMatchObject({ intervalMs: 1_000, volatility: 0.06, marketsSampled: 1 });
  });

  it('never goes below minIntervalMs', () => {
    const c = moveController({ baseIntervalMs: 800, minIntervalMs: 500 });
    c.onSnapshot(snapshot(1, twenty));
    expect(c.onSnapshot(snapshot(2, moved(twenty, '1.05')))[0].intervalMs).toBe(500);
  });

  it('continues identically after persist() -> restore()', () => {
    const script = [twenty, moved(twenty, '1.03'), moved(twenty, '1.03'), twenty].map((m, i) => snapshot(i + 1, m));
    const whole = moveController();
    const expected = script.flatMap((e) => whole.onSnapshot(e));
    const first = moveController();
    const head = script.slice(0, 2).flatMap((e) => first.onSnapshot(e));
    const second = moveController();
    second.restore(JSON.parse(JSON.stringify(first.persist())));
    const tail = script.slice(2).flatMap((e) => second.onSnapshot(e));
    expect(JSON.stringify([...head, ...tail])).toBe(JSON.stringify(expected));
    expect(expected.map((e) => e.intervalMs)).toEqual([1_000, 2_000, 1_000]);
  });
});

describeWithShared('scan-interval controller on recorded decided 5-minute BTC markets', ['polymarket/ligengxin96/BTC-5m-markets-2026-07-24.jsonl.gz'], ([path]) => {
  it('a list of resolved (1 / 0) markets fetched again keeps the base under priceMove; outcomeSpread reads 200 %', () => {
    const rows = gunzipSync(readFileSync(path)).toString('utf8').trim().split('\n').slice(0, 20).map((l) => JSON.parse(l) as { raw: unknown });
    const markets = decodeGammaMarkets(rows.map((r) => r.raw), { file: path });
    expect(markets.every((m) => m.closed)).toBe(true);
    const c = moveController();
    for (let i = 0; i < 3; i++) expect(c.onSnapshot(snapshot(i * 2_000, markets))).toEqual([]);
    expect(c.intervalMs).toBe(2_000);
    const [spread] = controller().onSnapshot(snapshot(0, markets));
    expect(spread).toMatchObject({ intervalMs: 1_000, marketsSampled: 10 });
    expect(spread.volatility).toBeGreaterThan(1.5);
  });
});

describe('scan-interval controller: its step is the machine\'s', () => {
  /** The real machine as an XState actor, beside the controller (which steps it without the interpreter). */
  function expectSameAsActor(params: Partial<ReturnType<typeof scanSchema.parse>>, events: MarketSnapshotEvent[]): number {
    const input = scanIntervalInput(scanSchema.parse(params));
    const actor = createActor(scanIntervalMachine, { input });
    const emitted: unknown[] = [];
    actor.on('scan_interval', (e) => emitted.push(e));
    actor.start();
    const c = new ScanIntervalController(input);
    let changes = 0;
    for (const e of events) {
      emitted.length = 0;
      actor.send({ type: 'SNAPSHOT', ts: e.ts, fetchedAt: e.fetchedAt, markets: e.markets });
      const out = c.onSnapshot(e);
      expect(out.map(({ type: _t, ts: _ts, v: _v, seq: _s, ...body }) => ({ type: 'scan_interval', ...body }))).toEqual(emitted);
      expect(c.persist()).toEqual(actor.getPersistedSnapshot());
      // The same context keys in the same order (the controller copies its context by a literal of its keys).
      expect(JSON.stringify((c.persist() as { context: unknown }).context)).toBe(JSON.stringify((actor.getPersistedSnapshot() as { context?: unknown }).context));
      changes += out.length;
    }
    return changes;
  }

  const quotes = modelEvents(demoTrades()).filter((e): e is MarketSnapshotEvent => e.type === 'market_snapshot');

  it('on every model snapshot of the demo file (state, context and what it emits, at each step)', () => {
    expect(quotes.length).toBeGreaterThan(500);
    const changes = expectSameAsActor({}, quotes);
    // The model's mids move a cent at a time: the state flips often, both ways.
    expect(changes).toBeGreaterThan(50);
    expect(expectSameAsActor({ volatilityThreshold: 0.005 }, quotes)).toBeGreaterThan(0);
    expect(expectSameAsActor({ volatilityMeasure: 'outcomeSpread', volatilityThreshold: 0.5 }, quotes)).toBeGreaterThan(0);
  });

  it('on cache hits, exact thresholds, a base at the minimum and no markets', () => {
    const fetched = (ts: number, fetchedAt: number, markets: MarketInfo[]) => ({ ...snapshot(ts, markets), fetchedAt });
    const at = (prices: string) => twenty.map((m) => withPrices(m, [prices, '0.5']));
    const script = [fetched(1, 1, twenty), fetched(2, 2, moved(twenty, '0.9')), fetched(3, 2, twenty), snapshot(4, at('0.5')), snapshot(5, at('0.51')), snapshot(6, at('0.52071')), snapshot(7, []), snapshot(8, twenty)];
    expect(expectSameAsActor({}, script)).toBeGreaterThan(1);
    expect(expectSameAsActor({ baseIntervalMs: 500, minIntervalMs: 500 }, script)).toBeGreaterThan(1);
    expect(expectSameAsActor({ volatilityMeasure: 'outcomeSpread' }, script)).toBeGreaterThan(1);
  });

  it('an inspected controller (every snapshot through a live actor) says the same and restores from the other', () => {
    const inspected = ScanIntervalController.fromConfig(scanSchema.parse({}), () => undefined);
    const plain = moveController();
    const head = quotes.slice(0, 200);
    expect(head.flatMap((e) => inspected.onSnapshot(e))).toEqual(head.flatMap((e) => plain.onSnapshot(e)));
    const resumed = ScanIntervalController.fromConfig(scanSchema.parse({}), () => undefined);
    resumed.restore(JSON.parse(JSON.stringify(plain.persist())));
    const tail = quotes.slice(200, 400);
    expect(tail.flatMap((e) => resumed.onSnapshot(e))).toEqual(tail.flatMap((e) => plain.onSnapshot(e)));
    expect(resumed.persist()).toEqual(plain.persist());
  });
});

describe('priceMove in integers is big.js\'s', () => {
  /** The big.js computation it replaces. */
  function bigMove(before: Record<string, string>, now: Record<string, string>) {
    let sum = new Big(0);
    let n = 0;
    for (const [id, mid] of Object.entries(now)) {
      const prev = before[id];
      if (prev === undefined) continue;
      sum = sum.plus(new Big(mid).minus(prev).abs().div(prev));
      n++;
    }
    return { volatility: n === 0 ? '0' : sum.div(n).toString(), marketsSampled: n };
  }

  it('on every pair of consecutive model mids of the demo file', () => {
    const lists = modelEvents(demoTrades())
      .filter((e): e is MarketSnapshotEvent => e.type === 'market_snapshot')
      .map((e) => sampleMids(e.markets, 10));
    for (let i = 1; i < lists.length; i++) expect(priceMove(lists[i - 1], lists[i])).toEqual(bigMove(lists[i - 1], lists[i]));
  });

  it('on random decimals of every size, one to seven markets, and other notations', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const decimal = () => {
      const digits = 1 + Math.floor(rand() * 12);
      const v = Math.floor(rand() * 10 ** digits) + 1;
      return new Big(v).div(new Big(10).pow(Math.floor(rand() * 16))).toString();
    };
    for (let i = 0; i < 3000; i++) {
      const markets = 1 + Math.floor(rand() * 7);
      const before: Record<string, string> = {};
      const now: Record<string, string> = {};
      for (let m = 0; m < markets; m++) {
        before[`m${m}`] = decimal();
        now[`m${m}`] = rand() < 0.3 ? before[`m${m}`] : rand() < 0.5 ? decimal() : new Big(before[`m${m}`]).times(1 + Math.floor(rand() * 3) / 1000).toString();
      }
      expect(priceMove(before, now)).toEqual(bigMove(before, now));
    }
    for (const [a, b] of [['0.5', '0.50'], ['1e-7', '2e-7'], ['0.00000001', '0.00000003'], ['3', '1e+3'], ['0.3', '0.30000000000000000001'], ['1', '1e22']]) {
      expect(priceMove({ x: a }, { x: b })).toEqual(bigMove({ x: a }, { x: b }));
      expect(priceMove({ x: b }, { x: a })).toEqual(bigMove({ x: b }, { x: a }));
    }
  });
});
