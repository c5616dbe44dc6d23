import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../actors/config/load';
import { Engine } from '../actors/engine';
import { RISK_REASONS } from '../actors/execution/risk';
import { emptyEngineCounters } from '../actors/llm/metrics';
import { eventLogCheck, ServiceStatus, strategiesCheck } from '../actors/observability/checks';
import { Health, type HealthReport } from '../actors/observability/health';
import { ServiceMetrics } from '../actors/observability/metrics';
import { observabilityReactor } from '../actors/observability/reactor';
import { HEALTH_PATH, METRICS_PATH, startObservabilityServer, type ObservabilityServer } from '../actors/observability/server';
import type { StrategyHealth } from '../actors/supervisor';
import { BinanceLiveTrades } from '../actors/venues/binance/liveTrades';
import { RequestCounter } from '../actors/venues/polymarket/requestCounter';
import { SimulatedClock, SystemClock } from '../events/clock';
import { EventLogWriter } from '../events/log';
import { makeEvent, type AnyEvent, type DerivedEvent, type FeedStatusEvent, type TradeEvent } from '../events/types';
import { emptyLlmCacheStats } from '../machines/llmCache';
import { FIXTURES } from './support/shared';
import { waitFor, WsReplayServer, type ServerConn } from './support/wsReplayServer';

/** Recorded Binance frames (MIT, hftbacktest), as sent by the venue. */
function frames(name: string): string[] {
  return readFileSync(join(FIXTURES, 'ws', name), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.slice(l.indexOf(' ') + 1));
}
const btcFrames = frames('btcusdt_20240808.trades.head300.txt');
const ethFrames = frames('ethusdt_20240808.trades.head200.txt');

function tradeOf(frame: string): TradeEvent {
  const d = JSON.parse(frame).data;
  return makeEvent('trade', d.T, { venue: 'binance', symbol: d.s, tradeId: d.t, price: d.p, qty: d.q, buyerMaker: d.m });
}

/** One sample of Prometheus text: the value of `name` with exactly these labels, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = [...(m[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]);
    if (JSON.stringify(got.sort()) === want) return Number(m[4]);
  }
  return undefined;
}

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

const T0 = Date.UTC(2024, 7, 8, 0, 10);

describe('metrics and health server on a real port', () => {
  let dir: string;
  let server: ObservabilityServer | null = null;
  let venue: WsReplayServer | null = null;
  let feed: BinanceLiveTrades | null = null;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-obs-'));
  });
  afterEach(async () => {
    await feed?.close();
    await venue?.stop();
    await server?.close();
    feed = venue = server = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('/metrics has every service metric, with the values the events and adapters imply', async () => {
    let t = 0;
    const metrics = new ServiceMetrics({ now: () => (t += 2) }); // every timed piece of work takes 2 ms
    const health = new Health();
    server = await startObservabilityServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, health });

    // The engine, its real log (timed), and recorded trades: signals reach the metrics through the reactor.
    const log = EventLogWriter.open(join(dir, 'events.jsonl'));
    metrics.timeAppends(log);
    const engine = new Engine({ log, signals: { ...defaultConfig().signals, threshold: 0.0001 }, clock: new SimulatedClock() });
    engine.use(observabilityReactor(metrics));
    const trades = [...btcFrames, ...ethFrames].map(tradeOf).sort((a, b) => a.ts - b.ts);
    for (const trade of trades) await engine.ingest(trade);
    const answers = [
      makeEvent('llm_answer', T0, { key: 'a', model: 'm', latencyMs: 800, usage: { inputTokens: 3, outputTokens: 4 }, decision: null, error: null }),
      makeEvent('llm_answer', T0, { key: 'b', model: 'm', latencyMs: 5000, usage: null, decision: null, error: 'timeout: no answer in 5000 ms' }),
    ];
    for (const a of answers) await engine.ingest(a);

    // Derived events the trading reactors would append.
    const derived: DerivedEvent[] = [
      makeEvent('decision', T0, { strategy: 'fifteen_min', key: 'BTC|directional_trend|0.53|0.48', action: 'buy_yes', confidence: 72, source: 'llm', executed: true, reason: 'confirmed momentum' }),
      makeEvent('decision', T0, { strategy: 'fifteen_min', key: 'BTC|directional_trend|0.53|0.48', action: 'buy_yes', confidence: 72, source: 'cache', executed: true, reason: 'cached' }),
      makeEvent('order_intent', T0, { orderId: 'o1', strategy: 'flashCrash', marketId: 'm1', tokenId: 't1', outcome: 'Yes', side: 'BUY', price: '0.42', size: '11.90', orderType: 'fok', reason: 'drop', groupId: null }),
      makeEvent('order_intent', T0, { orderId: 'o2', strategy: 'flashCrash', marketId: 'm1', tokenId: 't1', outcome: 'Yes', side: 'SELL', price: '0.47', size: '11.90', orderType: 'market', reason: 'take profit', groupId: null }),
      makeEvent('order_intent', T0, { orderId: 'o3', strategy: 'neg_risk', marketId: 'm2', tokenId: 't2', outcome: 'Yes', side: 'BUY', price: '0.30', size: '5', orderType: 'fok', reason: 'set', groupId: 'g1' }),
      makeEvent('risk_rejection', T0, { orderId: 'o3', strategy: 'neg_risk', reason: RISK_REASONS[0], detail: 'x' }),
      makeEvent('risk_rejection', T0, { orderId: 'o4', strategy: 'neg_risk', reason: RISK_REASONS[0], detail: 'y' }),
      makeEvent('fill', T0, { orderId: 'o1', strategy: 'flashCrash', marketId: 'm1', tokenId: 't1', side: 'BUY', price: '0.42', size: '11.90', fee: '0.0203', partial: false }),
      makeEvent('error', T0, { source: 'neg_risk', kind: 'timeout', message: 'no answer in 1000 ms' }),
      makeEvent('scan_interval', T0, { intervalMs: 1000, volatility: 0.031, marketsSampled: 10 }),
    ];
    for (const e of derived) metrics.onEvent(e);

    // Adapters' own counters: Polymarket requests on the same registry, the LLM subsystem, a cache, a live feed.
    const requests = new RequestCounter({ registry: metrics.registry });
    requests.record('gamma:/markets', 'ok', T0);
    requests.record('gamma:/markets', 'ok', T0);
    requests.record('clob:/book', 'http_429', T0);
    const engineCounters = { ...emptyEngineCounters(), calls: 3, answered: 2 };
    engineCounters.errors.timeout = 1;
    metrics.watchLlm(() => ({ cache: { ...emptyLlmCacheStats(), requests: 8, hits: 6, misses: 2, entries: 3, inflight: 0 }, engine: engineCounters }));
    metrics.watchCache('gamma_markets', () => ({ hits: 5, misses: 2 }));
    await metrics.timeScanCycle(async () => 'scanned');

    // A live Binance feed on a loopback venue that drops the socket and skips five trade ids.
    const statuses: FeedStatusEvent[] = [];
    venue = await WsReplayServer.start({
      onConnection: (c: ServerConn) => {
        if (c.index === 0) {
          btcFrames.slice(0, 50).forEach((f) => c.send(f));
          c.close(1001);
        } else btcFrames.slice(55, 80).forEach((f) => c.send(f));
      },
    });
    feed = new BinanceLiveTrades({ baseUrl: venue.url + '/', symbols: ['BTCUSDT'], clock: new SystemClock(), random: () => 0.5, watchdogMs: 5000, maxConnectionMs: 3_600_000, reconnectBaseMs: 10, reconnectMaxMs: 50, onEvent: (e) => e.type === 'feed_status' && (statuses.push(e), metrics.onEvent(e)) });
    metrics.watchFeed('binance', () => feed!.counters);
    feed.start();
    await waitFor(() => feed!.counters.trades === 75, 'the feed delivers every trade sent');

    const { status, type, body } = await get(server.url + METRICS_PATH);
    expect(status).toBe(200);
    expect(type).toContain('text/plain');

    // Signals: counted from the log file itself.
    const logged: AnyEvent[] = readFileSync(log.path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    const signals = logged.filter((e) => e.type === 'signal');
    expect(signals.some((s) => s.confirmed) && signals.some((s) => !s.confirmed)).toBe(true);
    const bySignal = new Map<string, number>();
    for (const s of signals) bySignal.set(JSON.stringify([s.symbol, s.direction, String(s.confirmed)]), (bySignal.get(JSON.stringify([s.symbol, s.direction, String(s.confirmed)])) ?? 0) + 1);
    for (const [key, n] of bySignal) {
      const [symbol, direction, confirmed] = JSON.parse(key) as string[];
      expect(sample(body, 'pma_signals_total', { symbol, direction, confirmed })).toBe(n);
    }

    expect(sample(body, 'pma_decisions_total', { strategy: 'fifteen_min', action: 'buy_yes', source: 'llm', executed: 'true' })).toBe(1);
    expect(sample(body, 'pma_decisions_total', { strategy: 'fifteen_min', action: 'buy_yes', source: 'cache', executed: 'true' })).toBe(1);
    expect(sample(body, 'pma_orders_total', { strategy: 'flashCrash', side: 'BUY', order_type: 'fok' })).toBe(1);
    expect(sample(body, 'pma_orders_total', { strategy: 'flashCrash', side: 'SELL', order_type: 'market' })).toBe(1);
    expect(sample(body, 'pma_orders_total', { strategy: 'neg_risk', side: 'BUY', order_type: 'fok' })).toBe(1);
    expect(sample(body, 'pma_rejections_total', { strategy: 'neg_risk', reason: RISK_REASONS[0] })).toBe(2);
    expect(sample(body, 'pma_fills_total', { strategy: 'flashCrash', side: 'BUY', partial: 'false' })).toBe(1);
    expect(sample(body, 'pma_errors_total', { source: 'neg_risk', kind: 'timeout' })).toBe(1);

    expect(sample(body, 'pma_llm_latency_seconds_count', { result: 'ok' })).toBe(1);
    expect(sample(body, 'pma_llm_latency_seconds_sum', { result: 'ok' })).toBeCloseTo(0.8, 9);
    expect(sample(body, 'pma_llm_latency_seconds_count', { result: 'timeout' })).toBe(1);
    expect(sample(body, 'pma_llm_latency_seconds_bucket', { result: 'timeout', le: '3' })).toBe(0);
    expect(sample(body, 'pma_llm_latency_seconds_bucket', { result: 'timeout', le: '5' })).toBe(1);
    expect(sample(body, 'pma_llm_cache_hit_ratio')).toBeCloseTo(6 / 8, 9);
    expect(sample(body, 'pma_anthropic_requests_total', { result: 'ok' })).toBe(2);
    expect(sample(body, 'pma_anthropic_requests_total', { result: 'timeout' })).toBe(1);
    expect(sample(body, 'pma_cache_hits_total', { cache: 'llm' })).toBe(6);
    expect(sample(body, 'pma_cache_hits_total', { cache: 'gamma_markets' })).toBe(5);
    expect(sample(body, 'pma_cache_misses_total', { cache: 'gamma_markets' })).toBe(2);

    expect(sample(body, 'pma_polymarket_requests_total', { endpoint: 'gamma:/markets', result: 'ok' })).toBe(2);
    expect(sample(body, 'pma_polymarket_requests_total', { endpoint: 'clob:/book', result: 'http_429' })).toBe(1);
    expect(sample(body, 'pma_scan_interval_seconds')).toBe(1);
    expect(sample(body, 'pma_scan_cycle_seconds_count')).toBe(1);
    expect(sample(body, 'pma_scan_cycle_seconds_sum')).toBeCloseTo(0.002, 12);

    // Every line the log holds was one timed append.
    expect(sample(body, 'pma_event_log_append_seconds_count')).toBe(logged.length);
    expect(logged.length).toBe(trades.length + answers.length + signals.length);
    expect(sample(body, 'pma_event_log_append_seconds_sum')).toBeCloseTo(0.002 * logged.length, 9);

    // The feed lost its socket once and saw one hole of five trade ids.
    expect(feed.counters.reconnects).toBeGreaterThanOrEqual(1);
    expect(sample(body, 'pma_feed_reconnects_total', { feed: 'binance' })).toBe(feed.counters.reconnects);
    expect(sample(body, 'pma_feed_gaps_total', { feed: 'binance' })).toBe(1);
    expect(sample(body, 'pma_feed_status_total', { feed: 'binance', status: 'gap' })).toBe(statuses.filter((s) => s.status === 'gap').length);
    expect(sample(body, 'pma_feed_status_total', { feed: 'binance', status: 'disconnected' })).toBe(1);

    expect(sample(body, 'pma_process_resident_memory_bytes')).toBeGreaterThan(0);

    // The scan loop's own interval wins over the last event once it is watched.
    metrics.watchScanInterval(() => 500);
    expect(sample((await get(server.url + METRICS_PATH)).body, 'pma_scan_interval_seconds')).toBe(0.5);
  });

  it('a feed that never connected says so, counting from its first attempt through every retry', () => {
    const clock = new SimulatedClock(T0);
    const status = new ServiceStatus({ clock, marketDataMaxAgeMs: 10_000, llmEnabled: false, llmOffReason: 'off: no ANTHROPIC_API_KEY set (the rules decide)' });
    const check = status.feedCheck('binance');
    for (let retry = 0; retry < 5; retry++) {
      status.onEvent(makeEvent('feed_status', clock.now(), { feed: 'binance', status: 'disconnected', detail: `connect ECONNREFUSED (retry ${retry})` }));
      clock.advanceTo(clock.now() + 1_200);
    }
    expect(check()).toEqual({ status: 'degraded', detail: 'never connected (trying for 6 s): connect ECONNREFUSED (retry 4)' });
    expect(status.llmCheck()()).toEqual({ status: 'ok', detail: 'off: no ANTHROPIC_API_KEY set (the rules decide)' });
  });

  it('/healthz is 200 while every part is ok, and 503 naming each part that degrades or fails', async () => {
    const clock = new SimulatedClock(T0);
    const status = new ServiceStatus({ clock, marketDataMaxAgeMs: 10_000, llmEnabled: true });
    const strategies: StrategyHealth[] = [
      { name: 'flashCrash', errors: 0, restarts: 0, stopped: false },
      { name: 'neg_risk', errors: 0, restarts: 0, stopped: false },
    ];
    const log = EventLogWriter.open(join(dir, 'events.jsonl'));
    let eventLog: { failed: Error | null } = log;
    const health = new Health();
    health.register('feed:binance', status.feedCheck('binance'));
    health.register('market_data', status.marketDataCheck());
    health.register('llm', status.llmCheck());
    health.register('event_log', () => eventLogCheck(eventLog)());
    health.register('strategies', strategiesCheck({ health: () => strategies }));
    const metrics = new ServiceMetrics({ processMetrics: false });
    server = await startObservabilityServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, health });
    const healthz = async (): Promise<{ status: number; report: HealthReport }> => {
      const res = await get(server!.url + HEALTH_PATH);
      expect(res.type).toContain('application/json');
      return { status: res.status, report: JSON.parse(res.body) };
    };

    // Before anything reported: the feed, market data and the LLM are not there yet.
    let h = await healthz();
    expect(h.status).toBe(503);
    expect(h.report.problems.sort()).toEqual(['feed:binance', 'llm', 'market_data']);

    const feedStatus = (s: FeedStatusEvent['status'], detail: string, ts = clock.now()) => status.onEvent(makeEvent('feed_status', ts, { feed: 'binance', status: s, detail }));
    feedStatus('connected', 'wss://stream.binance.com:9443/stream');
    status.onEvent(makeEvent('feed_status', clock.now(), { feed: 'llm', status: 'connected', detail: 'model m' }));
    status.onEvent(makeEvent('market_snapshot', clock.now(), { source: 'gamma', request: '/markets?closed=false&limit=100', markets: [], fetchedAt: clock.now() - 1_000 }));
    for (const error of [null, null, 'http_5xx: 502']) status.onEvent(makeEvent('llm_answer', clock.now(), { key: 'k', model: 'm', latencyMs: 900, usage: null, decision: null, error }));
    h = await healthz();
    expect(h).toMatchObject({ status: 200, report: { status: 'ok', problems: [] } });
    expect(Object.keys(h.report.checks).sort()).toEqual(['event_log', 'feed:binance', 'llm', 'market_data', 'strategies']);

    // A gap is counted, not a degradation; a disconnect is.
    feedStatus('gap', 'trade ids 100-104 missing');
    expect((await healthz()).status).toBe(200);
    feedStatus('disconnected', 'HTTP 451 from wss://stream.binance.com:9443');
    clock.advanceTo(T0 + 4_000);
    h = await healthz();
    expect(h.status).toBe(503);
    expect(h.report).toMatchObject({ status: 'degraded', problems: ['feed:binance'] });
    expect(h.report.checks['feed:binance'].detail).toBe('disconnected for 4 s: HTTP 451 from wss://stream.binance.com:9443');
    // A retry that fails again does not restart the outage's clock.
    feedStatus('disconnected', 'connect ECONNREFUSED (retry 2)');
    clock.advanceTo(T0 + 6_000);
    expect((await healthz()).report.checks['feed:binance'].detail).toBe('disconnected for 6 s: connect ECONNREFUSED (retry 2)');

    // Market data older than its limit (fetched at T0 - 1 s, now T0 + 12 s); LLM answers mostly failing.
    clock.advanceTo(T0 + 12_000);
    for (const error of ['timeout: 5000 ms', 'http_429: rate limited']) status.onEvent(makeEvent('llm_answer', clock.now(), { key: 'k', model: 'm', latencyMs: 5000, usage: null, decision: null, error }));
    h = await healthz();
    expect(h.report.problems.sort()).toEqual(['feed:binance', 'llm', 'market_data']);
    expect(h.report.checks.market_data.detail).toBe('last market snapshot fetched 13 s ago (limit 10 s)');
    expect(h.report.checks.llm.detail).toBe('3 of the last 5 answers failed; last error: http_429: rate limited');

    // Recovery clears the feed; a stopped strategy degrades; a failed event log fails the service.
    feedStatus('recovered', 'first message after reconnect');
    strategies[1].stopped = true;
    const full = EventLogWriter.open('/dev/full');
    expect(() => full.append(makeEvent('timer', T0, { name: 'tick' }))).toThrow(/ENOSPC/);
    eventLog = full;
    h = await healthz();
    expect(h.status).toBe(503);
    expect(h.report.status).toBe('failed');
    expect(h.report.problems[0]).toBe('event_log');
    expect(h.report.problems.slice(1).sort()).toEqual(['llm', 'market_data', 'strategies']);
    expect(h.report.checks.event_log.detail).toContain('ENOSPC');
    expect(h.report.checks.strategies).toEqual({ status: 'degraded', detail: 'stopped: neg_risk' });
    log.close();
  });

  it('groups of parts, a check that throws, and paths other than the two endpoints', async () => {
    const health = new Health();
    const parts: Record<string, { status: 'ok' | 'degraded' | 'failed'; detail: string }> = { binance: { status: 'ok', detail: 'connected' }, gamma: { status: 'ok', detail: '100 markets' } };
    health.registerGroup('service', () => parts);
    const unregister = health.register('broken', () => {
      throw new Error('supervisor gone');
    });
    server = await startObservabilityServer({ host: '127.0.0.1', port: 0, registry: new ServiceMetrics({ processMetrics: false }).registry, health });
    let res = await get(server.url + HEALTH_PATH);
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'failed', problems: ['broken'], checks: { broken: { status: 'failed', detail: 'check threw: supervisor gone' }, 'service:binance': { status: 'ok' } } });
    unregister();
    parts.gamma = { status: 'degraded', detail: 'HTTP 451' };
    res = await get(server.url + HEALTH_PATH);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'degraded', problems: ['service:gamma'] });
    expect(() => health.register('service', () => ({ status: 'ok' }))).not.toThrow();
    expect(() => health.registerGroup('service', () => ({}))).toThrow(/already registered/);

    expect((await get(server.url + '/nope')).status).toBe(404);
    expect((await fetch(server.url + METRICS_PATH, { method: 'POST' })).status).toBe(405);
  });
});
