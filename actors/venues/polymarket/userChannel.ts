import type { FeedStatusEvent } from '../../../events/types';
import { silentLogger, WsConnection, type FeedLogger } from '../wsConnection';
import { readClobFrame } from './clobFrames';
import type { Clock } from '../../../events/clock';
import { parseUserFrame, type UserOrderMessage, type UserTradeMessage } from './userChannelParse';

/** Feed name of the user channel's `feed_status` events. */
export const FEED_CLOB_USER = 'clob_user_ws';

/** The L2 API credentials the channel authenticates with (the same key, secret and passphrase as the order client). */
export interface UserChannelAuth {
  apiKey: string;
  secret: string;
  passphrase: string;
}

export interface UserChannelOptions {
  /** `wss://ws-subscriptions-clob.polymarket.com/ws/user` (config `feeds.clobUserWsUrl`, env `CLOB_USER_WS_URL`). */
  url: string;
  clock: Clock;
  random: () => number;
  /** No frame (not even the PONG of our PING) for this long: the socket is replaced. */
  watchdogMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  pingMs: number;
  /** Every connect / disconnect / stale / recovered, as the feed's `feed_status` input event. */
  onStatus: (event: FeedStatusEvent) => void;
  onOrder: (message: UserOrderMessage) => void;
  onTrade: (message: UserTradeMessage) => void;
  log?: FeedLogger;
}

export interface UserChannelCounters {
  frames: number;
  orders: number;
  trades: number;
  pongs: number;
  ignored: number;
  malformed: number;
  reconnects: number;
  stale: number;
}

/**
 * The authenticated CLOB user channel: our order and trade events for the markets (condition ids)
 * subscribed. Every new socket sends the credentials and the whole current set of markets, so a
 * reconnect resubscribes; what was missed while down is the live broker's to reconcile by polling.
 * The credentials are kept in a private field and only ever written to the socket.
 */
export class ClobUserChannel {
  readonly #auth: UserChannelAuth;
  private readonly conn: WsConnection;
  private readonly markets = new Set<string>();
  private readonly stats = { frames: 0, orders: 0, trades: 0, pongs: 0, ignored: 0, malformed: 0 };
  private readonly log: FeedLogger;

  constructor(
    private readonly opts: UserChannelOptions,
    auth: UserChannelAuth,
  ) {
    this.#auth = { ...auth };
    this.log = opts.log ?? silentLogger;
    this.conn = new WsConnection({
      feed: FEED_CLOB_USER,
      url: opts.url,
      clock: opts.clock,
      random: opts.random,
      watchdogMs: opts.watchdogMs,
      reconnectBaseMs: opts.reconnectBaseMs,
      reconnectMaxMs: opts.reconnectMaxMs,
      maxConnectionMs: null,
      keepalive: { text: 'PING', everyMs: opts.pingMs },
      onOpen: (send) => send(JSON.stringify({ auth: this.#auth, markets: [...this.markets], type: 'user' })),
      onMessage: (text) => this.onFrame(text),
      onStatus: opts.onStatus,
      log: this.log,
    });
  }

  start(): void {
    this.conn.start();
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  /** Condition ids subscribed (or to subscribe on the next socket). */
  get conditionIds(): string[] {
    return [...this.markets];
  }

  /** Adds markets on the open socket and to every later subscription. */
  subscribe(conditionIds: readonly string[]): void {
    const fresh = conditionIds.filter((id) => id !== '' && !this.markets.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) this.markets.add(id);
    this.conn.send(JSON.stringify({ markets: fresh, operation: 'subscribe' }));
  }

  get counters(): UserChannelCounters {
    const c = this.conn.counters;
    return { ...this.stats, reconnects: c.reconnects, stale: c.stale };
  }

  private onFrame(text: string): void {
    const frame = readClobFrame(text, this.stats, parseUserFrame, { name: FEED_CLOB_USER, url: this.opts.url, log: this.log, what: 'user-channel', quoteFrame: false });
    for (const m of frame?.messages ?? []) {
      if (m.kind === 'order') {
        this.stats.orders++;
        this.opts.onOrder(m);
      } else {
        this.stats.trades++;
        this.opts.onTrade(m);
      }
    }
  }
}
