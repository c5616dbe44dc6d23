import type { Decimal, MarketInfo } from '../../events/types';
import type { MarketView } from '../../streams/marketState';
import type { OrderBook } from '../../streams/orderBook';

/** What the risk check and the paper broker know of one outcome token's market at decision time. */
export interface MarketContext {
  info: MarketInfo;
  /** The token's live book, or null when only a Gamma snapshot is known. */
  book: OrderBook | null;
  /** The token's best bid and ask from the snapshot, used only when there is no book. */
  quote: { bid: Decimal | null; ask: Decimal | null };
  /** Event time of the freshest data about the token (book change or snapshot), or null. */
  dataTs: number | null;
  /** The book feed is known to be stale or disconnected. */
  stale: boolean;
}

/** The context of a token as the market-state fold sees it, or undefined for a token no snapshot named. */
export function marketContext(view: MarketView, tokenId: string): MarketContext | undefined {
  const ref = view.token(tokenId);
  if (!ref) return undefined;
  const book = view.book(tokenId) ?? null;
  const times = [book?.updatedTs ?? null, view.lastListed(tokenId)].filter((t): t is number => t !== null);
  return {
    info: ref.market,
    book,
    quote: book ? { bid: null, ask: null } : { bid: view.bestBid(tokenId), ask: view.bestAsk(tokenId) },
    dataTs: times.length > 0 ? Math.max(...times) : null,
    stale: view.isStale(tokenId),
  };
}
