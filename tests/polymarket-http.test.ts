import { Registry } from 'prom-client';
import { SystemClock } from '../events/clock';
import { HttpClient, HttpError } from '../actors/venues/polymarket/http';
import { RateLimiter } from '../actors/venues/polymarket/rateLimiter';
import { RequestCounter } from '../actors/venues/polymarket/requestCounter';
import { PolymarketServer, twentyMarkets } from './support/polymarketServer';

const clock = new SystemClock();
let server: PolymarketServer;

beforeEach(async () => {
  server = await PolymarketServer.start();
  server.markets = twentyMarkets();
});
afterEach(() => server.close());

function client(o: { retries?: number; timeoutMs?: number; retryBaseMs?: number; random?: () => number; registry?: Registry } = {}) {
  const counter = new RequestCounter({ registry: o.registry });
  const http = new HttpClient({
    baseUrl: server.url,
    venue: 'gamma',
    clock,
    random: o.random ?? (() => 0.5),
    limiter: new RateLimiter(clock),
    counter,
    timeoutMs: o.timeoutMs ?? 2_000,
    retries: o.retries ?? 3,
    retryBaseMs: o.retryBaseMs ?? 10,
  });
  return { http, counter };
}

const get = { method: 'GET' as const, path: '/markets?closed=false&limit=5&offset=0', endpoint: '/markets' };

async function failure(p: Promise<unknown>): Promise<HttpError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('expected an HttpError');
}

describe('HttpClient against a loopback Gamma', () => {
  it('returns the parsed body and when it was read', async () => {
    const { http, counter } = client();
    const before = clock.now();
    const res = await http.request(get);
    expect((res.body as { id: string }[]).map((m) => m.id)).toEqual(twentyMarkets().slice(0, 5).map((m) => m.id));
    expect(res.fetchedAt).toBeGreaterThanOrEqual(before);
    expect(counter.total('gamma:/markets')).toBe(1);
  });

  it('waits out Retry-After on 429 before retrying', async () => {
    server.fail('/markets', { status: 429, headers: { 'retry-after': '1' } });
    const { http, counter } = client({ retryBaseMs: 1 });
    const res = await http.request(get);
    expect(res.attempts).toBe(2);
    expect(server.count('/markets')).toBe(2);
    const [first, second] = server.arrivals;
    expect(second.at - first.at).toBeGreaterThanOrEqual(990);
    expect(counter.total('gamma:/markets')).toBe(2);
  });

  it('retries 500s with backoff and succeeds', async () => {
    server.fail('/markets', { status: 500 }, { status: 503 });
    const res = await client().http.request(get);
    expect(res.attempts).toBe(3);
    expect(server.count('/markets')).toBe(3);
  });

  it('gives up after the configured retries and says why', async () => {
    server.fail('/markets', { status: 500 }, { status: 500 }, { status: 500 });
    const err = await failure(client({ retries: 2 }).http.request(get));
    expect([err.result, err.status, err.attempts]).toEqual(['http_5xx', 500, 3]);
    expect(err.message).toContain(`${server.url}/markets?closed=false`);
    expect(server.count('/markets')).toBe(3);
  });

  it('times out a slow response and retries it', async () => {
    server.fail('/markets', { delayMs: 600 });
    const res = await client({ timeoutMs: 150 }).http.request(get);
    expect(res.attempts).toBe(2);
    const err = await (async () => {
      server.fail('/markets', { delayMs: 600 });
      return failure(client({ timeoutMs: 150, retries: 0 }).http.request(get));
    })();
    expect(err.result).toBe('timeout');
  });

  it('retries malformed JSON and a truncated body', async () => {
    server.fail('/markets', { body: '[{"id": "1", ' }, { truncate: true });
    const { http, counter } = client();
    const res = await http.request(get);
    expect(res.attempts).toBe(3);
    expect(counter.total('gamma:')).toBe(3);
    server.fail('/markets', { body: 'not json' });
    expect((await failure(client({ retries: 0 }).http.request(get))).result).toBe('bad_json');
    server.fail('/markets', { truncate: true });
    expect((await failure(client({ retries: 0 }).http.request(get))).result).toBe('network');
  });

  it('does not retry a 400', async () => {
    server.fail('/markets', { status: 400 });
    const err = await failure(client().http.request(get));
    expect([err.result, err.attempts]).toEqual(['http_4xx', 1]);
    expect(server.count('/markets')).toBe(1);
  });

  it('returns a 404 to the caller without retrying', async () => {
    const res = await client().http.request({ method: 'GET', path: '/events/slug/nope', endpoint: '/events' });
    expect(res.status).toBe(404);
    expect(server.count('/events')).toBe(1);
  });

  it('exports the counts on an injected prom-client registry', async () => {
    const registry = new Registry();
    server.fail('/markets', { status: 500 });
    await client({ registry }).http.request(get);
    const text = await registry.metrics();
    expect(text).toMatch(/pma_polymarket_requests_total\{endpoint="gamma:\/markets",result="http_5xx"\} 1/);
    expect(text).toMatch(/pma_polymarket_requests_total\{endpoint="gamma:\/markets",result="ok"\} 1/);
  });
});

describe('retry backoff', () => {
  it('doubles per attempt, jittered within the upper half of the step', () => {
    const lo = client({ retryBaseMs: 100, random: () => 0 }).http;
    const hi = client({ retryBaseMs: 100, random: () => 0.999999 }).http;
    for (const attempt of [0, 1, 2, 3]) {
      const step = 100 * 2 ** attempt;
      expect(lo.backoffMs(attempt)).toBe(step / 2);
      expect(hi.backoffMs(attempt)).toBe(step);
    }
    expect(hi.backoffMs(20)).toBe(10_000);
  });
});
