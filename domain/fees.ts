import Big from 'big.js';
import type { FeeSchedule, MarketInfo } from '../events/types';
import { ONE, ZERO, parseDecimal } from './decimal';
import { FEE_DP, SHARE_DP } from './precision';
import { usdc, shares as sharesOf, type Shares, type Usdc } from './units';

/**
 * THE fee rule (the only place a fee is computed). Polymarket's taker fee, from the market's own
 * schedule (https://docs.polymarket.com/trading/fees; docs/execution.md):
 *   fee (USDC) = shares x rate x (p x (1 - p)) ^ exponent, taker only, zero when `feesEnabled` is false.
 * Summed unrounded over the levels of one fill, then floored to 5 decimals (0.00001 USDC, the venue's
 * charge precision as NautilusTrader's adapter documents it). Buys pay it in shares (fee / price,
 * rounded half-up to 6 decimals, the CTF token precision, once per fill); sells pay it in USDC.
 * Strategies quote it per share, unrounded (`feePerShare`), to compare prices before an order.
 */


export type Liquidity = 'taker' | 'maker';

export type FeeTerms = Pick<MarketInfo, 'feesEnabled' | 'feeSchedule'>;

/** Why a market's fee cannot be computed (so an order must not be sent), or null. */
export function feeScheduleProblem(market: FeeTerms): string | null {
  if (!market.feesEnabled) return null;
  const s = market.feeSchedule;
  if (s === null) return 'feesEnabled is true but the market has no feeSchedule';
  if (parseDecimal(s.rate) === null || s.rate.startsWith('-')) return `feeSchedule.rate ${JSON.stringify(s.rate)} is not a non-negative decimal`;
  if (!Number.isSafeInteger(s.exponent) || s.exponent < 0) return `feeSchedule.exponent ${s.exponent} is not a whole number >= 0`;
  return null;
}

function schedule(market: FeeTerms): FeeSchedule | null {
  if (!market.feesEnabled) return null;
  const problem = feeScheduleProblem(market);
  if (problem !== null) throw new Error(`cannot compute a fee: ${problem}`);
  return market.feeSchedule;
}

function pays(s: FeeSchedule, liquidity: Liquidity): boolean {
  return liquidity === 'taker' || !s.takerOnly;
}

/** The fee in USDC of `shares` matched at `price`, before rounding. */
export function unroundedFee(market: FeeTerms, shares: Big, price: Big, liquidity: Liquidity = 'taker'): Usdc {
  const s = schedule(market);
  if (s === null || !pays(s, liquidity)) return usdc(ZERO);
  const curve = price.times(ONE.minus(price)).pow(s.exponent);
  return usdc(shares.times(s.rate).times(curve));
}

/** The taker fee in USDC of one share at `price`, unrounded: what a strategy adds to a price before it orders. */
export function feePerShare(market: FeeTerms, price: Big): Usdc {
  return unroundedFee(market, ONE, price, 'taker');
}

/** Rounds a fee the way the venue charges it: down to 5 decimals. */
export function roundFee(fee: Big): Usdc {
  return usdc(fee.round(FEE_DP, Big.roundDown));
}

/** The fee in USDC of one fill made of several matches (levels), each at its own price. */
export function fillFee(market: FeeTerms, matches: readonly { price: Big; size: Big }[], liquidity: Liquidity = 'taker'): Usdc {
  let total = ZERO;
  for (const m of matches) total = total.plus(unroundedFee(market, m.size, m.price, liquidity));
  return roundFee(total);
}

/** The fee in USDC of one match. */
export function takerFee(market: FeeTerms, shares: Big, price: Big): Usdc {
  return roundFee(unroundedFee(market, shares, price, 'taker'));
}

/** Shares withheld on a buy whose fee is worth `feeUsdc` at the (average) fill price: once per fill. */
export function feeInShares(feeUsdc: Big, price: Big): Shares {
  if (feeUsdc.eq(0) || price.eq(0)) return sharesOf(ZERO);
  return sharesOf(feeUsdc.div(price).round(SHARE_DP, Big.roundHalfUp));
}

/** Shares a fill leaves in hand: a BUY's size less its fee in shares; a SELL's size (its fee is paid in USDC). */
export function sharesFilled(fill: { side: 'BUY' | 'SELL'; price: Big | string; size: Big | string; fee: Big | string }): Shares {
  const size = new Big(fill.size);
  if (fill.side === 'SELL') return sharesOf(size);
  return sharesOf(size.minus(feeInShares(new Big(fill.fee), new Big(fill.price))));
}
