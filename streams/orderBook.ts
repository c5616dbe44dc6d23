import type { BookLevel, Decimal } from '../events/types';

/**
 * One outcome token's order book. Levels are keyed by their price string and sorted on read
 * (bids highest first, asks lowest first), whatever order the source sent them in.
 */
export class OrderBook {
  private readonly bidLevels = new Map<string, Decimal>();
  private readonly askLevels = new Map<string, Decimal>();
  private sortedBids: BookLevel[] | null = null;
  private sortedAsks: BookLevel[] | null = null;

  constructor(
    readonly tokenId: string,
    /** Event time of the last change. */
    public updatedTs: number,
  ) {}

  static fromSnapshot(tokenId: string, ts: number, bids: readonly BookLevel[], asks: readonly BookLevel[]): OrderBook {
    const book = new OrderBook(tokenId, ts);
    for (const l of bids) if (Number(l.size) > 0) book.bidLevels.set(canonicalPrice(l.price), l.size);
    for (const l of asks) if (Number(l.size) > 0) book.askLevels.set(canonicalPrice(l.price), l.size);
    return book;
  }

  /** Sets a level's total size; size "0" removes it. */
  set(side: 'BUY' | 'SELL', price: Decimal, size: Decimal, ts: number): void {
    const levels = side === 'BUY' ? this.bidLevels : this.askLevels;
    const key = canonicalPrice(price);
    if (Number(size) === 0) levels.delete(key);
    else levels.set(key, size);
    if (side === 'BUY') this.sortedBids = null;
    else this.sortedAsks = null;
    this.updatedTs = ts;
  }

  bids(): readonly BookLevel[] {
    if (!this.sortedBids) this.sortedBids = sortLevels(this.bidLevels, -1);
    return this.sortedBids;
  }

  asks(): readonly BookLevel[] {
    if (!this.sortedAsks) this.sortedAsks = sortLevels(this.askLevels, 1);
    return this.sortedAsks;
  }

  bestBid(): BookLevel | null {
    return this.bids()[0] ?? null;
  }

  bestAsk(): BookLevel | null {
    return this.asks()[0] ?? null;
  }
}

/** "0.50" and "0.5" are one level. */
function canonicalPrice(price: string): string {
  return price.includes('.') ? price.replace(/0+$/, '').replace(/\.$/, '') : price;
}

function sortLevels(levels: Map<string, Decimal>, dir: 1 | -1): BookLevel[] {
  const out: BookLevel[] = [];
  for (const [price, size] of levels) out.push({ price, size });
  out.sort((a, b) => dir * (Number(a.price) - Number(b.price)));
  return out;
}
