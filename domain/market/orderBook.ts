import type { BookLevel, Decimal } from '../../events/types';

/**
 * One outcome token's order book. Levels are keyed by their price string and sorted on read
 * (bids highest first, asks lowest first), whatever order the source sent them in.
 *
 * A book made from a snapshot keeps the snapshot's levels until something needs more than its best
 * prices (a change, a full side): a backtest's model replaces each book every second and mostly
 * reads its top. The best level of a frozen (shared) list of levels is found once.
 */
export class OrderBook {
  private readonly bidLevels = new Map<string, Decimal>();
  private readonly askLevels = new Map<string, Decimal>();
  /** The snapshot's levels, not yet folded into the maps. */
  private snapshot: { bids: readonly BookLevel[]; asks: readonly BookLevel[] } | null = null;
  /** The snapshot's best bid and ask once read (undefined: not yet). */
  private readonly snapshotBest: [BookLevel | null | undefined, BookLevel | null | undefined] = [undefined, undefined];
  private sortedBids: BookLevel[] | null = null;
  private sortedAsks: BookLevel[] | null = null;
  /** Best price keys kept up to date on each change, so reading the top never sorts; undefined: recompute by one scan. */
  private bestBidKey: string | null | undefined = undefined;
  private bestAskKey: string | null | undefined = undefined;

  constructor(
    readonly tokenId: string,
    /** Event time of the last change. */
    public updatedTs: number,
  ) {}

  static fromSnapshot(tokenId: string, ts: number, bids: readonly BookLevel[], asks: readonly BookLevel[]): OrderBook {
    const book = new OrderBook(tokenId, ts);
    book.snapshot = { bids, asks };
    return book;
  }

  /** Folds the snapshot's levels into the maps (a level of size 0 is none; of one price, the last counts). */
  private unfold(): void {
    const s = this.snapshot;
    if (s === null) return;
    this.snapshot = null;
    for (const l of s.bids) if (Number(l.size) > 0) this.bidLevels.set(canonicalPrice(l.price), l.size);
    for (const l of s.asks) if (Number(l.size) > 0) this.askLevels.set(canonicalPrice(l.price), l.size);
  }

  /** Sets a level's total size; size "0" removes it. */
  set(side: 'BUY' | 'SELL', price: Decimal, size: Decimal, ts: number): void {
    this.unfold();
    const levels = side === 'BUY' ? this.bidLevels : this.askLevels;
    const key = canonicalPrice(price);
    const removed = Number(size) === 0;
    if (removed) levels.delete(key);
    else levels.set(key, size);
    if (side === 'BUY') {
      this.sortedBids = null;
      this.bestBidKey = nextBest(this.bestBidKey, key, removed, -1);
    } else {
      this.sortedAsks = null;
      this.bestAskKey = nextBest(this.bestAskKey, key, removed, 1);
    }
    this.updatedTs = ts;
  }

  bids(): readonly BookLevel[] {
    this.unfold();
    if (!this.sortedBids) this.sortedBids = sortLevels(this.bidLevels, -1);
    return this.sortedBids;
  }

  asks(): readonly BookLevel[] {
    this.unfold();
    if (!this.sortedAsks) this.sortedAsks = sortLevels(this.askLevels, 1);
    return this.sortedAsks;
  }

  bestBid(): BookLevel | null {
    if (this.snapshot !== null) return this.snapshotBest[0] === undefined ? (this.snapshotBest[0] = bestOf(this.snapshot.bids, -1)) : this.snapshotBest[0];
    if (this.sortedBids) return this.sortedBids[0] ?? null;
    if (this.bestBidKey === undefined) this.bestBidKey = scanBest(this.bidLevels, -1);
    return this.bestBidKey === null ? null : { price: this.bestBidKey, size: this.bidLevels.get(this.bestBidKey)! };
  }

  bestAsk(): BookLevel | null {
    if (this.snapshot !== null) return this.snapshotBest[1] === undefined ? (this.snapshotBest[1] = bestOf(this.snapshot.asks, 1)) : this.snapshotBest[1];
    if (this.sortedAsks) return this.sortedAsks[0] ?? null;
    if (this.bestAskKey === undefined) this.bestAskKey = scanBest(this.askLevels, 1);
    return this.bestAskKey === null ? null : { price: this.bestAskKey, size: this.askLevels.get(this.bestAskKey)! };
  }
}

/** "0.50" and "0.5" are one level. */
function canonicalPrice(price: string): string {
  const last = price.charCodeAt(price.length - 1);
  if (last !== 48 /* 0 */ && last !== 46 /* . */) return price; // the usual case: nothing to trim
  return price.includes('.') ? price.replace(/0+$/, '').replace(/\.$/, '') : price;
}

/** The best price after one level changed (dir -1: highest is best, 1: lowest); undefined when it must be rescanned. */
function nextBest(best: string | null | undefined, key: string, removed: boolean, dir: 1 | -1): string | null | undefined {
  if (best === undefined) return undefined;
  if (removed) return key === best ? undefined : best;
  if (best === null) return key;
  return dir * (Number(key) - Number(best)) < 0 ? key : best;
}

const bestOfFrozen = [new WeakMap<readonly BookLevel[], BookLevel | null>(), new WeakMap<readonly BookLevel[], BookLevel | null>()];

/**
 * The best level of a snapshot side as the maps would hold it (dir -1: highest is best, 1: lowest):
 * its price canonical, its size the last of that price, levels of size 0 left out. Once per frozen list.
 */
function bestOf(levels: readonly BookLevel[], dir: 1 | -1): BookLevel | null {
  const memo = bestOfFrozen[dir === 1 ? 1 : 0];
  const frozen = Object.isFrozen(levels);
  if (frozen) {
    const known = memo.get(levels);
    if (known !== undefined) return known;
  }
  let best: string | null = null;
  let bestNum = 0;
  let size = '';
  for (const l of levels) {
    if (!(Number(l.size) > 0)) continue;
    const p = Number(l.price);
    if (best === null || dir * (p - bestNum) < 0) {
      best = canonicalPrice(l.price);
      bestNum = p;
      size = l.size;
    } else if (p === bestNum && canonicalPrice(l.price) === best) size = l.size;
  }
  const level = best === null ? null : Object.freeze({ price: best, size });
  if (frozen) memo.set(levels, level);
  return level;
}

function scanBest(levels: Map<string, Decimal>, dir: 1 | -1): string | null {
  let best: string | null = null;
  let bestNum = 0;
  for (const key of levels.keys()) {
    const p = Number(key);
    if (best === null || dir * (p - bestNum) < 0) {
      best = key;
      bestNum = p;
    }
  }
  return best;
}

function sortLevels(levels: Map<string, Decimal>, dir: 1 | -1): BookLevel[] {
  const out: BookLevel[] = [];
  for (const [price, size] of levels) out.push({ price, size });
  out.sort((a, b) => dir * (Number(a.price) - Number(b.price)));
  return out;
}
