import type { InputEvent } from '../../../events/types';
import { fromFeedOptions, silentLogger, WsConnection, type FeedLogger, type FeedOptions } from '../wsConnection';
import { readClobFrame } from './clobFrames';
import { parseMarketFrame } from './wsParse';

/** Feed name of the market channel's `feed_status` events: domain/market/marketState.ts marks every live book stale on `stale` / `disconnected`. */
export const FEED_CLOB_WS = 'clob_ws';

export interface MarketChannelOptions extends FeedOptions {
  /** `wss://ws-subscriptions-clob.polymarket.com/ws/market` (config `feeds.clobWsUrl`, env `CLOB_WS_URL`). */
  url: string;
  /** CLOB token ids to subscribe from the start. */
  assetIds: string[];
  /** Text `PING` every this many ms (config `feeds.clobPingMs`). */
  pingMs: number;
}

export interface MarketChannelCounters {
  frames: number;
  books: number;
  deltas: number;
  lastTrades: number;
  bestBidAsks: number;
  tickSizeChanges: number;
  resolutions: number;
  pongs: number;
  ignored: number;
  malformed: number;
  reconnects: number;
  stale: number;
}

const COUNTER_OF: Partial<Record<InputEvent['type'], keyof MarketChannelCounters>> = {
  book: 'books',
  book_delta: 'deltas',
  last_trade: 'lastTrades',
  best_bid_ask: 'bestBidAsks',
  tick_size_change: 'tickSizeChanges',
  market_resolved: 'resolutions',
};


/**
 * The CLOB market channel: order-book snapshots and deltas, last trades, best bid/ask, tick-size
 * changes and resolutions for a changing set of tokens, as input events (ts = the venue's
 * timestamp). Every new socket subscribes to the whole current set, so a reconnect brings fresh
 * `book` snapshots; until then the `feed_status` stale/disconnected event marks the books stale.
 */
export class ClobMarketChannel {
  private readonly conn: WsConnection;
  private readonly assets: Set<string>;
  private readonly stats: Omit<MarketChannelCounters, 'reconnects' | 'stale'> = {
    frames: 0,
    books: 0,
    deltas: 0,
    lastTrades: 0,
    bestBidAsks: 0,
    tickSizeChanges: 0,
    resolutions: 0,
    pongs: 0,
    ignored: 0,
    malformed: 0,
  };
  private readonly log: FeedLogger;

  constructor(private readonly opts: MarketChannelOptions) {
    this.log = opts.log ?? silentLogger;
    this.assets = new Set(opts.assetIds);
    this.conn = new WsConnection({
      feed: FEED_CLOB_WS,
      url: opts.url,
      ...fromFeedOptions(opts, this.log),
      maxConnectionMs: null,
      keepalive: { text: 'PING', everyMs: opts.pingMs },
      onOpen: (send) => {
        if (this.assets.size > 0) send(JSON.stringify({ assets_ids: [...this.assets], type: 'market', custom_feature_enabled: true }));
      },
      onMessage: (text) => this.onFrame(text),
    });
  }

  start(): void {
    this.conn.start();
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  /** Token ids currently subscribed (or to subscribe on the next socket). */
  get assetIds(): string[] {
    return [...this.assets];
  }

  /** Adds tokens on the open socket (and to every later subscription). */
  subscribe(ids: string[]): void {
    const fresh = ids.filter((id) => !this.assets.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) this.assets.add(id);
    this.conn.send(JSON.stringify({ assets_ids: fresh, operation: 'subscribe' }));
  }

  /** Removes tokens on the open socket (markets that closed). */
  unsubscribe(ids: string[]): void {
    const gone = ids.filter((id) => this.assets.has(id));
    if (gone.length === 0) return;
    for (const id of gone) this.assets.delete(id);
    this.conn.send(JSON.stringify({ assets_ids: gone, operation: 'unsubscribe' }));
  }

  get counters(): MarketChannelCounters {
    const c = this.conn.counters;
    return { ...this.stats, reconnects: c.reconnects, stale: c.stale };
  }

  private onFrame(text: string): void {
    const frame = readClobFrame(text, this.stats, parseMarketFrame, { name: FEED_CLOB_WS, url: this.opts.url, log: this.log, what: 'market-channel', quoteFrame: true });
    for (const e of frame?.events ?? []) {
      const key = COUNTER_OF[e.type];
      if (key) this.stats[key as keyof typeof this.stats]++;
      this.opts.onEvent(e);
    }
  }
}
