import type { AnyEvent, BookLevel, Decimal, MarketInfo } from '../../events/types';
import { OrderBook } from './orderBook';

export interface TokenRef {
  market: MarketInfo;
  outcomeIndex: number;
  outcome: string;
}

/** What strategies may read of the markets: the latest Gamma snapshot, recorded market definitions and the live books. */
export interface MarketView {
  /** Event time of the last market snapshot, or null before the first. */
  readonly snapshotTs: number | null;
  /** Counts the events folded in: what a reader derives from the view stays true while it is the same. */
  readonly version: number;
  markets(): readonly MarketInfo[];
  market(marketId: string): MarketInfo | undefined;
  token(tokenId: string): TokenRef | undefined;
  /** The token's live book when it exists and is not stale. */
  book(tokenId: string): OrderBook | undefined;
  /** Best ask of the token: the live book first, else the snapshot (bestAsk for outcome 0, else outcome price). */
  bestAsk(tokenId: string): Decimal | null;
  bestBid(tokenId: string): Decimal | null;
  /** The book feed for the token is stale (silent feed, reconnecting): do not trade it. */
  isStale(tokenId: string): boolean;
  /** The token's market has resolved (and which token won), or undefined. */
  resolution(marketId: string): string | undefined;
  /** Event time of the last snapshot that listed the token's market, or null (a market that left the scan ages). */
  lastListed(tokenId: string): number | null;
  /** The token's last recorded trade print (`last_trade`), or undefined. */
  lastTrade(tokenId: string): { ts: number; price: Decimal } | undefined;
}

/**
 * How long (event time) a resolved market's tokens, books and last trades stay readable after its resolution,
 * unless a snapshot still lists it: far longer than any order's way to the book (an order sent just before the
 * resolution still meets the book it was sent against), after which nothing reads them. Only the resolution
 * itself (`resolution()`, which token won) is kept for good. A long run then holds the markets of the last hour,
 * not of every window it has seen (docs/backtest.md, "Peak memory").
 */
export const RESOLVED_KEPT_MS = 3_600_000;

/**
 * The markets as the input events describe them: a pure fold over market snapshots and definitions, books, book
 * deltas, resolutions and feed staleness.
 */
export class MarketState implements MarketView {
  snapshotTs: number | null = null;
  version = 0;
  private byId = new Map<string, MarketInfo>();
  private byToken = new Map<string, TokenRef>();
  private books = new Map<string, OrderBook>();
  private stale = new Set<string>();
  private resolved = new Map<string, string>();
  private byCondition = new Map<string, string>();
  private listed = new Map<string, number>();
  private trades = new Map<string, { ts: number; price: Decimal }>();
  private list: MarketInfo[] = [];
  /** Resolved markets whose tokens and books are still kept, in the order resolved, with the event time they may go. */
  private fading: { marketId: string; until: number }[] = [];

  apply(event: AnyEvent): void {
    this.version++;
    if (this.fading.length > 0 && event.ts >= this.fading[0].until) this.forgetResolved(event.ts);
    switch (event.type) {
      case 'market_snapshot':
        this.snapshotTs = event.ts;
        this.list = event.markets;
        for (const m of event.markets) {
          this.byId.set(m.id, m);
          this.byCondition.set(m.conditionId, m.id);
          for (const tokenId of m.tokenIds) this.listed.set(tokenId, event.ts);
          m.tokenIds.forEach((tokenId, i) => this.byToken.set(tokenId, { market: m, outcomeIndex: i, outcome: m.outcomes[i] }));
        }
        break;
      case 'market_definition': {
        // A recorded or downloaded market joins the known ones; it is never "unlisted" by a later scan.
        const m = event.market;
        this.list = [...this.list.filter((known) => known.id !== m.id), m];
        this.byId.set(m.id, m);
        this.byCondition.set(m.conditionId, m.id);
        m.tokenIds.forEach((tokenId, i) => this.byToken.set(tokenId, { market: m, outcomeIndex: i, outcome: m.outcomes[i] }));
        break;
      }
      case 'last_trade':
        this.trades.set(event.tokenId, { ts: event.ts, price: event.price });
        break;
      case 'book':
        this.books.set(event.tokenId, OrderBook.fromSnapshot(event.tokenId, event.ts, event.bids, event.asks));
        this.stale.delete(event.tokenId);
        break;
      case 'book_delta':
        for (const c of event.changes) this.books.get(c.tokenId)?.set(c.side, c.price, c.size, event.ts);
        break;
      case 'market_resolved': {
        const marketId = this.marketIdOf(event.market);
        if (!this.resolved.has(marketId)) this.fading.push({ marketId, until: event.ts + RESOLVED_KEPT_MS });
        this.resolved.set(marketId, event.winningTokenId);
        break;
      }
      case 'feed_status':
        // The CLOB books feed went silent or dropped: every live book is stale until a fresh snapshot.
        if (event.feed === 'clob_ws' && (event.status === 'stale' || event.status === 'disconnected')) {
          for (const tokenId of this.books.keys()) this.stale.add(tokenId);
        }
        break;
      default:
        break;
    }
  }

  /** Drops what the markets resolved at least RESOLVED_KEPT_MS before `ts` keep (a market a snapshot still lists waits another while). */
  private forgetResolved(ts: number): void {
    while (this.fading.length > 0 && ts >= this.fading[0].until) {
      const { marketId } = this.fading.shift()!;
      if (this.list.some((m) => m.id === marketId)) {
        this.fading.push({ marketId, until: ts + RESOLVED_KEPT_MS });
        continue;
      }
      const m = this.byId.get(marketId);
      if (m === undefined) continue;
      for (const tokenId of m.tokenIds) {
        if (this.byToken.get(tokenId)?.market.id !== marketId) continue;
        this.byToken.delete(tokenId);
        this.books.delete(tokenId);
        this.stale.delete(tokenId);
        this.listed.delete(tokenId);
        this.trades.delete(tokenId);
      }
      this.byId.delete(marketId);
      if (this.byCondition.get(m.conditionId) === marketId) this.byCondition.delete(m.conditionId);
    }
  }

  /** How many markets, tokens and books the state holds (bounded over a long run: see RESOLVED_KEPT_MS). */
  held(): { markets: number; tokens: number; books: number; resolved: number } {
    return { markets: this.byId.size, tokens: this.byToken.size, books: this.books.size, resolved: this.resolved.size };
  }

  /**
   * The Gamma market id for a Gamma id or a condition id: the CLOB names markets by condition id,
   * Gamma (and so every order and fill here) by its own id.
   */
  marketIdOf(idOrCondition: string): string {
    return this.byId.has(idOrCondition) ? idOrCondition : (this.byCondition.get(idOrCondition) ?? idOrCondition);
  }

  lastTrade(tokenId: string): { ts: number; price: Decimal } | undefined {
    return this.trades.get(tokenId);
  }

  lastListed(tokenId: string): number | null {
    return this.listed.get(tokenId) ?? null;
  }

  markets(): readonly MarketInfo[] {
    return this.list;
  }

  market(marketId: string): MarketInfo | undefined {
    return this.byId.get(marketId);
  }

  token(tokenId: string): TokenRef | undefined {
    return this.byToken.get(tokenId);
  }

  book(tokenId: string): OrderBook | undefined {
    return this.stale.has(tokenId) ? undefined : this.books.get(tokenId);
  }

  isStale(tokenId: string): boolean {
    return this.stale.has(tokenId);
  }

  resolution(marketId: string): string | undefined {
    return this.resolved.get(marketId);
  }

  bestAsk(tokenId: string): Decimal | null {
    return this.bestFromBook(tokenId, 'ask') ?? this.fromSnapshot(tokenId, 'ask');
  }

  bestBid(tokenId: string): Decimal | null {
    return this.bestFromBook(tokenId, 'bid') ?? this.fromSnapshot(tokenId, 'bid');
  }

  private bestFromBook(tokenId: string, side: 'bid' | 'ask'): Decimal | null {
    const book = this.book(tokenId);
    if (!book) return null;
    const level: BookLevel | null = side === 'ask' ? book.bestAsk() : book.bestBid();
    return level?.price ?? null;
  }

  /** Gamma's bestBid/bestAsk are for outcome 0; outcome 1's are their complements. Else the outcome price. */
  private fromSnapshot(tokenId: string, side: 'bid' | 'ask'): Decimal | null {
    const ref = this.byToken.get(tokenId);
    if (!ref || this.stale.has(tokenId)) return null;
    const m = ref.market;
    const own = side === 'ask' ? m.bestAsk : m.bestBid;
    const other = side === 'ask' ? m.bestBid : m.bestAsk;
    if (ref.outcomeIndex === 0 && own !== null && Number(own) > 0 && Number(own) < 1) return own;
    if (ref.outcomeIndex === 1 && m.outcomes.length === 2 && other !== null && Number(other) > 0 && Number(other) < 1) {
      return complement(other);
    }
    return m.outcomePrices[ref.outcomeIndex] ?? null;
  }
}

/** 1 - p for a price string with at most 6 decimals, exactly. */
function complement(p: Decimal): Decimal {
  const scaled = Math.round(Number(p) * 1e6);
  const rest = 1e6 - scaled;
  return (rest / 1e6).toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
}
