import Big from 'big.js';
import { assign, emit, setup } from 'xstate';
import type { Decimal } from '../events/types';

/**
 * The scan-interval controller: from each market snapshot's outcome prices, volatility = (max - min)
 * / mean of a market's outcome prices, averaged over the first `sampleMarkets` markets that have at
 * least two prices (and a mean above zero). Above `volatilityThreshold` the scan runs at half the
 * base interval (never below `minIntervalMs`): state `fast`; otherwise at the base: state `normal`.
 * Every change of state is emitted as a `scan_interval` body (with a base already at the minimum,
 * `fast` keeps the same interval and still says so).
 *
 * The arithmetic is big.js so that a market exactly at the threshold (0.505 / 0.495 -> 0.02) is not
 * pushed over it by float rounding.
 */

export interface ScanIntervalInput {
  baseIntervalMs: number;
  minIntervalMs: number;
  volatilityThreshold: number;
  sampleMarkets: number;
}

export type ScanIntervalEvent = { type: 'SNAPSHOT'; ts: number; outcomePrices: Decimal[][] };

export interface ScanIntervalChange {
  type: 'scan_interval';
  intervalMs: number;
  volatility: number;
  marketsSampled: number;
}

export interface ScanIntervalContext {
  params: ScanIntervalInput;
  intervalMs: number;
  volatility: number;
  marketsSampled: number;
  /** The exact average, as a decimal string, for the threshold comparison. */
  volatilityExact: Decimal;
}

export interface Volatility {
  volatility: Decimal;
  marketsSampled: number;
}

/** Average (max - min) / mean over the first `sample` markets with at least two prices; "0" when none. */
export function snapshotVolatility(outcomePrices: readonly (readonly Decimal[])[], sample: number): Volatility {
  let sum = new Big(0);
  let n = 0;
  for (const prices of outcomePrices) {
    if (n >= sample) break;
    if (prices.length < 2) continue;
    const values = prices.map((p) => new Big(p));
    const total = values.reduce((a, b) => a.plus(b), new Big(0));
    if (!total.gt(0)) continue;
    const max = values.reduce((a, b) => (b.gt(a) ? b : a));
    const min = values.reduce((a, b) => (b.lt(a) ? b : a));
    sum = sum.plus(max.minus(min).times(values.length).div(total));
    n++;
  }
  return { volatility: n === 0 ? '0' : sum.div(n).toString(), marketsSampled: n };
}

export function fastIntervalMs(p: ScanIntervalInput): number {
  return Math.max(p.minIntervalMs, Math.floor(p.baseIntervalMs / 2));
}

export const scanIntervalMachine = setup({
  types: {
    input: {} as ScanIntervalInput,
    context: {} as ScanIntervalContext,
    events: {} as ScanIntervalEvent,
    emitted: {} as ScanIntervalChange,
  },
  actions: {
    measure: assign(({ context, event }) => {
      const v = snapshotVolatility(event.outcomePrices, context.params.sampleMarkets);
      return { volatilityExact: v.volatility, volatility: Number(v.volatility), marketsSampled: v.marketsSampled };
    }),
    useFast: assign(({ context }) => ({ intervalMs: fastIntervalMs(context.params) })),
    useBase: assign(({ context }) => ({ intervalMs: context.params.baseIntervalMs })),
    announce: emit(({ context }) => ({
      type: 'scan_interval' as const,
      intervalMs: context.intervalMs,
      volatility: context.volatility,
      marketsSampled: context.marketsSampled,
    })),
  },
  guards: {
    volatile: ({ context }) => new Big(context.volatilityExact).gt(context.params.volatilityThreshold),
    calm: ({ context }) => !new Big(context.volatilityExact).gt(context.params.volatilityThreshold),
  },
}).createMachine({
  id: 'scanInterval',
  context: ({ input }) => ({ params: input, intervalMs: input.baseIntervalMs, volatility: 0, marketsSampled: 0, volatilityExact: '0' }),
  initial: 'normal',
  on: { SNAPSHOT: { actions: 'measure' } },
  states: {
    normal: {
      always: { guard: 'volatile', target: 'fast', actions: ['useFast', 'announce'] },
    },
    fast: {
      always: { guard: 'calm', target: 'normal', actions: ['useBase', 'announce'] },
    },
  },
});
