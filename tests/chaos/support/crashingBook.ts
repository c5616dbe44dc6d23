import { WsReplayServer, type ServerConn } from '../../support/wsReplayServer';
import { wallClock } from './serviceProcess';

export interface CrashingBookOptions {
  /** The CLOB token whose book crashes, and its market's condition id. */
  tokenId: string;
  market: string;
  /** One cycle: the book at `normal` for `calmMs`, at `crashed` for `crashMs`, at `normal` again until `cycleMs`. */
  cycleMs: number;
  calmMs: number;
  crashMs: number;
  normal: { bid: string; ask: string };
  crashed: { bid: string; ask: string };
  /** Shares at each price level. */
  depth: string;
  /** A fresh book for the token every this many ms, to every socket subscribed to it. */
  stepMs: number;
}

/**
 * A loopback Polymarket market channel on which one token's book crashes and rebounds every cycle
 * (wall time), so a flash-crash strategy enters and exits again and again while a test kills its
 * service: orders, fills and positions at every moment a kill can land.
 */
export class CrashingBook {
  /** No book is sent while true (while a test inspects a restarted service). */
  hold = false;
  booksSent = 0;
  private readonly subscribed = new Set<ServerConn>();
  private readonly started = wallClock.now();
  private timer: ReturnType<typeof setInterval> | null = null;

  private constructor(
    readonly server: WsReplayServer,
    private readonly o: CrashingBookOptions,
  ) {}

  static async start(o: CrashingBookOptions): Promise<CrashingBook> {
    let book: CrashingBook | null = null;
    const server = await WsReplayServer.start({ onClientMessage: (conn, text) => book!.onMessage(conn, text) });
    book = new CrashingBook(server, o);
    book.timer = setInterval(() => book!.step(), o.stepMs);
    return book;
  }

  get url(): string {
    return this.server.url;
  }

  /** Whether the book is crashed at wall time `at`. */
  crashedAt(at: number): boolean {
    const inCycle = (at - this.started) % this.o.cycleMs;
    return inCycle >= this.o.calmMs && inCycle < this.o.calmMs + this.o.crashMs;
  }

  /** The cycle (0, 1, ...) wall time `at` falls in: one crash each. */
  cycleOf(at: number): number {
    return Math.floor((at - this.started) / this.o.cycleMs);
  }

  /** Whether `at` is at least a second past a crash's end and a second before the next one. */
  calmAfterCrash(at: number): boolean {
    const inCycle = (at - this.started) % this.o.cycleMs;
    return at - this.started >= this.o.cycleMs && inCycle >= 0 && inCycle <= this.o.calmMs - 2000;
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await this.server.stop();
  }

  private onMessage(conn: ServerConn, text: string): void {
    if (!text.startsWith('{')) return;
    const msg = JSON.parse(text) as { assets_ids?: string[]; operation?: string };
    if (!msg.assets_ids?.includes(this.o.tokenId)) return;
    if (msg.operation === 'unsubscribe') this.subscribed.delete(conn);
    else {
      this.subscribed.add(conn);
      this.sendBook(conn);
    }
  }

  private step(): void {
    if (this.hold) return;
    for (const conn of this.subscribed) {
      if (conn.ws.readyState !== conn.ws.OPEN) this.subscribed.delete(conn);
      else this.sendBook(conn);
    }
  }

  private sendBook(conn: ServerConn): void {
    const now = wallClock.now();
    const { bid, ask } = this.crashedAt(now) ? this.o.crashed : this.o.normal;
    const level = (price: string) => [{ price, size: this.o.depth }];
    conn.send(JSON.stringify({ event_type: 'book', asset_id: this.o.tokenId, market: this.o.market, bids: level(bid), asks: level(ask), timestamp: String(now), hash: `h${now}` }));
    this.booksSent++;
  }
}
