import type { TickSize } from '@polymarket/clob-client-v2';

/** The tick sizes the CLOB client signs orders for. */
export const TICK_SIZES: readonly TickSize[] = ['0.1', '0.01', '0.005', '0.0025', '0.001', '0.0001'];

export function isTickSize(value: string): value is TickSize {
  return (TICK_SIZES as readonly string[]).includes(value);
}
