import { SimulatedClock, SystemClock } from '../events/clock';
import { HttpClient } from '../actors/venues/polymarket/http';
import { POLYMARKET_LIMITS, RateLimiter, type Slot } from '../actors/venues/polymarket/rateLimiter';
import { RequestCounter } from '../actors/venues/polymarket/requestCounter';
import { PolymarketServer, twentyMarkets } from './support/polymarketServer';

/** Largest number of `times` inside any half-open window [t, t + windowMs). */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i] - sorted[j] >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

const flush = () => new Promise((r) => setImmediate(r));

describe('RateLimiter on simulated time', () => {
  it('grants up to the limit, then a slot only a full window after a release', async () => {
    const clock = new SimulatedClock(0);
    const limiter = new RateLimiter(clock, { k: { limit: 2, windowMs: 1_000 } });
    const granted: number[] = [];
    const slots: Slot[] = [];
    for (let i = 0; i < 3; i++) void limiter.acquire(['k']).then((s) => (granted.push(clock.now()), slots.push(s)));
    await flush();
    expect(granted).toEqual([0, 0]);
    clock.advanceTo(5_000);
    await flush();
    expect(granted.length).toBe(2); // both still in flight: nothing frees
    slots[0].release();
    clock.advanceTo(5_999);
    await flush();
    expect(granted.length).toBe(2);
    clock.advanceTo(6_000);
    await flush();
    expect(granted).toEqual([0, 0, 6_000]);
  });

  it('does not hold back a request to another endpoint behind a full one', async () => {
    const clock = new SimulatedClock(0);
    const limiter = new RateLimiter(clock, { a: { limit: 1, windowMs: 1_000 }, b: { limit: 1, windowMs: 1_000 } });
    const order: string[] = [];
    (await limiter.acquire(['a'])).release();
    void limiter.acquire(['a']).then(() => order.push('a'));
    void limiter.acquire(['b']).then(() => order.push('b'));
    await flush();
    expect(order).toEqual(['b']);
    clock.advanceTo(1_000);
    await flush();
    expect(order).toEqual(['b', 'a']);
  });

  it('carries the published limits', () => {
    expect(POLYMARKET_LIMITS['gamma:/markets']).toEqual({ limit: 300, windowMs: 10_000 });
    expect(POLYMARKET_LIMITS['gamma:/events']).toEqual({ limit: 500, windowMs: 10_000 });
    expect(POLYMARKET_LIMITS.gamma).toEqual({ limit: 4_000, windowMs: 10_000 });
    expect(POLYMARKET_LIMITS['clob:/book']).toEqual({ limit: 1_500, windowMs: 10_000 });
    expect(POLYMARKET_LIMITS['clob:/books']).toEqual({ limit: 500, windowMs: 10_000 });
  });
});

describe('RateLimiter in front of a loopback server', () => {
  let server: PolymarketServer;
  beforeEach(async () => {
    server = await PolymarketServer.start();
    server.markets = twentyMarkets();
  });
  afterEach(() => server.close());

  it('never lets more than the limit arrive in any window, counted server-side', async () => {
    const clock = new SystemClock();
    const limit = 4;
    const windowMs = 250;
    const http = new HttpClient({
      baseUrl: server.url,
      venue: 'gamma',
      clock,
      random: () => 0.5,
      limiter: new RateLimiter(clock, { gamma: { limit: 100, windowMs }, 'gamma:/markets': { limit, windowMs } }),
      counter: new RequestCounter(),
      timeoutMs: 2_000,
      retries: 0,
      retryBaseMs: 10,
    });
    const n = 14;
    const started = clock.now();
    await Promise.all(Array.from({ length: n }, (_, i) => http.request({ method: 'GET', path: `/markets?limit=1&offset=${i}`, endpoint: '/markets' })));
    const arrivals = server.arrivals.map((a) => a.at);
    expect(arrivals.length).toBe(n);
    expect(maxInWindow(arrivals, windowMs)).toBeLessThanOrEqual(limit);
    // 14 requests at 4 per window need at least 3 further windows after the first batch
    expect(clock.now() - started).toBeGreaterThanOrEqual(3 * windowMs);
  });
});
