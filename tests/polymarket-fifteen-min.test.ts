import { readFileSync } from 'node:fs';
import { configSchema } from '../actors/config/schema';
import { createMarketData, type MarketData } from '../actors/marketData/createMarketData';
import { FifteenMinDiscovery } from '../actors/marketData/fifteenMinDiscovery';
import { discoverFifteenMin, fifteenMinSlug, parseFifteenMinSlug, windowStartSec } from '../actors/venues/polymarket/fifteenMinMarkets';
import { InputError } from '../events/errors';
import { PolymarketServer, twentyMarkets, upDownWindowEvent } from './support/polymarketServer';
import { describeWithShared } from './support/shared';
import { SteppedClock } from './support/steppedClock';

type Raw = Record<string, unknown>;

describe('15-minute window slugs', () => {
  it('names the window holding a time by its start in unix seconds, divisible by 900', () => {
    const start = 1_765_450_800; // 2025-12-11 11:00:00 UTC
    expect(start % 900).toBe(0);
    for (const offsetMs of [0, 1, 450_000, 899_999]) expect(windowStartSec(start * 1000 + offsetMs)).toBe(start);
    expect(windowStartSec(start * 1000 + 900_000)).toBe(start + 900);
    expect(fifteenMinSlug('BTC', start)).toBe('btc-updown-15m-1765450800');
    expect(parseFifteenMinSlug('sol-updown-15m-1765450800')).toEqual({ asset: 'SOL', startSec: start });
    expect(parseFifteenMinSlug('btc-updown-5m-1765450800')).toBeNull();
    expect(parseFifteenMinSlug('btc-updown-15m-1765450801')).toBeNull();
    expect(() => fifteenMinSlug('ETH', start + 60)).toThrow(RangeError);
  });
});

async function withMarketData(events: Raw[], body: (md: MarketData, server: PolymarketServer, clock: SteppedClock) => Promise<void>, nowMs: number): Promise<void> {
  const server = await PolymarketServer.start();
  try {
    server.events = events;
    server.markets = events.flatMap((e) => e.markets as Raw[]);
    const clock = new SteppedClock(nowMs);
    const config = configSchema.parse({ feeds: { gammaUrl: server.url, clobUrl: server.url }, marketData: { retries: 0 } });
    await body(createMarketData(config, { clock, random: () => 0.5 }), server, clock);
  } finally {
    await server.close();
  }
}

describe('15-minute discovery against a loopback Gamma', () => {
  const start = 1_765_450_800;
  /** A market in the Up/Down shape, built from a real recorded market's fields. */
  function upDownEvent(asset: string, outcomes: string[]): Raw {
    const slug = `${asset}-updown-15m-${start}`;
    const market: Raw = { ...twentyMarkets()[0], slug, outcomes: JSON.stringify(outcomes), endDate: new Date((start + 900) * 1000).toISOString() };
    delete market.events;
    return { id: `e-${asset}`, slug, negRisk: false, markets: [market] };
  }

  it('finds the market by event slug, falls back to /markets?slug=, and names Up and Down tokens', async () => {
    const btc = upDownEvent('btc', ['Up', 'Down']);
    await withMarketData([btc], async (md, server) => {
      const found = await discoverFifteenMin(md.service, ['BTC', 'ETH'], start * 1000 + 300_000);
      expect(found.map((f) => f.slug)).toEqual(['btc-updown-15m-1765450800']);
      const tokens = JSON.parse((btc.markets as Raw[])[0].clobTokenIds as string) as string[];
      expect([found[0].upTokenId, found[0].downTokenId]).toEqual(tokens);
      expect([found[0].startTs, found[0].endTs]).toEqual([start * 1000, (start + 900) * 1000]);
      expect(server.arrivals.map((a) => a.path).sort()).toEqual(['/events/slug/btc-updown-15m-1765450800', '/events/slug/eth-updown-15m-1765450800', '/markets?slug=eth-updown-15m-1765450800'].sort());
    }, start * 1000 + 300_000);
  });

  it('asks Gamma once per slug within the cache TTL', async () => {
    await withMarketData([upDownEvent('btc', ['Up', 'Down'])], async (md, server, clock) => {
      await discoverFifteenMin(md.service, ['BTC'], clock.now());
      clock.step(1_000);
      await discoverFifteenMin(md.service, ['BTC'], clock.now());
      expect(server.count('/events/slug/')).toBe(1);
    }, start * 1000);
  });

  it('rejects a market under an Up/Down slug whose outcomes are not Up/Down', async () => {
    await withMarketData([upDownEvent('btc', ['Yes', 'No'])], async (md, _server, clock) => {
      await expect(discoverFifteenMin(md.service, ['BTC'], clock.now())).rejects.toBeInstanceOf(InputError);
    }, start * 1000);
  });
});

describe('FifteenMinDiscovery (the live service: once per window)', () => {
  const start = 1_765_450_800;
  const md = (server: PolymarketServer, clock: SteppedClock) =>
    createMarketData(configSchema.parse({ feeds: { gammaUrl: server.url, clobUrl: server.url, httpTimeoutMs: 300 }, marketData: { retries: 0 } }), { clock, random: () => 0.5 });

  it('keeps a found market for its window, backs off failed lookups (2, 4, 8 s) and says why', async () => {
    const server = await PolymarketServer.start();
    try {
      const clock = new SteppedClock(start * 1000 + 1_000);
      const errors: string[] = [];
      const d = new FifteenMinDiscovery({ source: md(server, clock).gamma, clock, assets: ['BTC'], notListedTtlMs: 60_000, retryMs: 2_000, prefetchMs: 30_000, onError: (slug) => errors.push(slug) });
      const slug = `/events/slug/btc-updown-15m-${start}`;
      const askedAt: number[] = [];
      server.faultRate = 1;
      server.randomFaults = [{ status: 500 }];
      for (let t = 0; t <= 16_000; t += 1_000) {
        const before = server.count(slug);
        expect(await d.current()).toEqual([]);
        if (server.count(slug) > before) askedAt.push(t);
        clock.step(1_000);
      }
      expect(askedAt).toEqual([0, 2_000, 6_000, 14_000]);
      expect(errors).toEqual(Array(4).fill(`btc-updown-15m-${start}`));
      server.faultRate = 0;
      server.eventFor = (s) => (s === `btc-updown-15m-${start}` ? upDownWindowEvent('btc', start) : undefined);
      clock.step(16_000);
      const [found] = await d.current();
      expect(found.slug).toBe(`btc-updown-15m-${start}`);
      const asked = server.arrivals.length;
      for (let i = 0; i < 10; i++) {
        clock.step(60_000);
        expect((await d.current()).map((f) => f.slug)).toEqual([found.slug]);
      }
      expect(server.arrivals.length).toBe(asked);
    } finally {
      await server.close();
    }
  });
});

describeWithShared('15-minute discovery on recorded Up/Down events (yongkangc, read from ../shared)', ['polymarket/yongkangc/updown_markets_sample.json'], ([path]) => {
  it('finds the BTC, ETH and SOL 15-minute markets of the recorded window and none for XRP', async () => {
    const events = JSON.parse(readFileSync(path, 'utf8')) as Raw[];
    const fifteen = events.filter((e) => /-updown-15m-/.test(e.slug as string));
    const startSec = Number((fifteen[0].slug as string).split('-').pop());
    await withMarketData(events, async (md) => {
      const found = await discoverFifteenMin(md.service, ['BTC', 'ETH', 'SOL', 'XRP'], startSec * 1000 + 60_000);
      expect(found.map((f) => f.asset)).toEqual(['BTC', 'ETH', 'SOL']);
      for (const f of found) {
        const raw = (fifteen.find((e) => e.slug === f.slug)!.markets as Raw[])[0];
        expect([f.upTokenId, f.downTokenId]).toEqual(JSON.parse(raw.clobTokenIds as string));
        expect(f.endTs).toBe(Date.parse(raw.endDate as string));
        expect(f.market.negRisk).toBe(false);
        expect(f.market.outcomePrices).toEqual([]); // recorded before trading: no prices yet
        expect(f.market.defaulted).toContain('outcomePrices');
      }
    }, startSec * 1000 + 60_000);
  });
});
