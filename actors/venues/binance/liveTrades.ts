import { InputError } from '../../../events/errors';
import { makeEvent } from '../../../events/types';
import { decodeFrame, SkipTrade } from './parse';
import { TradeIdTracker } from './tradeIds';
import { fromFeedOptions, silentLogger, WsConnection, type FeedLogger, type FeedOptions, shouldLog } from '../wsConnection';

/** Events are trades (ts = exchange time `T`) and `feed_status`. */
export interface BinanceLiveOptions extends FeedOptions {
  /** e.g. `wss://stream.binance.com:9443` (config `feeds.binanceWsUrl`). */
  baseUrl: string;
  /** Upper case, e.g. `BTCUSDT` (config `feeds.symbols`). */
  symbols: string[];
  /** Planned reconnect after this long (Binance cuts connections at 24 h). */
  maxConnectionMs: number;
}

export interface BinanceLiveCounters {
  frames: number;
  trades: number;
  /** Trade ids seen before (reconnect overlap or server resend), dropped. */
  duplicates: number;
  /** Trades that filled a hole during a planned-reconnect overlap (emitted out of id order). */
  late: number;
  gaps: number;
  missingTrades: number;
  malformed: number;
  /** Well-formed frames that are not trades (other streams, non-market prints). */
  ignored: number;
  reconnects: number;
  plannedReconnects: number;
  stale: number;
}

export const FEED_BINANCE = 'binance';

export function combinedStreamUrl(baseUrl: string, symbols: string[]): string {
  return `${baseUrl.replace(/\/+$/, '')}/stream?streams=${symbols.map((s) => `${s.toLowerCase()}@trade`).join('/')}`;
}

/** Log the first few bad frames, then every 1000th: never a line per frame. */

/**
 * Live Binance spot trades from the combined stream: decoded frames become `trade` input events,
 * deduplicated by trade id across reconnects, with gaps counted and reported as `feed_status` `gap`.
 * A malformed frame is counted and logged, never thrown.
 */
export class BinanceLiveTrades {
  private readonly conn: WsConnection;
  private readonly trackers = new Map<string, TradeIdTracker>();
  private readonly stats = { frames: 0, trades: 0, duplicates: 0, late: 0, gaps: 0, missingTrades: 0, malformed: 0, ignored: 0 };
  private readonly log: FeedLogger;
  readonly url: string;

  constructor(private readonly opts: BinanceLiveOptions) {
    this.log = opts.log ?? silentLogger;
    this.url = combinedStreamUrl(opts.baseUrl, opts.symbols);
    this.conn = new WsConnection({
      feed: FEED_BINANCE,
      url: this.url,
      ...fromFeedOptions(opts, this.log),
      maxConnectionMs: opts.maxConnectionMs,
      keepalive: null, // Binance pings; `ws` answers with pongs itself
      onMessage: (text) => this.onFrame(text),
      onOverlapEnd: () => this.reportGaps(true),
    });
  }

  start(): void {
    this.conn.start();
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  /** Plain numbers for metrics. */
  get counters(): BinanceLiveCounters {
    const c = this.conn.counters;
    return { ...this.stats, reconnects: c.reconnects, plannedReconnects: c.plannedReconnects, stale: c.stale };
  }

  private onFrame(text: string): void {
    const n = ++this.stats.frames;
    const where = { file: this.url, line: n };
    try {
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        throw new InputError(where, '(frame)', `not valid JSON (${(err as Error).message})`);
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new InputError(where, '(frame)', 'expected a JSON object');
      const frame = decodeFrame(obj as Record<string, unknown>, where);
      if (!frame.trade) {
        this.stats.ignored++;
        return;
      }
      const trade = frame.trade;
      let tracker = this.trackers.get(trade.symbol);
      if (!tracker) this.trackers.set(trade.symbol, (tracker = new TradeIdTracker()));
      const verdict = tracker.accept(trade.tradeId);
      if (verdict === 'duplicate') {
        this.stats.duplicates++;
      } else {
        if (verdict === 'late') this.stats.late++;
        this.stats.trades++;
        this.opts.onEvent(trade);
      }
    } catch (err) {
      if (err instanceof SkipTrade) {
        this.stats.ignored++;
        return;
      }
      if (!(err instanceof InputError)) throw err;
      const m = ++this.stats.malformed;
      if (shouldLog(m)) this.log.warn({ feed: FEED_BINANCE, malformed: m, error: err.message, frame: text.slice(0, 200) }, 'malformed frame skipped');
      return;
    }
    this.reportGaps(!this.conn.overlapping);
  }

  /** Turns holes in the trade ids into counted, logged `gap` events (all holes when no overlap is in progress). */
  private reportGaps(allHoles: boolean): void {
    for (const [symbol, tracker] of this.trackers) {
      for (const gap of tracker.takeGaps(allHoles)) {
        const missing = gap.to - gap.from + 1;
        this.stats.gaps++;
        this.stats.missingTrades += missing;
        const detail = `${symbol} trade ids ${gap.from}-${gap.to} missing (${missing})`;
        this.log.warn({ feed: FEED_BINANCE, symbol, from: gap.from, to: gap.to, missing }, 'trade id gap');
        this.opts.onEvent(makeEvent('feed_status', this.opts.clock.now(), { feed: FEED_BINANCE, status: 'gap', detail }));
      }
    }
  }
}
