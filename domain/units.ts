import Big from 'big.js';
import type { Decimal } from '../events/types';

/**
 * Money and shares as distinct types over big.js, so a USDC amount cannot be passed where a share
 * count is meant (a buy's fee is charged in USDC and withheld in shares: the two meet in
 * `feeInShares`). Both are plain `Big` at run time.
 */

declare const unit: unique symbol;

/** An amount of USDC (pUSD on CLOB V2). */
export type Usdc = Big & { readonly [unit]: 'usdc' };
/** A number of outcome-token shares. */
export type Shares = Big & { readonly [unit]: 'shares' };

export function usdc(value: Big | Decimal | number): Usdc {
  return new Big(value) as Usdc;
}

export function shares(value: Big | Decimal | number): Shares {
  return new Big(value) as Shares;
}
