import Big from 'big.js';
import type { BookLevel, OrderSide } from '../../events/types';
import { ZERO, dec } from '../../domain/decimal';

export interface Match {
  price: Big;
  size: Big;
}

/** Shares of a level already taken by earlier paper orders against the same book, by `dec(price)`. */
export type Taken = ReadonlyMap<string, Big>;

/**
 * Walks the opposite side of the book (asks for a BUY, bids for a SELL; best first, as `OrderBook`
 * returns them) from the best price up to the limit price, taking at most `want` shares.
 */
export function walkBook(levels: readonly BookLevel[], side: OrderSide, limit: Big, want: Big, taken: Taken = new Map()): Match[] {
  const matches: Match[] = [];
  let left = want;
  for (const level of levels) {
    if (left.lte(0)) break;
    const price = new Big(level.price);
    if (side === 'BUY' ? price.gt(limit) : price.lt(limit)) break;
    const available = new Big(level.size).minus(taken.get(dec(price)) ?? ZERO);
    if (available.lte(0)) continue;
    const size = available.lt(left) ? available : left;
    matches.push({ price, size });
    left = left.minus(size);
  }
  return matches;
}
