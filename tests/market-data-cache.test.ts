import { configSchema } from '../actors/config/schema';
import { createMarketData, type MarketData } from '../actors/marketData/createMarketData';
import { StaleDataError, TtlCache } from '../actors/marketData/ttlCache';
import { validateEvent } from '../events/validate';
import { PolymarketServer, assembledNegRiskEvent, twentyMarkets } from './support/polymarketServer';
import { SteppedClock } from './support/steppedClock';

let server: PolymarketServer;
let clock: SteppedClock;
let md: MarketData;

const TTL = 2_000;
const MAX_STALE = 10_000;
const query = { closed: false, limit: 100, offset: 0 };

beforeEach(async () => {
  server = await PolymarketServer.start();
  server.markets = twentyMarkets();
  server.events = [assembledNegRiskEvent()];
  clock = new SteppedClock();
  const config = configSchema.parse({
    feeds: { gammaUrl: server.url, clobUrl: server.url, httpTimeoutMs: 300 },
    marketData: { cacheTtlMs: TTL, maxStaleMs: MAX_STALE, retries: 1, retryBaseMs: 5 },
  });
  md = createMarketData(config, { clock, random: () => 0.5 });
});
afterEach(() => server.close());

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('market-data cache', () => {
  it('shares one request among concurrent callers of the same list', async () => {
    const got = await Promise.all(Array.from({ length: 5 }, () => md.service.markets(query)));
    expect(server.count('/markets')).toBe(1);
    expect(md.counter.total('gamma:/markets')).toBe(1);
    expect(new Set(got.map((g) => g.value)).size).toBe(1);
    expect(got[0].value.map((m) => m.id)).toEqual(twentyMarkets().map((m) => m.id));
    expect(got[0].fetchedAt).toBe(clock.now());
  });

  it('keeps different lists apart', async () => {
    await Promise.all([md.service.markets(query), md.service.events({ closed: false }), md.service.markets({ ...query, limit: 5 })]);
    expect(server.count('/markets')).toBe(2);
    expect(server.count('/events')).toBe(1);
  });

  it('serves from cache until the TTL has passed, then fetches again', async () => {
    const first = await md.service.markets(query);
    clock.step(TTL - 1);
    const cached = await md.service.markets(query);
    expect(server.count('/markets')).toBe(1);
    expect([cached.fetchedAt, cached.ageMs, cached.stale]).toEqual([first.fetchedAt, TTL - 1, false]);
    clock.step(1);
    const again = await md.service.markets(query);
    expect(server.count('/markets')).toBe(2);
    expect([again.fetchedAt, again.ageMs]).toEqual([first.fetchedAt + TTL, 0]);
  });

  it('serves the stale list while younger than maxStaleMs when refreshes fail, and refuses it after', async () => {
    const first = await md.service.markets(query);
    clock.step(MAX_STALE - 1);
    server.fail('/markets', { status: 500 }, { status: 429, headers: { 'retry-after': '0' } });
    const [a, b] = await Promise.all([md.service.markets(query), md.service.markets(query)]);
    expect(server.count('/markets')).toBe(3); // first fetch + one refresh with its one retry, shared by both callers
    for (const got of [a, b]) {
      expect(got.stale).toBe(true);
      expect(got.value).toBe(first.value);
      expect(got.ageMs).toBe(MAX_STALE - 1);
      expect(got.error).toContain('http_429');
    }
    // Within one TTL of the failed refresh nothing asks Gamma again: the held list, now too old, is refused.
    clock.step(1);
    const err = await rejection(md.service.markets(query));
    expect(err).toBeInstanceOf(StaleDataError);
    expect((err as StaleDataError).ageMs).toBe(MAX_STALE);
    expect(err.message).toContain('/markets?closed=false&limit=100&offset=0');
    expect(server.count('/markets')).toBe(3);
    // One TTL after it, the next refresh is sent (and fails again: still refused).
    clock.step(TTL);
    server.fail('/markets', { status: 500 }, { status: 500 });
    await expect(md.scan()).rejects.toBeInstanceOf(StaleDataError);
    expect(server.count('/markets')).toBe(5);
  });

  it('asks a list at most once per TTL also when its refreshes fail, and serves it again once one succeeds', async () => {
    const first = await md.service.markets(query);
    clock.step(TTL);
    server.fail('/markets', { status: 500 }, { status: 500 });
    expect((await md.service.markets(query)).stale).toBe(true);
    expect(server.count('/markets')).toBe(3);
    for (let i = 0; i < 5; i++) {
      clock.step(TTL / 5 - 1);
      const held = await md.service.markets(query);
      expect([held.stale, held.fetchedAt]).toEqual([true, first.fetchedAt]);
      expect(held.error).toContain('http_5xx');
    }
    expect(server.count('/markets')).toBe(3);
    clock.step(5);
    const fresh = await md.service.markets(query);
    expect([fresh.stale, fresh.ageMs, server.count('/markets')]).toEqual([false, 0, 4]);
  });

  it('backs off a list whose refreshes keep failing: asked again 2, 4, 8, then every 10 s (maxStaleMs), each refresh with its retry', async () => {
    await md.service.markets(query);
    server.faultRate = 1;
    server.randomFaults = [{ status: 500 }];
    const refreshedAt: number[] = [];
    let sent = server.count('/markets');
    for (let t = 500; t <= 40_000; t += 500) {
      clock.step(500);
      await md.service.markets(query).catch(() => undefined);
      if (server.count('/markets') > sent) refreshedAt.push(t);
      expect([0, 2]).toContain(server.count('/markets') - sent);
      sent = server.count('/markets');
    }
    expect(refreshedAt).toEqual([2_000, 4_000, 8_000, 16_000, 26_000, 36_000]);
  });

  it('fails clearly when the first fetch fails (nothing to fall back on)', async () => {
    server.fail('/markets', { delayMs: 600 }, { delayMs: 600 });
    const err = await rejection(md.service.markets(query));
    expect(err).toBeInstanceOf(StaleDataError);
    expect(err.message).toMatch(/timeout.*no earlier value is held/);
  });

  it('falls back to the stale list when an answer has a malformed field, naming it', async () => {
    await md.service.markets(query);
    clock.step(TTL);
    const broken = twentyMarkets();
    broken[4].negRisk = 'maybe';
    server.markets = broken;
    const got = await md.service.markets(query);
    expect(got.stale).toBe(true);
    expect(got.error).toContain("field '[4].negRisk'");
  });

  it('turns a scan into a market_snapshot input event stamped with the clock', async () => {
    const e1 = await md.scan();
    expect([e1.type, e1.source, e1.request, e1.ts, e1.fetchedAt]).toEqual(['market_snapshot', 'gamma', '/markets?closed=false&limit=100&offset=0', clock.now(), clock.now()]);
    expect(e1.markets.length).toBe(20);
    expect(() => validateEvent(JSON.parse(JSON.stringify(e1)), { file: 'scan' })).not.toThrow();
    clock.step(1_000);
    const e2 = await md.scan();
    expect(e2.ts - e2.fetchedAt!).toBe(1_000);
    expect(server.count('/markets')).toBe(1);
  });
});

describe('TtlCache bounds', () => {
  it('holds at most maxEntries keys, dropping the oldest fetched', async () => {
    const c = new SteppedClock(0);
    const cache = new TtlCache<number>({ clock: c, ttlMs: 10, maxStaleMs: 10, maxEntries: 2 });
    for (const key of ['a', 'b', 'c']) {
      await cache.get(key, async () => ({ value: 1, fetchedAt: c.now() }));
      c.step(1);
    }
    expect(cache.size).toBe(2);
    expect(cache.peek('a')).toBeUndefined();
    expect(cache.peek('c')?.ageMs).toBe(1);
  });

  it('refuses a stale bound shorter than the TTL', () => {
    expect(() => new TtlCache<number>({ clock: new SteppedClock(), ttlMs: 10, maxStaleMs: 5 })).toThrow(RangeError);
  });
});
