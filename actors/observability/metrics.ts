import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { monotonicMs, type SystemClock } from '../../events/clock';
import type { EventLogWriter } from '../../events/log';
import type { AnyEvent } from '../../events/types';
import { errorKind, type LlmMetrics } from '../llm/metrics';
import { collectedCounter, collectedGauge, type Sample } from './collected';

/** What a feed adapter's `counters` getter gives (Binance, CLOB market channel, RTDS all fit). */
export interface FeedCounterView {
  reconnects: number;
  stale: number;
  /** Trade-id gaps (Binance); absent for feeds that cannot see gaps. */
  gaps?: number;
  malformed?: number;
}

export interface CacheCounterView {
  hits: number;
  misses: number;
}

export interface ServiceMetricsOptions {
  /** prom-client's process metrics (CPU, memory, event-loop lag) as `pma_process_...`, `pma_nodejs_...`; default true. */
  processMetrics?: boolean;
  /** Monotonic ms for timing work; default `monotonicMs`. */
  now?: () => number;
}

const SCAN_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LLM_BUCKETS = [0.25, 0.5, 1, 2, 3, 5, 8, 13];
const APPEND_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.025, 0.1];

/**
 * The service's metrics on its own `Registry` (never prom-client's global one). Counts what the
 * system decided by looking at the events it appends (`onEvent`), times the work it is handed
 * (scan cycles, log appends), and reads the adapters' plain counter objects at scrape time
 * (`watchFeed`, `watchLlm`, `watchCache`). Pass `registry` to `createMarketData` so the Polymarket
 * request counter (`pma_polymarket_requests_total`) lands here too.
 */
/** The halts `pma_halted` reports, each 0 or 1. */
export const HALT_REASONS = ['kill_switch', 'daily_drawdown_halt', 'consecutive_losses_halt'] as const;

/** What the trading gauges show (USDC as numbers: metrics are for watching, not for money rules). */
export interface TradingView {
  equity: number;
  cash: number;
  exposure: number;
  realised: Record<string, number>;
  positions: Record<string, number>;
  halts: string[];
}

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly now: () => number;
  private readonly feeds = new Map<string, () => FeedCounterView>();
  private readonly caches = new Map<string, () => CacheCounterView>();
  private llm: (() => LlmMetrics) | null = null;
  private trading: (() => TradingView) | null = null;
  private scanIntervalSource: (() => number) | null = null;
  private lastScanIntervalMs: number | null = null;

  readonly scanCycle: Histogram;
  readonly logAppend: Histogram;
  private readonly signals: Counter<'symbol' | 'direction' | 'confirmed'>;
  private readonly decisions: Counter<'strategy' | 'action' | 'source' | 'executed'>;
  private readonly orders: Counter<'strategy' | 'side' | 'order_type'>;
  private readonly fills: Counter<'strategy' | 'side' | 'partial'>;
  private readonly rejections: Counter<'strategy' | 'reason'>;
  private readonly errors: Counter<'source' | 'kind'>;
  private readonly feedStatus: Counter<'feed' | 'status'>;
  private readonly llmLatency: Histogram<'result'>;

  constructor(options: ServiceMetricsOptions = {}) {
    this.now = options.now ?? monotonicMs;
    const r = this.registry;
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: r, prefix: 'pma_' });
    this.scanCycle = new Histogram({ name: 'pma_scan_cycle_seconds', help: 'One market scan: fetch, append, react', buckets: SCAN_BUCKETS, registers: [r] });
    this.logAppend = new Histogram({ name: 'pma_event_log_append_seconds', help: 'Time to append one event to the event log', buckets: APPEND_BUCKETS, registers: [r] });
    this.signals = new Counter({ name: 'pma_signals_total', help: 'Price-change signals, by volume confirmation', labelNames: ['symbol', 'direction', 'confirmed'], registers: [r] });
    this.decisions = new Counter({ name: 'pma_decisions_total', help: 'Trading decisions (LLM, cache or rules)', labelNames: ['strategy', 'action', 'source', 'executed'], registers: [r] });
    this.orders = new Counter({ name: 'pma_orders_total', help: 'Order intents sent to risk checks', labelNames: ['strategy', 'side', 'order_type'], registers: [r] });
    this.fills = new Counter({ name: 'pma_fills_total', help: 'Paper fills', labelNames: ['strategy', 'side', 'partial'], registers: [r] });
    this.rejections = new Counter({ name: 'pma_rejections_total', help: 'Orders rejected by risk checks, by reason', labelNames: ['strategy', 'reason'], registers: [r] });
    this.errors = new Counter({ name: 'pma_errors_total', help: 'Error events, by who failed', labelNames: ['source', 'kind'], registers: [r] });
    this.feedStatus = new Counter({ name: 'pma_feed_status_total', help: 'feed_status events (connected, disconnected, stale, gap, recovered)', labelNames: ['feed', 'status'], registers: [r] });
    this.llmLatency = new Histogram({ name: 'pma_llm_latency_seconds', help: 'LLM answer latency, by result (ok or error kind)', labelNames: ['result'], buckets: LLM_BUCKETS, registers: [r] });

    collectedGauge(r, 'pma_scan_interval_seconds', 'Current market scan interval', [], () => {
      const ms = this.scanIntervalSource?.() ?? this.lastScanIntervalMs;
      return ms === null ? [] : [[{}, ms / 1000]];
    });
    const perFeed = (pick: (c: FeedCounterView) => number | undefined): Sample<'feed'>[] =>
      [...this.feeds].flatMap(([feed, read]) => {
        const v = pick(read());
        return v === undefined ? [] : [[{ feed }, v] as Sample<'feed'>];
      });
    collectedCounter(r, 'pma_feed_reconnects_total', 'Websocket reconnects (after drops, not planned)', ['feed'], () => perFeed((c) => c.reconnects));
    collectedCounter(r, 'pma_feed_stale_total', 'Sockets replaced after going silent', ['feed'], () => perFeed((c) => c.stale));
    collectedCounter(r, 'pma_feed_gaps_total', 'Gaps in trade ids', ['feed'], () => perFeed((c) => c.gaps));
    collectedCounter(r, 'pma_feed_malformed_total', 'Malformed messages skipped', ['feed'], () => perFeed((c) => c.malformed));
    const perCache = (pick: (c: CacheCounterView) => number): Sample<'cache'>[] => [...this.allCaches()].map(([cache, read]) => [{ cache }, pick(read())]);
    collectedCounter(r, 'pma_cache_hits_total', 'Cache hits', ['cache'], () => perCache((c) => c.hits));
    collectedCounter(r, 'pma_cache_misses_total', 'Cache misses', ['cache'], () => perCache((c) => c.misses));
    collectedGauge(r, 'pma_llm_cache_hit_ratio', 'LLM decision cache hits / requests', [], () => {
      const cache = this.llm?.().cache;
      return cache && cache.requests > 0 ? [[{}, cache.hits / cache.requests]] : [];
    });
    const book = () => this.trading?.() ?? null;
    collectedGauge(r, 'pma_equity_usdc', 'Cash plus open positions at their best bid (at cost without one)', [], () => (book() ? [[{}, book()!.equity]] : []));
    collectedGauge(r, 'pma_cash_usdc', 'Cash', [], () => (book() ? [[{}, book()!.cash]] : []));
    collectedGauge(r, 'pma_open_exposure_usdc', 'Cost of the open positions', [], () => (book() ? [[{}, book()!.exposure]] : []));
    collectedGauge(r, 'pma_realised_pnl_usdc', 'Realised P&L (sales and resolutions, net of fees), by strategy', ['strategy'], () =>
      Object.entries(book()?.realised ?? {}).map(([strategy, v]): Sample<'strategy'> => [{ strategy }, v]),
    );
    collectedGauge(r, 'pma_positions', 'Open positions (tokens held), by strategy', ['strategy'], () => Object.entries(book()?.positions ?? {}).map(([strategy, v]): Sample<'strategy'> => [{ strategy }, v]));
    collectedGauge(r, 'pma_halted', 'A halt in force (1) or not (0): kill switch, daily drawdown, consecutive losses', ['reason'], () => {
      const b = book();
      return b ? HALT_REASONS.map((reason): Sample<'reason'> => [{ reason }, b.halts.includes(reason) ? 1 : 0]) : [];
    });
    collectedCounter(r, 'pma_anthropic_requests_total', 'Outgoing Anthropic Messages calls, by result', ['result'], () => {
      const engine = this.llm?.().engine;
      if (!engine) return [];
      return [[{ result: 'ok' }, engine.answered], ...Object.entries(engine.errors).map(([kind, n]): Sample<'result'> => [{ result: kind }, n])];
    });
  }

  /**
   * Probes the event loop every `intervalMs` and records how late each probe ran in
   * `pma_event_loop_delay_seconds`, a cumulative histogram: unlike prom-client's per-scrape p99, the
   * share of late ticks over any window is the difference of two scrapes. Returns a stop function.
   */
  startLagProbe(clock: SystemClock, intervalMs = 10): () => void {
    const histogram = new Histogram({
      name: 'pma_event_loop_delay_seconds',
      help: `How late a ${intervalMs} ms timer ran (event-loop lag), cumulative since start`,
      buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
    let stopped = false;
    let timer = 0;
    const schedule = (): void => {
      const due = this.now() + intervalMs;
      timer = clock.setBackgroundTimeout(() => {
        histogram.observe(Math.max(0, this.now() - due) / 1000);
        if (!stopped) schedule();
      }, intervalMs);
    };
    schedule();
    return () => {
      stopped = true;
      clock.clearTimeout(timer);
    };
  }

  /** Counts what an event says happened. Feed it every event the engine appends (a reactor that sees all does). */
  onEvent(event: AnyEvent): void {
    switch (event.type) {
      case 'signal':
        this.signals.inc({ symbol: event.symbol, direction: event.direction, confirmed: String(event.confirmed) });
        break;
      case 'decision':
        this.decisions.inc({ strategy: event.strategy, action: event.action, source: event.source, executed: String(event.executed) });
        break;
      case 'order_intent':
        this.orders.inc({ strategy: event.strategy, side: event.side, order_type: event.orderType });
        break;
      case 'fill':
        this.fills.inc({ strategy: event.strategy, side: event.side, partial: String(event.partial) });
        break;
      case 'risk_rejection':
        this.rejections.inc({ strategy: event.strategy, reason: event.reason });
        break;
      case 'error':
        this.errors.inc({ source: event.source, kind: event.kind });
        break;
      case 'feed_status':
        this.feedStatus.inc({ feed: event.feed, status: event.status });
        break;
      case 'llm_answer':
        this.llmLatency.observe({ result: event.error === null ? 'ok' : errorKind(event.error) }, event.latencyMs / 1000);
        break;
      case 'scan_interval':
        this.lastScanIntervalMs = event.intervalMs;
        break;
    }
  }

  /** Reads a feed adapter's counters at every scrape (`feed.counters` of Binance, CLOB ws, RTDS). */
  watchFeed(name: string, read: () => FeedCounterView): void {
    this.feeds.set(name, read);
  }

  /** Exports the event-loop watchdog's figures, read at scrape time: stalls that ended and the longest. */
  watchStalls(read: () => { stalls: number; longestMs: number }): void {
    collectedCounter(this.registry, 'pma_event_loop_stalls_total', 'Event-loop stalls of at least service.stallWarnMs that ended (one of service.stallExitMs ends the process)', [], () => [[{}, read().stalls]]);
    collectedGauge(this.registry, 'pma_event_loop_longest_stall_seconds', 'The longest event-loop stall that ended', [], () => [[{}, read().longestMs / 1000]]);
  }

  /** Reads the LLM subsystem's counters (`LlmDecisions.metrics()`) at every scrape. */
  /** Reads the portfolio and the halts at every scrape. */
  watchTrading(read: () => TradingView): void {
    this.trading = read;
  }

  watchLlm(read: () => LlmMetrics): void {
    this.llm = read;
  }

  /** Reads a cache's hit/miss counts at every scrape. The LLM decision cache is watched as `llm` by `watchLlm`. */
  watchCache(name: string, read: () => CacheCounterView): void {
    this.caches.set(name, read);
  }

  /** The scan interval as the scan loop has it (`ScanIntervalController.intervalMs`); else the last `scan_interval` event. */
  watchScanInterval(read: () => number): void {
    this.scanIntervalSource = read;
  }

  /** Runs one scan cycle and records how long it took (also when it fails). */
  async timeScanCycle<T>(work: () => Promise<T>): Promise<T> {
    const start = this.now();
    try {
      return await work();
    } finally {
      this.scanCycle.observe((this.now() - start) / 1000);
    }
  }

  /** Times every append of this writer into `pma_event_log_append_seconds` (wraps the instance's append methods). */
  timeAppends(writer: Pick<EventLogWriter, 'append' | 'appendLine' | 'appendMade'>): void {
    const append = writer.append.bind(writer);
    const appendLine = writer.appendLine.bind(writer);
    const appendMade = writer.appendMade.bind(writer);
    const timed = <A, R>(fn: (arg: A) => R) => (arg: A): R => {
      const start = this.now();
      try {
        return fn(arg);
      } finally {
        this.logAppend.observe((this.now() - start) / 1000);
      }
    };
    writer.append = timed(append) as EventLogWriter['append'];
    writer.appendLine = timed(appendLine);
    writer.appendMade = timed(appendMade);
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private *allCaches(): Iterable<[string, () => CacheCounterView]> {
    yield* this.caches;
    const llm = this.llm;
    if (llm) yield ['llm', () => llm().cache];
  }
}
