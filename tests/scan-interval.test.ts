import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanSchema } from '../actors/config/schema';
import { ScanIntervalController } from '../actors/strategies/scanInterval';
import { decodeGammaMarkets } from '../actors/venues/polymarket/gammaParse';
import { makeEvent, type MarketInfo } from '../events/types';
import { FIXTURES, describeWithShared } from './support/shared';

/** Gamma `/markets` as Polymarket/agents recorded it on 2024-07-15 (MIT; tests/fixtures/SOURCES.md). */
const TWENTY = join(FIXTURES, 'polymarket/twenty_markets.json');
const raw = JSON.parse(readFileSync(TWENTY, 'utf8')) as { outcomePrices: string }[];
const twenty = decodeGammaMarkets(raw, { file: TWENTY });

const snapshot = (ts: number, markets: MarketInfo[]) => makeEvent('market_snapshot', ts, { source: 'gamma', request: '/markets?closed=false&limit=100', markets });
const controller = (over: Partial<ReturnType<typeof scanSchema.parse>> = {}) => ScanIntervalController.fromConfig(scanSchema.parse(over));

/** (max - min) / mean per market over the first n with two or more prices, averaged: plain numbers, from the raw JSON. */
function expectedVolatility(pricesPerMarket: number[][], n: number): { volatility: number; sampled: number } {
  const used = pricesPerMarket.filter((p) => p.length >= 2).slice(0, n);
  const each = used.map((p) => (Math.max(...p) - Math.min(...p)) / (p.reduce((a, b) => a + b, 0) / p.length));
  return { volatility: each.reduce((a, b) => a + b, 0) / each.length, sampled: used.length };
}

const rawPrices = raw.map((m) => (JSON.parse(m.outcomePrices) as string[]).map(Number));
const withPrices = (m: MarketInfo, prices: string[]): MarketInfo => ({ ...m, outcomePrices: prices });

describe('scan-interval controller', () => {
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

describeWithShared('scan-interval controller on a real 5-minute BTC market', ['polymarket/nautilus_trader/gamma/gamma_market.json'], ([path]) => {
  it('0.505 / 0.495 (Gamma, 2026-03-12) is exactly at 2 %: the base interval stays', () => {
    const market = decodeGammaMarkets([JSON.parse(readFileSync(path, 'utf8'))], { file: path });
    expect(market[0].outcomePrices).toEqual(['0.505', '0.495']);
    const c = controller();
    expect(c.onSnapshot(snapshot(1, market))).toEqual([]);
    expect(c.intervalMs).toBe(2_000);
  });
});
