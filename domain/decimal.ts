import Big from 'big.js';
import type { Decimal } from '../events/types';
import { BoundedPairMemo } from './memo';

/** Plain decimal notation without trailing zeros ("0.5", "12", "0.0000001"), never exponent form. */
export function dec(value: Big): Decimal {
  return value.toFixed();
}

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** A decimal string as Big, or null when it is not one (Big would also accept exponents and floats). */
export function parseDecimal(value: string): Big | null {
  return DECIMAL.test(value) ? new Big(value) : null;
}

/** (bid + ask) / 2, exactly, as big.js writes it; kept per bid and ask (books move on a grid of ticks). */
export function midpoint(bid: Decimal, ask: Decimal): Decimal {
  return midpoints.get(bid, ask, midpointOf);
}

const midpoints = new BoundedPairMemo<Decimal, Decimal, Decimal>(65_536);

function midpointOf(bid: Decimal, ask: Decimal): Decimal {
  return new Big(bid).plus(ask).div(2).toString();
}

export const ZERO = new Big(0);
export const ONE = new Big(1);

export function sum(values: Iterable<Big>): Big {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

const DAY_MS = 86_400_000;
/** The day (whole days since the epoch) whose text `utcDay` returned last, and that text. */
let lastDay = NaN;
let lastDayText = '';

/**
 * The UTC calendar day of an event time, "YYYY-MM-DD" (daily P&L and the drawdown halt use it). A
 * function of the whole days since the epoch, which a run asks for on most events: the last one is kept.
 */
export function utcDay(ts: number): string {
  const day = Math.floor(ts / DAY_MS);
  if (day !== lastDay) {
    lastDayText = new Date(ts).toISOString().slice(0, 10);
    lastDay = day;
  }
  return lastDayText;
}

/** A copy of a JSON-shaped value with every object's keys sorted, so equal states serialise byte for byte. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out as T;
  }
  return value;
}
