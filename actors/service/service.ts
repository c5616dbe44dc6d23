import { existsSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { InspectionEvent } from 'xstate';
import { SimulatedClock, systemRandom, type SystemClock } from '../../events/clock';
import { EventLogWriter, lineWithSeq, LogWriteError, readReplayRecords, type TornTail } from '../../events/log';
import { makeEvent, type AnyEvent, type InputEvent, type RedemptionIntentEvent } from '../../events/types';
import type { Config } from '../config/schema';
import { Engine, INSTANT_TYPES, type InstantRecord, type Reactor } from '../engine';
import { LlmEngine } from '../llm/engine';
import { createMarketData, type MarketData } from '../marketData/createMarketData';
import { FifteenMinDiscovery, PREFETCH_MS } from '../marketData/fifteenMinDiscovery';
import { createTradingSystem, type TradingSystem } from '../system';
import { liveRefusals } from '../execution/live/marketRules';
import { RedemptionIntents } from '../execution/live/redemptionIntents';
import { gammaResolutions } from '../execution/live/gammaResolutions';
import type { Broker } from '../execution/broker';
import type { Strategy } from '../strategies/types';
import { BinanceLiveTrades } from '../venues/binance/liveTrades';
import { ClobMarketChannel } from '../venues/polymarket/marketChannel';
import { serviceLimits } from '../venues/polymarket/rateLimiter';
import { RtdsChainlinkPrices } from '../venues/polymarket/rtds';
import type { UpDownAsset } from '../venues/polymarket/fifteenMinMarkets';
import type { FeedCounterView } from '../observability/metrics';
import { InputQueue } from './inputQueue';
import { REBUILD_PROGRESS, RebuildProgress } from './rebuildProgress';
import { replayLines } from '../replayLoop';
import { RebuildSink } from './rebuildSink';
import { liveSnapshot, ScanLoop } from './scanLoop';

export interface ServiceOptions {
  config: Config;
  logPath: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  clock: SystemClock;
  random?: () => number;
  /** The live broker, only when `--live` was given with credentials; paper otherwise. */
  broker?: Broker;
  /**
   * Live only: sends each `redemption_intent` the service derives (never while it rebuilds). Without it
   * a live service still derives and logs the intents (`pma redeem` sends them).
   */
  redeemer?: { redeem(intent: RedemptionIntentEvent): void };
  /** Sees every non-trade input and every derived event after the rebuild (metrics). */
  onEvent?: (event: AnyEvent) => void;
  /** XState inspection of every actor (the visualizer's hub). */
  inspect?: (event: InspectionEvent) => void;
  /** Where the Polymarket request counter is exported. */
  registry?: Registry;
  /** Feeds to leave off (tests, or a deployment without a venue). */
  disable?: { binance?: boolean; clobWs?: boolean; rtds?: boolean; scan?: boolean };
  /**
   * Runs once the log is rebuilt, completed and flushed, before the first new input: where a live
   * broker reads the log to learn what it sent (including an intent a crash cut off and the rebuild
   * appended, which it reports as never sent).
   */
  beforeLive?: () => Promise<void>;
  /** Strategies run beside the configured ones (tests, experiments). */
  extraStrategies?: Strategy[];
}

export interface RebuildSummary {
  events: number;
  inputs: number;
  tornTail: TornTail | null;
  /** Derived events of the log's last input that a crash kept out of it; `start` appends them. */
  derivedMissing: number;
  /** Set when the last input's derived events in the log are not what the rebuild derives (config or code changed). */
  derivedMismatch: string | null;
}

export type PartStatus = { status: 'ok' | 'degraded' | 'failed'; detail: string };


/**
 * The headless service: live feeds and scans turned into input events, one engine (log first,
 * then signals, strategies under the supervisor, risk, broker, portfolio), paper by default.
 * On start it rebuilds every actor's state by replaying its own log, so a restart in the middle
 * of a position neither forgets it nor opens it twice.
 */
export class TradingService {
  readonly system: TradingSystem;
  readonly engine: Engine;
  readonly marketData: MarketData;
  readonly llmEngine: LlmEngine;
  private readonly eventClock = new SimulatedClock(0);
  private log: EventLogWriter | null = null;
  /** The last market-scan failure logged at warn (repeats go to debug). */
  private lastScanError: string | null = null;
  private queue: InputQueue | null = null;
  private feeds: { name: string; start(): void; close(): Promise<void>; counters(): FeedCounterView }[] = [];
  private channel: ClobMarketChannel | null = null;
  private scanLoop: ScanLoop | null = null;
  private ticker: number | null = null;
  private subscribed = new Set<string>();
  private failure: string | null = null;
  private stopping = false;
  private rebuilding = false;
  private readonly rebuildSink = new RebuildSink();
  /** What the last input derived that the log lacks: appended once the log is open. */
  private derivedMissing: string[] = [];
  private readonly random: () => number;

  constructor(private readonly opts: ServiceOptions) {
    const { config, clock } = opts;
    this.random = opts.random ?? systemRandom;
    // A live broker sends nothing while the log is replayed: what the exchange said is in the log.
    const broker = opts.broker ? replayGate(opts.broker, () => this.rebuilding) : undefined;
    this.system = createTradingSystem(config, { eventClock: this.eventClock, broker, llm: { mode: 'replay', engine: null }, inspect: opts.inspect, extraStrategies: opts.extraStrategies });
    this.marketData = createMarketData(config, { clock, random: this.random, registry: opts.registry, limits: serviceLimits(config.marketData.gammaRequestsPerMinute) });
    this.llmEngine = new LlmEngine({
      config: config.llm,
      apiKey: opts.env.ANTHROPIC_API_KEY,
      clock,
      onAnswer: (answer) => this.push(answer),
      say: (m) => opts.logger.info(m),
    });
    // Replays of its own log (the rebuild) go nowhere; the real log is opened after it.
    this.engine = new Engine({ log: this.rebuildSink, signals: config.signals, clock: this.eventClock });
    for (const r of this.system.reactors) this.engine.use(r);
    // Live shares are tokens in the wallet: a resolution that leaves a payout due derives its redemption.
    if (broker?.sendsToVenue) {
      this.engine.use(new RedemptionIntents(this.system.markets, this.system.portfolio, (intent) => {
        if (!this.rebuilding) opts.redeemer?.redeem(intent);
      }));
    }
  }

  use(reactor: Reactor): this {
    this.engine.use(reactor);
    return this;
  }

  /** Replays the existing log's inputs so every actor, window and position is as it was. */
  async rebuild(): Promise<RebuildSummary> {
    const path = this.opts.logPath;
    const bytes = existsSync(path) ? statSync(path).size : 0;
    if (bytes === 0) return { events: 0, inputs: 0, tornTail: null, derivedMissing: 0, derivedMismatch: null };
    this.opts.logger.info({ log: path, bytes }, 'rebuilding state from the event log');
    this.rebuilding = true;
    try {
      return await this.replayLog(path, bytes);
    } finally {
      this.rebuilding = false;
    }
  }

  private async replayLog(path: string, bytes: number): Promise<RebuildSummary> {
    const progress = new RebuildProgress(bytes, (seq, percent) => this.opts.logger.info({ seq, percent }, REBUILD_PROGRESS));
    let events = 0;
    /** The logged derived events of the latest input. */
    let logged: string[] = [];
    let lastTs: number | null = null;
    /** Consecutive market data of one ms in the log: one instant, as the backtest delivered it. */
    let instant: InstantRecord[] = [];
    const flush = () => {
      if (instant.length > 0) this.engine.ingestInstant(instant);
      instant = [];
    };
    const { summary, counts } = await replayLines(readReplayRecords(path), this.engine, path, {
      filter: (event) => {
        events++;
        lastTs = event.ts;
        return undefined;
      },
      // As this version writes it (an older version's line upgraded), to compare with the rebuild's.
      onDerived: (record) => logged.push(lineWithSeq(record.line, record.event.seq)),
      ingest: (e, record) => {
        const event = e as InputEvent;
        if (instant.length > 0 && (instant[0].event.ts !== event.ts || !INSTANT_TYPES.has(event.type))) flush();
        logged = [];
        if (INSTANT_TYPES.has(event.type)) instant.push({ event, line: record.line });
        else this.engine.ingestRecord(record);
      },
      onBatch: (_counts, batch) => progress.passed(batch),
    });
    flush();
    // Paper orders the log shows reaching the book after its last input (their fills stamped at
    // or before the last logged event) reach it again now.
    if (lastTs !== null) this.engine.advanceTo(lastTs);
    return { events, inputs: counts.inputs, tornTail: summary.tornTail, ...this.compareLastDerivation(logged) };
  }

  /**
   * A crash (SIGKILL, power cut) can land between an input's derived events: the input and its
   * order intent logged, the fill not. The rebuild derives them all again, so the service's state
   * has the fill; the log must have it too, or the log would no longer be the record of that state.
   */
  private compareLastDerivation(logged: string[]): Pick<RebuildSummary, 'derivedMissing' | 'derivedMismatch'> {
    const derived = this.rebuildSink.derivedByLastInput;
    const prefix = logged.length <= derived.length && logged.every((line, i) => line === derived[i]);
    if (!prefix) {
      const at = logged.findIndex((line, i) => line !== derived[i]);
      return { derivedMissing: 0, derivedMismatch: `the log's last input derived ${logged.length} events, the rebuild ${derived.length}; first difference at seq ${/"seq":(\d+)/.exec(logged[at] ?? derived[at] ?? '')?.[1] ?? '?'}` };
    }
    this.derivedMissing = derived.slice(logged.length);
    return { derivedMissing: this.derivedMissing.length, derivedMismatch: null };
  }

  /** Opens the log after a rebuild for appending, first completing the last input's derived events a crash cut off. */
  openLog(rebuilt: RebuildSummary): EventLogWriter {
    const { config, logger } = this.opts;
    const log = EventLogWriter.open(this.opts.logPath, { durability: config.log.durability });
    if (rebuilt.derivedMismatch) logger.warn({ detail: rebuilt.derivedMismatch }, 'event log: the rebuild derives other events for the last input than the log holds (config or code changed?); the log is left as it is');
    if (this.derivedMissing.length > 0) {
      for (const line of this.derivedMissing) log.appendLine(line);
      logger.warn({ appended: this.derivedMissing.length, lastSeq: log.lastSeq }, "event log: a crash cut off the last input's derived events; derived again and appended");
      this.derivedMissing = [];
    }
    return log;
  }

  async start(): Promise<RebuildSummary> {
    const { config, logger, clock } = this.opts;
    const rebuilt = await this.rebuild();
    if (rebuilt.tornTail) logger.warn({ tornTail: rebuilt.tornTail }, 'event log: torn last line (crash mid-write) cut off; every complete event before it is kept');
    this.log = this.openLog(rebuilt);
    this.engine.switchLog(this.log);
    this.log.flush();
    await this.opts.beforeLive?.();
    const onEvent = this.opts.onEvent;
    if (onEvent) this.engine.use({ name: 'metrics', react: (e) => void onEvent(e) });
    if (this.llmEngine.enabled) this.system.llm.goLive(this.llmEngine);
    this.queue = new InputQueue(
      (e) => this.ingest(e),
      (err) => this.fail(err),
    );
    logger.info({ log: this.opts.logPath, rebuiltEvents: rebuilt.events, mode: config.service.mode, positions: this.system.portfolio.positions().length }, 'service starting');
    this.push(this.llmEngine.start());
    this.startFeeds();
    this.ticker = clock.setTimeout(() => this.tick(), config.service.tickMs);
    return rebuilt;
  }

  /** Graceful stop: no new inputs, the current ones finish, the log is flushed and closed. */
  async stop(reason: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { logger, clock } = this.opts;
    logger.info({ reason }, 'service stopping: no new inputs; finishing the current ones');
    if (this.ticker !== null) clock.clearTimeout(this.ticker);
    await this.scanLoop?.stop();
    await Promise.all(this.feeds.map((f) => f.close()));
    // Inputs already queued may still ask the LLM: let them finish, then log the answers, then close.
    await this.queue?.idle();
    await this.llmEngine.settle();
    await this.queue?.close();
    this.log?.close();
    logger.info({ reason, lastSeq: this.log?.lastSeq ?? 0 }, 'service stopped; event log flushed and closed');
  }

  /**
   * What only the service knows, for /healthz: whether its log still takes inputs. Feeds, market
   * data, the LLM and the strategies report through the observability checks (actors/service/run.ts).
   */
  health(): Record<string, PartStatus> {
    return { event_log: this.failure ? { status: 'failed', detail: this.failure } : { status: 'ok', detail: `${this.log?.lastSeq ?? 0} events` } };
  }

  get halted(): string | null {
    return this.failure;
  }

  /** Appends an input from outside the feeds (the live broker's order updates) once it is logged. */
  append(event: InputEvent): Promise<void> {
    if (!this.queue) return Promise.reject(new Error(`service not started: ${event.type} not logged`));
    return this.queue.pushAndWait(event);
  }

  /** The live event log (after start), for metrics. */
  eventLog(): EventLogWriter | null {
    return this.log;
  }

  /** Each running feed's counters, read at scrape time. */
  feedCounters(): { name: string; counters: () => FeedCounterView }[] {
    return this.feeds.map((f) => ({ name: f.name, counters: () => f.counters() }));
  }

  private push(event: InputEvent): void {
    this.queue?.push(event);
  }

  private ingest(event: InputEvent): void {
    return this.engine.ingest(event);
  }

  /** The log failed (disk full, read-only): stop trading rather than trade without a log. */
  private fail(err: unknown): void {
    this.failure = err instanceof Error ? err.message : String(err);
    const what = err instanceof LogWriteError ? 'event log failed' : 'an input could not be processed';
    this.opts.logger.fatal({ err: this.failure }, `${what}: trading stopped (no input is taken without a log)`);
    if (this.ticker !== null) this.opts.clock.clearTimeout(this.ticker);
    void this.scanLoop?.stop();
    for (const f of this.feeds) void f.close();
  }

  private tick(): void {
    this.push(makeEvent('timer', this.opts.clock.now(), { name: 'tick' }));
    this.ticker = this.opts.clock.setTimeout(() => this.tick(), this.opts.config.service.tickMs);
  }

  private startFeeds(): void {
    const { config, clock, logger } = this.opts;
    const f = config.feeds;
    const common = { clock, random: this.random, watchdogMs: f.watchdogMs, reconnectBaseMs: f.reconnectBaseMs, reconnectMaxMs: f.reconnectMaxMs, onEvent: (e: InputEvent) => this.push(e), log: logger };
    const off = this.opts.disable ?? {};
    if (!off.binance) this.feeds.push({ name: 'binance', ...bind(new BinanceLiveTrades({ ...common, baseUrl: f.binanceWsUrl, symbols: f.symbols, maxConnectionMs: f.maxConnectionMs })) });
    if (!off.rtds) this.feeds.push({ name: 'rtds', ...bind(new RtdsChainlinkPrices({ ...common, url: f.rtdsWsUrl, symbols: f.oracleSymbols, pingMs: f.rtdsPingMs })) });
    if (!off.clobWs) {
      this.channel = new ClobMarketChannel({ ...common, url: f.clobWsUrl, assetIds: [], pingMs: f.clobPingMs });
      this.feeds.push({ name: 'clob_ws', ...bind(this.channel) });
    }
    for (const feed of this.feeds) feed.start();
    if (!off.scan) {
      const assets = (config.fifteenMin.enabled ? config.fifteenMin.assets : []) as UpDownAsset[];
      const fifteenMin =
        assets.length === 0
          ? null
          : new FifteenMinDiscovery({
              source: this.marketData.gamma,
              clock,
              assets,
              notListedTtlMs: config.marketData.notListedTtlMs,
              retryMs: config.marketData.cacheTtlMs,
              prefetchMs: PREFETCH_MS,
              onError: (slug, err) => logger.warn({ slug, err: err instanceof Error ? err.message : String(err) }, '15-minute market lookup failed; asked again after a backoff'),
            });
      this.scanLoop = new ScanLoop({
        clock,
        scan: () => liveSnapshot(this.marketData, fifteenMin),
        intervalMs: () => this.system.scanInterval.intervalMs,
        onSnapshot: (snapshot) => {
          this.lastScanError = null;
          this.push(snapshot);
          // Live: a held market Gamma shows closed with a decided outcome resolves (and is redeemed) even if the channel never said so.
          if (this.opts.broker?.sendsToVenue) for (const resolved of gammaResolutions(snapshot, this.system.markets, this.system.portfolio)) this.push(resolved);
          this.follow(snapshot.markets.flatMap((m) => m.tokenIds));
        },
        onError: (err) => {
          const detail = err instanceof Error ? err.message : String(err);
          // The same failure on every interval is logged once at warn, then at debug until a scan succeeds.
          if (detail !== this.lastScanError) logger.warn({ err: detail }, 'market scan failed; retrying at the next interval');
          else logger.debug?.({ err: detail }, 'market scan failed again');
          this.lastScanError = detail;
          this.push(makeEvent('feed_status', clock.now(), { feed: 'gamma', status: 'disconnected', detail }));
        },
      });
      this.scanLoop.start();
    }
  }

  /** Keeps the CLOB market channel subscribed to exactly the tokens of the latest snapshot. */
  private follow(tokens: string[]): void {
    if (!this.channel) return;
    const next = new Set(tokens);
    const added = tokens.filter((t) => !this.subscribed.has(t));
    const removed = [...this.subscribed].filter((t) => !next.has(t));
    if (added.length) this.channel.subscribe(added);
    if (removed.length) this.channel.unsubscribe(removed);
    this.subscribed = next;
  }
}

function bind(feed: { start(): void; close(): Promise<void>; readonly counters: object }): { start(): void; close(): Promise<void>; counters(): FeedCounterView } {
  return { start: () => feed.start(), close: () => feed.close(), counters: () => feed.counters as FeedCounterView };
}

/**
 * The broker as the rebuild sees it: while the service replays its own log, a live broker must not
 * send anything (the orders it sent and the exchange's answers are already in the log as inputs);
 * its refusals, which need no venue, are derived again as the live run derived them.
 * The paper broker is never gated: its fills are derived, and the rebuild derives them again.
 */
function replayGate(broker: Broker, replaying: () => boolean): Broker {
  if (!broker.sendsToVenue) return broker;
  return {
    sendsToVenue: true,
    execute: (intent, market, ts) => (replaying() ? (liveRefusals([intent], () => market, ts)[0] ?? null) : broker.execute(intent, market, ts)),
    executeGroup: (intents, market, ts) => (replaying() ? liveRefusals(intents, market, ts) : broker.executeGroup(intents, market, ts)),
    // A cancel the log holds was sent (or is sent again by `resume` when its answer is missing).
    cancel: (cancels, ts) => (replaying() ? [] : (broker.cancel?.(cancels, ts) ?? [])),
  };
}
