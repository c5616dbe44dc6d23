import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { downloadHistory, type DownloadOptions } from '../actors/venues/polymarket/download/download';
import { SystemClock } from '../events/clock';
import type { AnyEvent } from '../events/types';
import { validateEvent } from '../events/validate';
import { pma } from './support/installedPma';
import { describeWithShared, FIXTURES } from './support/shared';
import { fileLines, tempDir } from './support/binanceRecording';

type Raw = Record<string, unknown>;

interface Faults {
  /** Requests after this many answer 503 (an outage that interrupts the download). */
  failAfter?: number;
  /** The first `/trades` request answers 429 with Retry-After: 1. */
  throttleOnce?: boolean;
  /** The first `/prices-history` request answers a cut-off body. */
  garbageOnce?: boolean;
}

/**
 * A loopback Gamma + CLOB + Data API. Gamma answers `/markets?slug=` with the recorded Gamma market
 * objects (SOURCES.md 3a, 5b `raw`); `/trades` pages rows of the recorded Data API shape (3d) re-keyed to
 * each market's condition id, tokens and window; `/prices-history` answers `{"history":[{t,p}]}`.
 */
function startServer(markets: Raw[], tradeShape: Raw[], faults: Faults = {}): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  let throttled = !faults.throttleOnce;
  let garbled = !faults.garbageOnce;
  const bySlug = new Map(markets.map((m) => [m.slug as string, m]));
  const trades = (m: Raw): Raw[] => {
    const tokens = JSON.parse(m.clobTokenIds as string) as string[];
    const start = Math.floor(Date.parse((m.eventStartTime ?? m.startDate) as string) / 1000);
    // 5 trades a market, newest first as the Data API answers.
    return [4, 3, 2, 1, 0].map((i) => ({ ...tradeShape[i % tradeShape.length], conditionId: m.conditionId, asset: tokens[i % 2], timestamp: start + 30 * i + 1, price: [0.55, 0.53, 0.45, 0.5, 0.52][i] }));
  };
  const server = createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    requests.push(u.pathname + u.search);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    if (faults.failAfter !== undefined && requests.length > faults.failAfter) return send(503, '{"error":"unavailable"}');
    if (u.pathname === '/markets' && u.searchParams.has('slug')) {
      const m = bySlug.get(u.searchParams.get('slug')!);
      return send(200, JSON.stringify(m ? [m] : []));
    }
    if (u.pathname === '/markets') {
      // Gamma's listing: markets ending in [end_date_min, end_date_max], `limit` from `offset`.
      const [min, max] = ['end_date_min', 'end_date_max'].map((k) => Date.parse(u.searchParams.get(k)!));
      const ending = markets.filter((m) => Date.parse(m.endDate as string) >= min && Date.parse(m.endDate as string) <= max);
      const offset = Number(u.searchParams.get('offset'));
      return send(200, JSON.stringify(ending.slice(offset, offset + Number(u.searchParams.get('limit')))));
    }
    if (u.pathname === '/prices-history') {
      if (!garbled) {
        garbled = true;
        return send(200, '{"history":[{"t":17');
      }
      const start = Number(u.searchParams.get('startTs'));
      return send(200, JSON.stringify({ history: [0, 60, 120].map((d, i) => ({ t: start + d, p: [0.5, 0.62, 0.71][i] })) }));
    }
    if (u.pathname === '/trades') {
      if (!throttled) {
        throttled = true;
        return send(429, '{"error":"Too Many Requests"}', { 'retry-after': '1' });
      }
      const m = markets.find((x) => x.conditionId === u.searchParams.get('market'));
      const limit = Number(u.searchParams.get('limit'));
      const offset = Number(u.searchParams.get('offset'));
      return send(200, JSON.stringify(m ? trades(m).slice(offset, offset + limit) : []));
    }
    send(404, '{"error":"not found"}');
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests })));
}

const dir = tempDir('pma-download-');

describe('pma download of Gamma markets listed by a slug pattern (MIT fixture, runs without ../shared)', () => {
  // 20 real Gamma markets (Polymarket/agents, MIT; tests/fixtures/SOURCES.md); Data API rows in the shape of its docs.
  const markets = JSON.parse(readFileSync(join(FIXTURES, 'polymarket/twenty_markets.json'), 'utf8')) as Raw[];
  const shape: Raw[] = [{ side: 'BUY', size: 100, transactionHash: '0xabc' }, { side: 'SELL', size: 50, transactionHash: '0xdef' }];

  it('lists the markets ending in the range that match the glob, then fetches each', async () => {
    const s = await startServer(markets, shape);
    try {
      const out = join(dir, 'listed.jsonl');
      const summary = await downloadHistory({ out, slugs: [], pattern: 'will-a-democrat-win-*-us-senate-election', fromMs: Date.UTC(2024, 10, 1), toMs: Date.UTC(2024, 10, 10), fidelityMin: 60, trades: true, cacheDir: join(dir, 'listed.parts'), urls: { gamma: s.url, clob: s.url, data: s.url }, clock: new SystemClock(), random: () => 0.5, retryBaseMs: 5, pageSize: 2 });
      expect(summary.markets).toEqual(['will-a-democrat-win-wisconsin-us-senate-election', 'will-a-democrat-win-maryland-us-senate-election']);
      expect(s.requests[0]).toBe('/markets?closed=true&limit=100&offset=0&end_date_min=2024-11-01T00:00:00.000Z&end_date_max=2024-11-10T00:00:00.000Z');
      // Open markets (closed false): definitions, prices and trades, no outcome invented.
      expect(summary.eventsByType).toEqual({ market_definition: 2, reference_price: 12, last_trade: 10 });
      const defs = fileLines(out).map((l) => JSON.parse(l) as Raw).filter((e) => e.type === 'market_definition');
      expect(defs.map((d) => (d.market as Raw).slug)).toEqual(['will-a-democrat-win-maryland-us-senate-election', 'will-a-democrat-win-wisconsin-us-senate-election']);
    } finally {
      s.server.close();
    }
  });
});
describeWithShared('pma download against a loopback Gamma / CLOB / Data API (SOURCES.md 3a, 3d, 5b)', ['polymarket/ligengxin96/BTC-5m-markets-2026-07-24.jsonl.gz', 'polymarket/nautilus_trader/data_api/data_api_trades_response.json', 'polymarket/nautilus_trader/gamma/gamma_market.json'], ([listing, tradesFile, gammaFile]) => {
  // Real closed Gamma markets with their outcome: the first six 5-minute windows of 2026-07-24.
  const closed = gunzipSync(readFileSync(listing)).toString('utf8').trim().split('\n').map((l) => (JSON.parse(l) as { raw: Raw }).raw);
  const day = Date.UTC(2026, 6, 24);
  const markets = [...closed, JSON.parse(readFileSync(gammaFile, 'utf8')) as Raw];
  const tradeShape = JSON.parse(readFileSync(tradesFile, 'utf8')) as Raw[];
  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));

  const run = async (name: string, faults: Faults, over: Partial<DownloadOptions> = {}) => {
    const s = await startServer(markets, tradeShape, faults);
    servers.push(s.server);
    const out = join(dir, `${name}.jsonl`);
    const options: DownloadOptions = { out, slugs: [], pattern: 'btc-updown-5m-*', fromMs: day, toMs: day + 30 * 60_000, fidelityMin: 1, trades: true, cacheDir: join(dir, `${name}.parts`), urls: { gamma: s.url, clob: s.url, data: s.url }, clock: new SystemClock(), random: () => 0.5, retries: 2, retryBaseMs: 5, pageSize: 2, ...over };
    return { s, out, options, result: downloadHistory(options) };
  };

  it('a slug pattern and date range: 6 windows, each defined, priced, traded (paginated) and resolved; 429 and garbage retried', async () => {
    const { s, out, result } = await run('full', { throttleOnce: true, garbageOnce: true });
    const summary = await result;
    expect(summary.markets).toEqual([0, 1, 2, 3, 4, 5].map((i) => `btc-updown-5m-${day / 1000 + 300 * i}`));
    expect(summary.eventsByType).toEqual({ market_definition: 6, reference_price: 36, last_trade: 30, market_resolved: 6 });
    // 6 Gamma + 12 price histories + 3 trade pages (2 + 2 + 1 rows) x 6, plus the 429 and the garbage answer retried.
    expect(summary.requests).toBe(6 + 12 + 18 + 2);
    expect(s.requests.filter((r) => r.startsWith('/trades')).slice(0, 4)).toEqual([
      `/trades?market=${markets.find((m) => m.slug === summary.markets[0])!.conditionId}&limit=2&offset=0`,
      `/trades?market=${markets.find((m) => m.slug === summary.markets[0])!.conditionId}&limit=2&offset=0`,
      `/trades?market=${markets.find((m) => m.slug === summary.markets[0])!.conditionId}&limit=2&offset=2`,
      `/trades?market=${markets.find((m) => m.slug === summary.markets[0])!.conditionId}&limit=2&offset=4`,
    ]);
    const events = fileLines(out).map((l, i) => validateEvent(JSON.parse(l), { file: out, line: i + 1 })) as AnyEvent[];
    expect(events.every((e, i) => i === 0 || e.ts >= events[i - 1].ts)).toBe(true);
    const first = events[0];
    expect(first).toMatchObject({ type: 'market_definition', ts: day, source: 'gamma', derivedIds: false, prices: 'trades', windowStartTs: day, asset: 'btc' });
    const resolved = events.filter((e) => e.type === 'market_resolved');
    const recorded = closed.find((m) => m.slug === summary.markets[0])!;
    const winner = (JSON.parse(recorded.outcomePrices as string) as string[]).indexOf('1');
    expect(resolved[0]).toMatchObject({ ts: day + 300_000, market: recorded.conditionId, winningTokenId: (JSON.parse(recorded.clobTokenIds as string) as string[])[winner] });
    const trades = events.filter((e) => e.type === 'last_trade');
    expect(trades.slice(0, 5).map((t) => t.type === 'last_trade' && [t.ts, t.price])).toEqual([[day + 1000, '0.55'], [day + 31000, '0.53'], [day + 61000, '0.45'], [day + 91000, '0.5'], [day + 121000, '0.52']]);
  });

  it('interrupted by an outage and resumed: the second run fetches only what is missing and writes the same bytes', async () => {
    const clean = await run('clean', {});
    const cleanSummary = await clean.result;
    const cut = await run('cut', { failAfter: 15 });
    await expect(cut.result).rejects.toThrow(/http_5xx \(HTTP 503\)/);
    const resumed = await run('cut', {});
    const summary = await resumed.result;
    expect(summary.cached).toBe(15);
    expect(summary.requests).toBe(cleanSummary.requests - 15);
    expect(readFileSync(resumed.out)).toEqual(readFileSync(clean.out));
    const again = await run('cut', {});
    expect((await again.result).requests).toBe(0);
    expect(readFileSync(again.out)).toEqual(readFileSync(clean.out));
  });

  it('by slug: an open market (no outcome yet) has no resolution; an unknown slug is reported, not invented', async () => {
    const { result } = await run('slugs', {}, { pattern: undefined, slugs: ['btc-updown-5m-1773307200', 'no-such-market'], trades: false });
    const summary = await result;
    expect(summary.markets).toEqual(['btc-updown-5m-1773307200']);
    expect(summary.notFound).toEqual(['no-such-market']);
    expect(summary.eventsByType).toEqual({ market_definition: 1, reference_price: 6 });
  });

  it('pma download (child process): GAMMA_URL, CLOB_URL and DATA_API_URL point it at the loopback; bad input exits 2', async () => {
    const s = await startServer(markets, tradeShape);
    servers.push(s.server);
    const out = join(dir, 'cli.jsonl');
    const env = { ...process.env, GAMMA_URL: s.url, CLOB_URL: s.url, DATA_API_URL: s.url };
    const ok = await pma(['download', '--out', out, '--pattern', 'btc-updown-5m-*', '--from', '2026-07-24T00:00:00Z', '--to', '2026-07-24T00:10:00Z'], { env });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('download: 2 market(s)');
    expect(ok.stdout).toContain('market_definition 2');
    expect(ok.stdout).toContain('market_resolved 2');
    expect(s.requests.every((r) => !r.includes('polymarket.com'))).toBe(true);
    const bad = await pma(['download', '--out', out, '--pattern', 'btc-updown-5m-*', '--from', 'yesterday', '--to', '2026-07-24T00:10:00Z'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--from');
  });

  it('an answer of the wrong shape stops the download naming the URL and field', async () => {
    const broken = markets.map((m) => ({ ...m, clobTokenIds: 'not json' }));
    const s = await startServer(broken, tradeShape);
    servers.push(s.server);
    await expect(downloadHistory({ out: join(dir, 'bad.jsonl'), slugs: ['btc-updown-5m-1773307200'], fidelityMin: null, trades: false, cacheDir: join(dir, 'bad.parts'), urls: { gamma: s.url, clob: s.url, data: s.url }, clock: new SystemClock(), random: () => 0.5 })).rejects.toThrow(/markets\?slug=btc-updown-5m-1773307200: field '\[0\]\.clobTokenIds'/);
  });
});
