import WebSocket from 'ws';
import type { Clock, TimerId } from '../../events/clock';
import { makeEvent, type FeedStatusEvent, type InputEvent } from '../../events/types';

/** Whether the n-th occurrence of a repeated feed problem is logged: the first ten, then every thousandth. */
export const shouldLog = (n: number): boolean => n <= 10 || n % 1000 === 0;

/** What every websocket feed adapter takes besides its URL and subscriptions. */
export interface FeedOptions {
  clock: Clock;
  /** Jitter for reconnect backoff, in [0, 1). */
  random: () => number;
  /** No message for this long while the socket is open: reconnect. */
  watchdogMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** Every input event, in arrival order. */
  onEvent: (event: InputEvent) => void;
  log?: FeedLogger;
}

/** The connection settings every feed passes through unchanged from its options. */
export function fromFeedOptions(o: FeedOptions, log: FeedLogger): Pick<WsConnectionOptions, 'clock' | 'random' | 'watchdogMs' | 'reconnectBaseMs' | 'reconnectMaxMs' | 'onStatus' | 'log'> {
  return { clock: o.clock, random: o.random, watchdogMs: o.watchdogMs, reconnectBaseMs: o.reconnectBaseMs, reconnectMaxMs: o.reconnectMaxMs, onStatus: (e) => o.onEvent(e), log };
}

/** The subset of a pino logger the feeds use (a pino `Logger` fits). */
export interface FeedLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  /** Repeats (the same error on every retry); pino's debug, left out by plain loggers. */
  debug?(obj: object, msg: string): void;
}

export const silentLogger: FeedLogger = { info: () => undefined, warn: () => undefined };

export interface WsConnectionOptions {
  /** Feed name in `feed_status` events (`binance`, `clob_ws`, `rtds`). */
  feed: string;
  url: string;
  clock: Clock;
  /** Jitter source in [0, 1). */
  random: () => number;
  /** No message for this long while connecting or open: the socket is dropped and replaced. */
  watchdogMs: number;
  /** Planned reconnect after this long on one socket (null: never). */
  maxConnectionMs?: number | null;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** Application keepalive, e.g. text `PING` every 10 s (Polymarket); null for none (Binance). */
  keepalive?: { text: string; everyMs: number } | null;
  /** Called on every new socket once open: send the subscription here. */
  onOpen?: (send: (text: string) => void) => void;
  /** Every text frame of every socket (during a planned reconnect both sockets deliver). */
  onMessage: (text: string) => void;
  onStatus: (event: FeedStatusEvent) => void;
  /** The old socket of a planned reconnect has closed: no more overlapping frames will come. */
  onOverlapEnd?: () => void;
  log?: FeedLogger;
}

export interface ConnectionCounters {
  connects: number;
  reconnects: number;
  plannedReconnects: number;
  stale: number;
  errors: number;
}

interface Socket {
  ws: WebSocket;
  openedAt: number | null;
  gotMessage: boolean;
  /** Why we dropped it ourselves (watchdog, planned), for the disconnect detail. */
  dropReason: string | null;
  lastError: string | null;
}

/**
 * A websocket that stays connected: reconnects with exponential backoff and jitter, replaces a
 * socket that goes silent (watchdog), replaces a long-lived socket before the venue cuts it
 * (opening the new one before closing the old), and sends an application keepalive. Every
 * connect / disconnect / stale / recovered is reported as a `feed_status` event. All timers go
 * through the injected clock and are cleared by `close()`.
 */
export class WsConnection {
  readonly counters: ConnectionCounters = { connects: 0, reconnects: 0, plannedReconnects: 0, stale: 0, errors: 0 };
  private current: Socket | null = null;
  /** New socket of a planned reconnect, until its first message. */
  private next: Socket | null = null;
  /** Old socket of a planned reconnect, until it has closed. */
  private retiring: Socket | null = null;
  private stopped = false;
  private started = false;
  private failures = 0;
  /** The error last logged at warn: the same error on every retry is logged once, then at debug. */
  private loggedError: string | null = null;
  /** A disconnect or stale happened: report `recovered` at the next first message. */
  private troubled = false;
  private lastActivity = 0;
  private reconnectTimer: TimerId | null = null;
  private watchdogTimer: TimerId | null = null;
  private keepaliveTimer: TimerId | null = null;
  private plannedTimer: TimerId | null = null;
  private readonly log: FeedLogger;
  private closedWaiters: (() => void)[] = [];

  constructor(private readonly opts: WsConnectionOptions) {
    this.log = opts.log ?? silentLogger;
  }

  start(): void {
    if (this.started) throw new Error(`${this.opts.feed}: already started`);
    this.started = true;
    this.connect();
  }

  /** The socket is open and not yet replaced. */
  get isOpen(): boolean {
    return this.current?.openedAt != null && this.current.ws.readyState === WebSocket.OPEN;
  }

  /** A planned reconnect is in progress: frames may arrive twice. */
  get overlapping(): boolean {
    return this.next !== null || this.retiring !== null;
  }

  /** Sends on the current socket if it is open; returns whether it was sent. */
  send(text: string): boolean {
    if (!this.isOpen) return false;
    this.current!.ws.send(text);
    return true;
  }

  /** Stops for good: clears every timer and drops every socket. Resolves once all sockets have closed. */
  close(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.clearTimers();
      if (this.reconnectTimer !== null) this.opts.clock.clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
      if (this.started) this.status('disconnected', 'closed by client');
      for (const s of [this.current, this.next, this.retiring]) s?.ws.terminate();
    }
    if (this.liveSockets() === 0) return Promise.resolve();
    return new Promise((resolve) => this.closedWaiters.push(resolve));
  }

  private liveSockets(): number {
    return [this.current, this.next, this.retiring].filter((s) => s !== null).length;
  }

  private connect(planned = false): void {
    if (this.stopped) return;
    this.counters.connects++;
    const s: Socket = { ws: new WebSocket(this.opts.url, { perMessageDeflate: false }), openedAt: null, gotMessage: false, dropReason: null, lastError: null };
    if (planned) {
      this.next = s;
    } else {
      this.current = s;
      this.lastActivity = this.opts.clock.now();
      this.armWatchdog(this.opts.watchdogMs);
    }
    s.ws.on('open', () => this.onOpen(s));
    s.ws.on('message', (data, isBinary) => this.onMessage(s, isBinary ? null : data.toString()));
    s.ws.on('error', (err) => {
      this.counters.errors++;
      s.lastError = describeWsError(err, this.opts.url);
      if (s.lastError !== this.loggedError) this.log.warn({ feed: this.opts.feed, err: s.lastError }, 'websocket error');
      else this.log.debug?.({ feed: this.opts.feed, err: s.lastError }, 'websocket error (again)');
      this.loggedError = s.lastError;
    });
    s.ws.on('close', (code, reason) => this.onClose(s, code, reason.toString()));
  }

  private onOpen(s: Socket): void {
    if (this.stopped) return;
    s.openedAt = this.opts.clock.now();
    const planned = s === this.next;
    this.status('connected', planned ? `${this.opts.url} (planned reconnect, overlapping the old socket)` : this.opts.url);
    this.opts.onOpen?.((text) => s.ws.send(text));
    if (planned) return;
    this.lastActivity = s.openedAt;
    this.startKeepalive();
    this.schedulePlanned();
  }

  private onMessage(s: Socket, text: string | null): void {
    if (this.stopped || text === null) return;
    if (s === this.next && !s.gotMessage) this.promote(s);
    if (s === this.current) {
      this.lastActivity = this.opts.clock.now();
      if (!s.gotMessage) {
        this.failures = 0;
        this.loggedError = null;
        if (this.troubled) {
          this.troubled = false;
          this.status('recovered', 'messages flowing again');
        }
      }
    }
    s.gotMessage = true;
    this.opts.onMessage(text);
  }

  /** The new socket of a planned reconnect delivers: it becomes current and the old one is closed. */
  private promote(s: Socket): void {
    const old = this.current;
    this.next = null;
    this.current = s;
    this.lastActivity = this.opts.clock.now();
    if (old) {
      this.retiring = old;
      old.dropReason = 'replaced by planned reconnect';
      old.ws.close(1000, 'planned reconnect');
    }
    this.startKeepalive();
    this.schedulePlanned();
    this.armWatchdog(this.opts.watchdogMs);
  }

  private onClose(s: Socket, code: number, reason: string): void {
    const detail = s.dropReason ?? s.lastError ?? `closed by server (code ${code}${reason ? `, ${reason}` : ''})`;
    if (s === this.retiring) {
      this.retiring = null;
      if (!this.stopped) this.opts.onOverlapEnd?.();
    } else if (s === this.next) {
      this.next = null;
      if (!this.stopped) {
        this.log.warn({ feed: this.opts.feed, detail }, 'planned reconnect failed; keeping the old socket');
        this.schedulePlanned(this.backoffDelay());
      }
    } else if (s === this.current) {
      this.current = null;
      this.clearTimers();
      if (!this.stopped) {
        this.troubled = true;
        this.status('disconnected', detail);
        // The planned replacement, if one was connecting, takes over as a normal connection.
        if (this.next) {
          this.current = this.next;
          this.next = null;
          this.lastActivity = this.opts.clock.now();
          this.armWatchdog(this.opts.watchdogMs);
          if (this.current.openedAt !== null) {
            this.startKeepalive();
            this.schedulePlanned();
          }
        } else {
          this.scheduleReconnect();
        }
      }
    }
    if (this.liveSockets() === 0 && this.stopped) {
      const waiters = this.closedWaiters;
      this.closedWaiters = [];
      for (const w of waiters) w();
    }
  }

  private backoffDelay(): number {
    const cap = Math.min(this.opts.reconnectMaxMs, this.opts.reconnectBaseMs * 2 ** Math.min(this.failures, 30));
    return Math.round(cap / 2 + (cap / 2) * this.opts.random());
  }

  private scheduleReconnect(): void {
    const delay = this.backoffDelay();
    this.failures++;
    this.counters.reconnects++;
    // Attempts 1, 2, 4, 8, ... at info: an offline feed does not fill the log with one line per retry.
    const fields = { feed: this.opts.feed, delayMs: delay, attempt: this.failures };
    if ((this.failures & (this.failures - 1)) === 0) this.log.info(fields, 'reconnecting');
    else this.log.debug?.(fields, 'reconnecting');
    this.reconnectTimer = this.opts.clock.setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private armWatchdog(ms: number): void {
    if (this.watchdogTimer !== null) this.opts.clock.clearTimeout(this.watchdogTimer);
    this.watchdogTimer = backgroundTimeout(this.opts.clock, () => this.checkWatchdog(), ms);
  }

  /** One timer per watchdog period (not one per message): re-armed for the time left. */
  private checkWatchdog(): void {
    this.watchdogTimer = null;
    const s = this.current;
    if (this.stopped || !s) return;
    const silentFor = this.opts.clock.now() - this.lastActivity;
    if (silentFor < this.opts.watchdogMs) {
      this.armWatchdog(this.opts.watchdogMs - silentFor);
      return;
    }
    if (s.openedAt === null) {
      s.dropReason = `no connection after ${silentFor} ms`;
    } else {
      this.counters.stale++;
      s.dropReason = `dropped by watchdog after ${silentFor} ms without a message`;
      this.status('stale', `no message for ${silentFor} ms while the socket was open`);
    }
    s.ws.terminate();
  }

  private startKeepalive(): void {
    const ka = this.opts.keepalive;
    if (!ka) return;
    if (this.keepaliveTimer !== null) this.opts.clock.clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = backgroundTimeout(
      this.opts.clock,
      () => {
        this.keepaliveTimer = null;
        if (this.stopped) return;
        this.send(ka.text);
        this.startKeepalive();
      },
      ka.everyMs,
    );
  }

  private schedulePlanned(delay = this.opts.maxConnectionMs ?? null): void {
    if (delay === null) return;
    if (this.plannedTimer !== null) this.opts.clock.clearTimeout(this.plannedTimer);
    this.plannedTimer = backgroundTimeout(
      this.opts.clock,
      () => {
        this.plannedTimer = null;
        if (this.stopped || this.next || !this.current) return;
        this.counters.plannedReconnects++;
        this.log.info({ feed: this.opts.feed }, 'planned reconnect');
        this.connect(true);
      },
      delay,
    );
  }

  private clearTimers(): void {
    for (const t of [this.watchdogTimer, this.keepaliveTimer, this.plannedTimer]) if (t !== null) this.opts.clock.clearTimeout(t);
    this.watchdogTimer = this.keepaliveTimer = this.plannedTimer = null;
  }

  private status(status: FeedStatusEvent['status'], detail: string): void {
    this.opts.onStatus(makeEvent('feed_status', this.opts.clock.now(), { feed: this.opts.feed, status, detail }));
  }
}

/** A timer that does not keep the process alive when the clock offers one (SystemClock). */
function backgroundTimeout(clock: Clock, fn: () => void, ms: number): TimerId {
  const bg = (clock as { setBackgroundTimeout?: (fn: () => void, ms: number) => TimerId }).setBackgroundTimeout;
  return bg ? bg.call(clock, fn, ms) : clock.setTimeout(fn, ms);
}

/** A connection error in words an operator can act on (geo-block, DNS, refused). */
export function describeWsError(err: Error, url: string): string {
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // keep the raw url
  }
  const http = /Unexpected server response: (\d+)/.exec(err.message);
  if (http) {
    const code = Number(http[1]);
    if (code === 451) return `HTTP 451 from ${host}: unavailable for legal reasons (the venue geo-blocks this region; point the feed URL at a mirror)`;
    return `HTTP ${code} from ${host} during the websocket handshake`;
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `DNS lookup failed for ${host} (${code})`;
  if (code === 'ECONNREFUSED') return `connection refused by ${host}`;
  if (code === 'ECONNRESET') return `connection reset by ${host}`;
  return `${host}: ${err.message}`;
}
