import type { Config } from './config/schema';
import type { Clock } from '../events/clock';
import { EventLogWriter } from '../events/log';
import type { InputEvent } from '../events/types';
import { BinanceLiveTrades } from './venues/binance/liveTrades';
import { ClobMarketChannel } from './venues/polymarket/marketChannel';
import { RtdsChainlinkPrices } from './venues/polymarket/rtds';
import { silentLogger, type FeedLogger } from './venues/wsConnection';

export interface RecordOptions {
  /** Tick file to write (appended to when it exists; a torn tail is cut off and reported). */
  out: string;
  config: Config;
  clock: Clock;
  random: () => number;
  /** Record Binance trades (config `feeds.symbols`). */
  binance: boolean;
  /** CLOB token ids for the market channel (none: not recorded). */
  assets: string[];
  /** Chainlink pairs from RTDS (none: not recorded). */
  oracleSymbols: string[];
  log?: FeedLogger;
}

/** A live feed as the recorder drives it. */
interface Feed {
  name: string;
  start(): void;
  close(): Promise<void>;
  readonly counters: object;
}

export interface RecordSummary {
  path: string;
  events: number;
  byType: Record<string, number>;
  feeds: Record<string, object>;
  /** Why recording stopped early (a write failure), or null. */
  failure: string | null;
}

/**
 * `pma record`: every live input event, in arrival order, appended to a tick file as it arrives
 * (durability `write`: on the OS before the next frame is read). seq is assigned by the writer.
 */
export class Recording {
  private readonly feeds: Feed[] = [];
  private readonly byType: Record<string, number> = {};
  private events = 0;
  private failure: string | null = null;
  private failureListeners: (() => void)[] = [];
  private stopped: Promise<RecordSummary> | null = null;
  private writerClosed = false;

  private constructor(
    private readonly writer: EventLogWriter,
    private readonly log: FeedLogger,
  ) {}

  static start(opts: RecordOptions): Recording {
    const writer = EventLogWriter.open(opts.out, { durability: 'write' });
    const log = opts.log ?? silentLogger;
    if (writer.tornTail) log.warn({ path: opts.out, tornTail: writer.tornTail }, 'cut off a torn last line left by an earlier crash');
    const rec = new Recording(writer, log);
    const f = opts.config.feeds;
    const onEvent = (e: InputEvent) => rec.record(e);
    if (opts.binance) {
      const feed = new BinanceLiveTrades({
        baseUrl: f.binanceWsUrl,
        symbols: f.symbols,
        clock: opts.clock,
        random: opts.random,
        watchdogMs: f.watchdogMs,
        maxConnectionMs: f.maxConnectionMs,
        reconnectBaseMs: f.reconnectBaseMs,
        reconnectMaxMs: f.reconnectMaxMs,
        onEvent,
        log,
      });
      rec.feeds.push({ name: 'binance', start: () => feed.start(), close: () => feed.close(), get counters() { return feed.counters; } });
    }
    const common = { clock: opts.clock, random: opts.random, watchdogMs: f.watchdogMs, reconnectBaseMs: f.reconnectBaseMs, reconnectMaxMs: f.reconnectMaxMs, onEvent, log };
    if (opts.assets.length > 0) {
      const feed = new ClobMarketChannel({ ...common, url: f.clobWsUrl, assetIds: opts.assets, pingMs: f.clobPingMs });
      rec.feeds.push({ name: 'clob_ws', start: () => feed.start(), close: () => feed.close(), get counters() { return feed.counters; } });
    }
    if (opts.oracleSymbols.length > 0) {
      const feed = new RtdsChainlinkPrices({ ...common, url: f.rtdsWsUrl, symbols: opts.oracleSymbols, pingMs: f.rtdsPingMs });
      rec.feeds.push({ name: 'rtds', start: () => feed.start(), close: () => feed.close(), get counters() { return feed.counters; } });
    }
    if (rec.feeds.length === 0) log.warn({}, 'no feed selected: nothing will be recorded');
    for (const feed of rec.feeds) feed.start();
    return rec;
  }

  /** Called once if a write fails (disk full...): the caller should stop. */
  onFailure(listener: () => void): void {
    this.failureListeners.push(listener);
  }

  private record(event: InputEvent): void {
    if (this.failure || this.writerClosed) return;
    try {
      this.writer.append(event);
    } catch (err) {
      this.failure = (err as Error).message;
      this.log.warn({ error: this.failure }, 'recording stopped: write failed');
      for (const l of this.failureListeners) l();
      return;
    }
    this.events++;
    this.byType[event.type] = (this.byType[event.type] ?? 0) + 1;
  }

  /** Closes every feed, then flushes and closes the tick file. */
  stop(): Promise<RecordSummary> {
    this.stopped ??= (async () => {
      await Promise.all(this.feeds.map((f) => f.close()));
      this.writerClosed = true;
      try {
        this.writer.close();
      } catch (err) {
        this.failure ??= (err as Error).message;
      }
      const feeds: Record<string, object> = {};
      for (const f of this.feeds) feeds[f.name] = f.counters;
      return { path: this.writer.path, events: this.events, byType: { ...this.byType }, feeds, failure: this.failure };
    })();
    return this.stopped;
  }
}

export function formatRecordSummary(s: RecordSummary): string {
  const types = Object.entries(s.byType)
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  const lines = [`recorded ${s.events} events to ${s.path}${types ? ` (${types})` : ''}`];
  for (const [name, counters] of Object.entries(s.feeds)) {
    lines.push(`  ${name}: ${Object.entries(counters).map(([k, v]) => `${k} ${String(v)}`).join(', ')}`);
  }
  if (s.failure) lines.push(`stopped early: ${s.failure}`);
  return lines.join('\n') + '\n';
}
