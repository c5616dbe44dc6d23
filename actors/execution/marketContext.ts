import type { Decimal, MarketInfo } from '../../events/types';
import type { MarketView } from '../../domain/market/marketState';
import type { OrderBook } from '../../domain/market/orderBook';

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
  /** Event time of the token's last recorded trade (`last_trade`), or null: with no book, a tape-only market. */
  lastTradeTs: number | null;
}

/** The context of a token as the market-state fold sees it, or undefined for a token no snapshot named. */
export function marketContext(view: MarketView, tokenId: string): MarketContext | undefined {
  const ref = view.token(tokenId);
  if (!ref) return undefined;
  const book = view.book(tokenId) ?? null;
  const trade = view.lastTrade(tokenId);
  const times = [book?.updatedTs ?? null, view.lastListed(tokenId), trade?.ts ?? null].filter((t): t is number => t !== null);
  // A tape-only market's quote is its last print (the only price it shows) where no snapshot gives one.
  const quote = book ? { bid: null, ask: null } : { bid: view.bestBid(tokenId) ?? trade?.price ?? null, ask: view.bestAsk(tokenId) ?? trade?.price ?? null };
  return {
    info: ref.market,
    book,
    quote,
    dataTs: times.length > 0 ? Math.max(...times) : null,
    stale: view.isStale(tokenId),
    lastTradeTs: trade?.ts ?? null,
  };
}
