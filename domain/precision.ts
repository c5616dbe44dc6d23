import Big from 'big.js';
import type { Decimal } from '../events/types';

/**
 * The venue's number grids, written once: order sizes in whole hundredths of a share, outcome
 * tokens to 6 decimals (the CTF token precision), fees charged to 5 decimals of USDC, prices on
 * the market's tick grid within [tick, 1 - tick] (../shared/REFERENCE.md, "Orders").
 */

/** Decimals of an order size (the CLOB's size step is 0.01 share). */
export const SIZE_DP = 2;
export const SIZE_STEP = new Big('0.01');
/** Decimals of an outcome token balance. */
export const SHARE_DP = 6;
/** Decimals of a fee as the venue charges it. */
export const FEE_DP = 5;

/** Shares an order can carry: rounded down to the size step. */
export function floorSize(shares: Big): Big {
  return shares.round(SIZE_DP, Big.roundDown);
}

/** Rounded up to the size step (e.g. to reach a market's minimum size). */
export function ceilSize(shares: Big): Big {
  return shares.round(SIZE_DP, Big.roundUp);
}

/** Whether a size is a whole number of size steps. */
export function onSizeStep(size: Big): boolean {
  return size.mod(SIZE_STEP).eq(0);
}

/** A price on the tick grid, rounded up (buys) or down (sells), kept within [tick, 1 - tick]. */
export function onTick(price: Big, tick: Big, dir: 'up' | 'down'): Decimal {
  let p = price.div(tick).round(0, dir === 'up' ? Big.roundUp : Big.roundDown).times(tick);
  if (p.lt(tick)) p = tick;
  const top = new Big(1).minus(tick);
  if (p.gt(top)) p = top;
  return p.toString();
}
