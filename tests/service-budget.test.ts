import Big from 'big.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../actors/config/load';
import { TradingService } from '../actors/service/service';
import { fifteenMinSlug, parseFifteenMinSlug, WINDOW_SEC, type UpDownAsset } from '../actors/venues/polymarket/fifteenMinMarkets';
import { readAllEvents } from '../events/log';
import type { AnyEvent } from '../events/types';
import { seededRandom } from './chaos/support/random';
import { PolymarketServer, standardFaults, twentyMarkets, upDownWindowEvent, type Arrival } from './support/polymarketServer';
import { ScaledClock } from './support/scaledClock';

/**
 * The live service at default settings against a loopback Gamma that counts what arrives: the
 * request budget seen from outside. Time runs 10x faster than the wall (`ScaledClock`), so the
 * default TTLs, backoff and 15-minute windows are exercised in simulated minutes.
 */
const SPEED = 10;
const MIN = 60_000;
const ASSETS: UpDownAsset[] = ['BTC', 'ETH', 'SOL', 'XRP'];
/** A window start (2026-07-24 00:00 UTC). */
const W0 = 1_784_851_200_000;
const quiet = pino({ level: 'silent' });
/** Arrivals are stamped at the server: two requests a TTL apart at the client may arrive this much closer (100 ms wall). */
const LATENCY_SLACK_MS = 1_000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-budget-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  server: PolymarketServer;
  clock: ScaledClock;
  svc: TradingService;
  logPath: string;
}

/** Gamma lists windows that opened by `listedAt(startSec)` on the service's clock. */
async function startRun(at: number, o: { listedFrom: (startMs: number) => number; faultRate?: number; marketData?: Record<string, number> }): Promise<Run> {
  const clock = new ScaledClock(at, SPEED);
  const server = await PolymarketServer.start();
  server.arrivalClock = clock;
  server.markets = twentyMarkets();
  server.eventFor = (slug) => {
    const w = parseFifteenMinSlug(slug);
    return w && clock.now() >= o.listedFrom(w.startSec * 1000) ? upDownWindowEvent(w.asset.toLowerCase() as 'btc', w.startSec) : undefined;
  };
  server.faultRate = o.faultRate ?? 0;
  // A hang outlasts the 5 s (simulated) request timeout.
  server.randomFaults = standardFaults(6_000 / SPEED + 200);
  server.random = seededRandom(18);
  const config = parseConfig({ feeds: { gammaUrl: server.url, clobUrl: server.url }, marketData: o.marketData ?? {} });
  const logPath = join(dir, 'events.jsonl');
  const svc = new TradingService({ config, logPath, env: {}, logger: quiet, clock, random: seededRandom(7), disable: { binance: true, clobWs: true, rtds: true } });
  await svc.start();
  return { server, clock, svc, logPath };
}

async function stopRun(r: Run): Promise<AnyEvent[]> {
  await r.svc.stop('test');
  await r.server.close();
  return (await readAllEvents(r.logPath)).records.map((x) => x.event);
}

const gammaArrivals = (arrivals: Arrival[], from: number, to: number) => arrivals.filter((a) => a.at >= from && a.at < to && (a.path.startsWith('/markets') || a.path.startsWith('/events')));

describe('the service request budget, counted by a loopback Gamma', () => {
  for (const faultRate of [0, 0.3]) {
    it(`stays within 50 Gamma requests a minute in steady state${faultRate ? ' with 30 % of answers 429, 500, hangs or truncated' : ''}, /markets at most once per TTL, no CLOB REST`, async () => {
      const start = W0 + 120_000;
      const r = await startRun(start, { listedFrom: (s) => s - 86_400_000, faultRate });
      const from = start + 20_000;
      const to = from + 2 * MIN;
      try {
        await r.clock.until(to);
      } finally {
        await stopRun(r);
      }
      const seen = gammaArrivals(r.server.arrivals, from, to);
      const perMin = seen.length / 2;
      expect(perMin).toBeLessThanOrEqual(50);
      expect(perMin).toBeGreaterThan(0);
      if (faultRate === 0) {
        // One list per 2 s TTL at most (it is asked each scan); the 15-minute markets were found before `from`.
        const lists = seen.filter((a) => a.path.startsWith('/markets?closed=false'));
        expect(lists.length).toBeLessThanOrEqual(2 * MIN / 2_000);
        for (let i = 1; i < lists.length; i++) expect(lists[i].at - lists[i - 1].at).toBeGreaterThanOrEqual(2_000 - LATENCY_SLACK_MS);
        expect(seen.filter((a) => a.path.startsWith('/events/slug/'))).toEqual([]);
      }
      expect(r.server.count('/book')).toBe(0);
    }, 60_000);
  }

  it('with Gamma failing every request, backs off within the budget; gammaRequestsPerMinute caps any 60 s', async () => {
    for (const cap of [50, 12]) {
      const start = W0 + 120_000;
      const r = await startRun(start, { listedFrom: (s) => s - 86_400_000, faultRate: 1, marketData: { gammaRequestsPerMinute: cap } });
      r.server.randomFaults = [{ status: 500 }];
      try {
        await r.clock.until(start + 2 * MIN);
      } finally {
        await stopRun(r);
      }
      const at = gammaArrivals(r.server.arrivals, 0, Infinity).map((a) => a.at);
      for (let i = 0; i < at.length; i++) expect(at.filter((t) => t >= at[i] && t < at[i] + MIN).length).toBeLessThanOrEqual(cap);
      if (cap === 12) expect(at.length).toBeGreaterThanOrEqual(12);
    }
  }, 60_000);

  it('asks a slug Gamma does not list no more than once per notListedTtlMs (60 s)', async () => {
    const start = W0 + 60_000;
    const r = await startRun(start, { listedFrom: () => Infinity });
    const to = start + 150_000;
    try {
      await r.clock.until(to);
    } finally {
      await stopRun(r);
    }
    for (const asset of ASSETS) {
      const slug = fifteenMinSlug(asset, W0 / 1000);
      const asked = r.server.arrivals.filter((a) => a.path === `/events/slug/${slug}`).map((a) => a.at);
      // At start, after 60 s and after 120 s: three times in 150 s, each a TTL apart (as stamped on arrival:
      // less the difference of two loopback latencies, at most a second of this clock on a loaded machine).
      expect(asked.length).toBe(3);
      for (let i = 1; i < asked.length; i++) expect(asked[i] - asked[i - 1]).toBeGreaterThanOrEqual(60_000 - LATENCY_SLACK_MS);
    }
  }, 60_000);

  for (const listed of ['a day ahead', 'only once open'] as const) {
    it(`finds the next 15-minute window within a scan of its opening (Gamma lists windows ${listed})`, async () => {
      const next = W0 + WINDOW_SEC * 1000;
      const r = await startRun(next - 50_000, { listedFrom: listed === 'a day ahead' ? (s) => s - 86_400_000 : (s) => s });
      let events: AnyEvent[];
      try {
        await r.clock.until(next + 10_000);
      } finally {
        events = await stopRun(r);
      }
      const snapshots = events.filter((e) => e.type === 'market_snapshot');
      const slugsOf = (e: AnyEvent) => (e.type === 'market_snapshot' ? e.markets.map((m) => m.slug).filter((s) => parseFifteenMinSlug(s)) : []);
      const nextSlugs = ASSETS.map((a) => fifteenMinSlug(a, next / 1000));
      for (const s of snapshots.filter((e) => e.ts < next)) expect(slugsOf(s)).toEqual(ASSETS.map((a) => fifteenMinSlug(a, W0 / 1000)));
      const firstOpen = snapshots.find((e) => e.ts >= next)!;
      expect(firstOpen.ts - next).toBeLessThan(2_000 + 500);
      expect(slugsOf(firstOpen)).toEqual(nextSlugs);
      // Looked up once per asset: prefetched 30 s ahead, or (not listed yet then) once more at the opening.
      for (const slug of nextSlugs) {
        const asked = r.server.arrivals.filter((a) => a.path === `/events/slug/${slug}`);
        expect(asked.length).toBe(listed === 'a day ahead' ? 1 : 2);
        expect(asked[0].at).toBeGreaterThanOrEqual(next - 31_000);
        expect(asked[0].at).toBeLessThan(next);
      }
    }, 60_000);
  }

  it('logs a scan_interval event with its figures when the listed prices move over 2 %, and another when they stop', async () => {
    const start = W0 + 120_000;
    const r = await startRun(start, { listedFrom: (s) => s - 86_400_000 });
    const base = twentyMarkets();
    let events: AnyEvent[];
    try {
      await r.clock.until(start + 15_000);
      // Every listed market's first outcome price up 3 %: the mids of the ten sampled markets move 3 %.
      r.server.markets = base.map((m) => {
        const prices = JSON.parse(m.outcomePrices as string) as string[];
        return { ...m, outcomePrices: JSON.stringify([new Big(prices[0]).times('1.03').toString(), prices[1]]) };
      });
      await r.clock.until(start + 30_000);
    } finally {
      events = await stopRun(r);
    }
    const changes = events.filter((e) => e.type === 'scan_interval');
    expect(changes.map((e) => e.type === 'scan_interval' && [e.intervalMs, e.marketsSampled])).toEqual([
      [1_000, 10],
      [2_000, 10],
    ]);
    const [fast, calm] = changes as Extract<AnyEvent, { type: 'scan_interval' }>[];
    expect(fast.volatility).toBeCloseTo(0.03, 12);
    expect(calm.volatility).toBe(0);
    expect(fast.ts).toBeGreaterThan(start + 15_000);
  }, 60_000);
});
