import { InputError } from '../../../events/errors';
import { fromFeedOptions, silentLogger, WsConnection, type FeedLogger, type FeedOptions, shouldLog } from '../wsConnection';
import { parseRtdsFrame, rtdsSubscribeMessage } from './rtdsParse';

export const FEED_RTDS = 'rtds';

export interface RtdsOptions extends FeedOptions {
  /** `wss://ws-live-data.polymarket.com` (config `feeds.rtdsWsUrl`, env `RTDS_WS_URL`). */
  url: string;
  /** Chainlink pairs, e.g. `btc/usd` (config `feeds.oracleSymbols`). */
  symbols: string[];
  /** Text `PING` every this many ms (Polymarket asks for 5 s; config `feeds.rtdsPingMs`). */
  pingMs: number;
}

export interface RtdsCounters {
  frames: number;
  prices: number;
  /** Prices at or before the last one of their pair (history resent after a resubscribe), dropped. */
  repeated: number;
  /** Pairs not asked for, and other topics. */
  ignored: number;
  malformed: number;
  reconnects: number;
  stale: number;
}


/**
 * Chainlink prices from Polymarket's RTDS as `oracle_price` input events (ts = the price's own
 * timestamp), for the pairs asked for, each pair's prices strictly increasing in time.
 */
export class RtdsChainlinkPrices {
  private readonly conn: WsConnection;
  private readonly wanted: Set<string>;
  private readonly lastTs = new Map<string, number>();
  private readonly stats = { frames: 0, prices: 0, repeated: 0, ignored: 0, malformed: 0 };
  private readonly log: FeedLogger;

  constructor(private readonly opts: RtdsOptions) {
    this.log = opts.log ?? silentLogger;
    this.wanted = new Set(opts.symbols.map((s) => s.toLowerCase()));
    this.conn = new WsConnection({
      feed: FEED_RTDS,
      url: opts.url,
      ...fromFeedOptions(opts, this.log),
      maxConnectionMs: null,
      keepalive: { text: 'PING', everyMs: opts.pingMs },
      onOpen: (send) => send(rtdsSubscribeMessage([...this.wanted])),
      onMessage: (text) => this.onFrame(text),
    });
  }

  start(): void {
    this.conn.start();
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  get counters(): RtdsCounters {
    const c = this.conn.counters;
    return { ...this.stats, reconnects: c.reconnects, stale: c.stale };
  }

  private onFrame(text: string): void {
    const n = ++this.stats.frames;
    if (text === 'PONG' || text.length === 0) return;
    let prices;
    try {
      prices = parseRtdsFrame(text, { file: this.opts.url, line: n });
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const m = ++this.stats.malformed;
      if (shouldLog(m)) this.log.warn({ feed: FEED_RTDS, malformed: m, error: err.message, frame: text.slice(0, 200) }, 'malformed RTDS message skipped');
      return;
    }
    if (prices.length === 0) this.stats.ignored++;
    prices.sort((a, b) => a.ts - b.ts); // a history batch may come newest first
    for (const p of prices) {
      if (!this.wanted.has(p.symbol)) {
        this.stats.ignored++;
        continue;
      }
      const last = this.lastTs.get(p.symbol);
      if (last !== undefined && p.ts <= last) {
        this.stats.repeated++;
        continue;
      }
      this.lastTs.set(p.symbol, p.ts);
      this.stats.prices++;
      this.opts.onEvent(p);
    }
  }
}
