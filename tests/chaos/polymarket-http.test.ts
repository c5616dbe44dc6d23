import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../actors/config/load';
import { TradingService } from '../../actors/service/service';
import { POLYMARKET_LIMITS } from '../../actors/venues/polymarket/rateLimiter';
import { SystemClock } from '../../events/clock';
import { readAllEvents } from '../../events/log';
import type { MarketSnapshotEvent } from '../../events/types';
import { PolymarketServer, twentyMarkets, type Fault } from '../support/polymarketServer';
import { LONG, reportFigures } from './support/figures';
import { chaosSeed, seededRandom } from './support/random';
import { wallClock } from './support/serviceProcess';

const RUN_MS = LONG ? 180_000 : 15_000;
const STAMP_EVERY_MS = 50;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-chaos-http-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it(`Polymarket HTTP with 30 % of answers 429/500/timeout/garbage for ${RUN_MS / 1000} s: scans go on, no snapshot older than maxStaleMs, requests within the rate limit`, async () => {
  const seed = chaosSeed(13);
  const random = seededRandom(seed);
  const gamma = await PolymarketServer.start();
  const base = twentyMarkets();
  // Every market's question carries the wall time its data was served: a logged snapshot shows the age of what it holds.
  const stamp = () => (gamma.markets = base.map((m) => ({ ...m, question: `${String(m.question)} @${wallClock.now()}` })));
  stamp();
  const httpTimeoutMs = 300;
  const faults: Record<string, Fault> = {
    http_429: { status: 429, headers: { 'retry-after': '1' } },
    http_500: { status: 500 },
    timeout: { delayMs: httpTimeoutMs * 3 },
    garbage: { body: '{"markets": [tr' },
  };
  const kinds = Object.keys(faults);
  // One planned answer per request, in arrival order.
  const plan = Array.from({ length: 20_000 }, () => (random() < 0.3 ? kinds[Math.floor(random() * kinds.length)] : 'ok'));
  for (const kind of plan) gamma.fail('/', kind === 'ok' ? {} : faults[kind]);
  const maxStaleMs = 2_000;
  const config = parseConfig({
    feeds: { gammaUrl: gamma.url, clobUrl: gamma.url, symbols: ['BTCUSDT'], httpTimeoutMs },
    marketData: { cacheTtlMs: 200, maxStaleMs, retries: 2, retryBaseMs: 20 },
    scan: { baseIntervalMs: 100, minIntervalMs: 50 },
    fifteenMin: { enabled: false },
    service: { tickMs: 3_600_000 },
  });
  const logPath = join(dir, 'events.jsonl');
  const svc = new TradingService({ config, logPath, env: {}, logger: pino({ level: 'silent' }), clock: new SystemClock(), disable: { binance: true, clobWs: true, rtds: true } });
  const started = wallClock.now();
  try {
    await svc.start();
    while (wallClock.now() - started < RUN_MS) {
      stamp();
      await wallClock.sleep(STAMP_EVERY_MS);
    }
  } finally {
    await svc.stop('test');
    await gamma.close();
  }
  const events = (await readAllEvents(logPath)).records.map((r) => r.event);
  const snapshots = events.filter((e): e is MarketSnapshotEvent => e.type === 'market_snapshot');
  const ages = snapshots.map((s) => s.ts - Math.min(...s.markets.map((m) => Number(/@(\d+)$/.exec(m.question)?.[1]))));
  const failedScans = events.filter((e) => e.type === 'feed_status' && e.feed === 'gamma' && e.status === 'disconnected').length;
  const orders = events.filter((e) => e.type === 'order_intent').length;
  // Server-side: the most /markets requests that arrived in any 10 s window.
  const times = gamma.arrivals.filter((a) => a.path.startsWith('/markets')).map((a) => a.at);
  let maxPer10s = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i] - times[j] >= 10_000) j++;
    maxPer10s = Math.max(maxPer10s, i - j + 1);
  }
  const limit = POLYMARKET_LIMITS['gamma:/markets'].limit;
  reportFigures(`Polymarket HTTP faults (30 % of answers, seed ${seed}, ${RUN_MS / 1000} s)`, {
    requests: gamma.arrivals.length,
    ...Object.fromEntries(kinds.map((k) => [`faults_${k}`, plan.slice(0, gamma.arrivals.length).filter((p) => p === k).length])),
    scans_completed: snapshots.length,
    scans_failed: failedScans,
    snapshot_data_age_ms_max: Math.max(...ages),
    stale_snapshots: ages.filter((a) => a > maxStaleMs).length,
    orders,
    gamma_markets_requests_max_per_10s: maxPer10s,
    gamma_markets_limit_per_10s: limit,
  });
  expect(snapshots.length).toBeGreaterThan(RUN_MS / 1000);
  expect(failedScans).toBeGreaterThan(0); // the faults did reach the scans
  expect(ages.filter((a) => a > maxStaleMs + STAMP_EVERY_MS)).toEqual([]);
  expect(maxPer10s).toBeLessThanOrEqual(limit);
}, RUN_MS + 60_000);
