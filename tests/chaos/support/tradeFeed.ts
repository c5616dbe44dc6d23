import type { TradeEvent } from '../../../events/types';
import { WsReplayServer, type ServerConn } from '../../support/wsReplayServer';
import { wallClock } from './serviceProcess';

/** A recorded trade as Binance's combined stream sends it. */
export function binanceFrame(t: TradeEvent): string {
  const data = { e: 'trade', E: t.ts, s: t.symbol, t: t.tradeId, p: t.price, q: t.qty, T: t.ts, m: t.buyerMaker, M: true };
  return JSON.stringify({ stream: `${t.symbol.toLowerCase()}@trade`, data });
}

/** Trades by index: an array, or generated on demand (a 30-minute soak sends more than fit in memory). */
export interface TradeSource {
  readonly length: number;
  at(index: number): TradeEvent | undefined;
}

export interface TradeFeedOptions {
  trades: TradeSource;
  /** Keep every sent trade's key in `sent` (default true); off for runs too long to keep them. */
  keepSent?: boolean;
  /** Frames sent back to back per step, and the pause between steps (real ms). */
  perStep: number;
  stepMs: number;
  /** Instead of `perStep`: send each step whatever keeps the connection at this many trades per second (timers run late under load). */
  ratePerSec?: number;
  /** Called after each step with the connection (to close, drop or go silent at a scripted moment). */
  afterStep?: (conn: ServerConn, sentOnConn: number) => void;
}

/**
 * A loopback Binance combined stream replaying recorded trades: one cursor across connections (a new
 * connection goes on where the last one stopped, as the venue would), every frame it sent recorded per
 * connection, so a test knows exactly what the service could have received while connected.
 */
export class TradeFeed {
  cursor = 0;
  /** Trades not sent while true (e.g. until a restarted service has been inspected). */
  hold = false;
  /** `SYMBOL:tradeId` of every trade sent, per connection index. */
  readonly sent: string[][] = [];
  private stopped = false;

  private constructor(
    readonly server: WsReplayServer,
    private readonly o: TradeFeedOptions,
  ) {}

  static async start(o: TradeFeedOptions): Promise<TradeFeed> {
    let feed: TradeFeed | null = null;
    const server = await WsReplayServer.start({ onConnection: (conn) => void feed!.pump(conn) });
    feed = new TradeFeed(server, o);
    return feed;
  }

  get url(): string {
    return this.server.url;
  }

  get done(): boolean {
    return this.cursor >= this.o.trades.length;
  }

  private async pump(conn: ServerConn): Promise<void> {
    const sent: string[] = [];
    if (this.o.keepSent !== false) this.sent[conn.index] = sent;
    let sentOnConn = 0;
    const opened = wallClock.now();
    while (!this.stopped && conn.ws.readyState === conn.ws.OPEN && this.cursor < this.o.trades.length) {
      if (!this.hold) {
        const step = this.o.ratePerSec === undefined ? this.o.perStep : Math.max(0, Math.floor((this.o.ratePerSec * (wallClock.now() - opened)) / 1000) - sentOnConn);
        const end = Math.min(this.o.trades.length, this.cursor + step);
        for (; this.cursor < end && conn.ws.readyState === conn.ws.OPEN; this.cursor++) {
          const t = this.o.trades.at(this.cursor)!;
          conn.ws.send(binanceFrame(t));
          sentOnConn++;
          if (this.o.keepSent !== false) sent.push(`${t.symbol}:${t.tradeId}`);
        }
        this.o.afterStep?.(conn, sentOnConn);
      }
      await wallClock.sleep(this.o.stepMs);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.server.stop();
  }
}
