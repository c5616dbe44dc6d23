import Big from 'big.js';
import { assign, emit, setup } from 'xstate';
import type { Decimal, MarketInfo } from '../events/types';
import { midpoint } from '../domain/decimal';
import { BoundedPairMemo } from '../domain/memo';
import { ShapeMemo } from './objectShape';

/**
 * The scan-interval controller: above `volatilityThreshold` the scan runs at half the base interval
 * (never below `minIntervalMs`): state `fast`; otherwise at the base: state `normal`. Every change of
 * state is emitted as a `scan_interval` body with the figure that caused it (with a base already at
 * the minimum, `fast` keeps the same interval and still says so). Two measures of volatility:
 * - `priceMove` (default): the mean |relative change| of the mid prices of the first `sampleMarkets`
 *   markets (with a mid) between the last two fetched lists, by event time. A snapshot served from
 *   the same fetch as the last one (a cache hit) measures nothing and changes nothing.
 * - `outcomeSpread` (the plan's formula): (max - min) / mean of a market's outcome prices, averaged
 *   over the first `sampleMarkets` markets with at least two prices. It says how one-sided a binary
 *   market is, not how much it moves (a decided market reads 200 %); kept for comparison.
 *
 * The arithmetic is big.js so that a market exactly at the threshold (0.505 / 0.495 -> 0.02) is not
 * pushed over it by float rounding.
 */

export type VolatilityMeasure = 'priceMove' | 'outcomeSpread';

export interface ScanIntervalInput {
  baseIntervalMs: number;
  minIntervalMs: number;
  volatilityThreshold: number;
  sampleMarkets: number;
  /** Absent in snapshots persisted before it existed: `outcomeSpread`, as they were measured. */
  measure?: VolatilityMeasure;
}

/** What the controller reads of a listed market. */
export type SampledMarket = Pick<MarketInfo, 'id' | 'outcomePrices' | 'bestBid' | 'bestAsk'>;

export type ScanIntervalEvent = { type: 'SNAPSHOT'; ts: number; fetchedAt?: number; markets: SampledMarket[] };

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
  /** The exact figure, as a decimal string, for the threshold comparison. */
  volatilityExact: Decimal;
  /** `priceMove`: the sampled mids of the last fetched list, by market id, and when it was fetched. */
  lastMids?: Record<string, Decimal>;
  lastFetchedAt?: number | null;
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

/**
 * A market's mid price: (best bid + best ask) / 2 when both sides are quoted (bid > 0, ask >= bid),
 * else its first outcome price (Gamma's mid or last trade); null when it has neither above zero.
 */
export function marketMid(m: SampledMarket): Decimal | null {
  if (m.bestBid !== null && m.bestAsk !== null) {
    const mid = quotedMid(m.bestBid, m.bestAsk);
    if (mid !== null) return mid;
  }
  const first = m.outcomePrices[0];
  return first !== undefined && new Big(first).gt(0) ? first : null;
}

/**
 * Exact results the scan keeps (it reads a model quote every second: the same few bid/ask pairs and
 * mid moves over and over), by pair.
 */
const MEMO_LIMIT = 4096;
const quotedPairs = new BoundedPairMemo<Decimal, Decimal, boolean>(MEMO_LIMIT);

/** (bid + ask) / 2 when bid > 0 and ask >= bid, else null. */
function quotedMid(bestBid: Decimal, bestAsk: Decimal): Decimal | null {
  return quotedPairs.get(bestBid, bestAsk, isQuotedPair) ? midpoint(bestBid, bestAsk) : null;
}

function isQuotedPair(bestBid: Decimal, bestAsk: Decimal): boolean {
  const bid = new Big(bestBid);
  return bid.gt(0) && new Big(bestAsk).gte(bid);
}

/** The mids of the first `sample` markets that have one, by id. */
export function sampleMids(markets: readonly SampledMarket[], sample: number): Record<string, Decimal> {
  const mids: Record<string, Decimal> = {};
  let n = 0;
  for (const m of markets) {
    if (n >= sample) break;
    const mid = marketMid(m);
    if (mid === null || m.id in mids) continue;
    mids[m.id] = mid;
    n++;
  }
  return mids;
}

const moves = new BoundedPairMemo<Decimal, Decimal, bigint>(MEMO_LIMIT);

/**
 * Mean |now - before| / before over the markets sampled in both; "0" when none is. As big.js computes
 * it (each move and the mean rounded half up to Big.DP = 20 places, written as Big writes it), in
 * integers of 1e-20: a backtest measures every model quote, and big.js division is the slow part.
 */
export function priceMove(before: Readonly<Record<string, Decimal>>, now: Readonly<Record<string, Decimal>>): Volatility {
  let sum = 0n;
  let moved = false;
  let n = 0;
  for (const id in now) {
    const prev = before[id];
    if (prev === undefined) continue;
    n++;
    const mid = now[id];
    // An unchanged mid adds exactly zero.
    if (mid === prev) continue;
    sum += moves.get(prev, mid, relativeMove);
    moved = true;
  }
  return { volatility: n === 0 || !moved ? '0' : bigText(roundedDiv(sum, BigInt(n))), marketsSampled: n };
}

const DP = 20;
const ONE = 10n ** BigInt(DP);

/** |now - before| / before in units of 1e-20, rounded half up (big.js `div` at DP 20, RM 1). */
function relativeMove(before: Decimal, now: Decimal): bigint {
  const a = scaledInt(before);
  const b = scaledInt(now);
  const scale = Math.max(a.scale, b.scale);
  const prev = a.int * 10n ** BigInt(scale - a.scale);
  const next = b.int * 10n ** BigInt(scale - b.scale);
  return roundedDiv((next > prev ? next - prev : prev - next) * ONE, prev);
}

/** a / b rounded half up, for a >= 0 and b > 0. */
function roundedDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return 2n * (a - q * b) >= b ? q + 1n : q;
}

const PLAIN = /^(\d+)(?:\.(\d+))?$/;

/** A non-negative decimal as an integer and its decimal places (other notations through big.js, exactly). */
function scaledInt(d: Decimal): { int: bigint; scale: number } {
  const m = PLAIN.exec(d) ?? PLAIN.exec(new Big(d).toFixed());
  if (m === null) throw new Error(`not a non-negative decimal: ${d}`);
  const frac = m[2] ?? '';
  return { int: BigInt(m[1] + frac), scale: frac.length };
}

/** A non-negative number of 1e-20 units as big.js writes it (toString: exponential at exponents <= Big.NE = -7 and >= Big.PE = 21). */
function bigText(units: bigint): Decimal {
  if (units === 0n) return '0';
  const digits = units.toString();
  const e = digits.length - 1 - DP;
  const c = digits.replace(/0+$/, '');
  if (e <= -7 || e >= 21) return c[0] + (c.length > 1 ? '.' + c.slice(1) : '') + (e < 0 ? 'e' : 'e+') + e;
  if (e < 0) return '0.' + '0'.repeat(-e - 1) + c;
  return c.length > e + 1 ? c.slice(0, e + 1) + '.' + c.slice(e + 1) : c + '0'.repeat(e + 1 - c.length);
}

export function fastIntervalMs(p: ScanIntervalInput): number {
  return Math.max(p.minIntervalMs, Math.floor(p.baseIntervalMs / 2));
}

/** The context after a `SNAPSHOT` is measured (the machine's `measure` action). */
export function measureSnapshot(context: ScanIntervalContext, event: ScanIntervalEvent): Partial<ScanIntervalContext> {
  const { params } = context;
  if ((params.measure ?? 'outcomeSpread') === 'outcomeSpread') {
    const v = snapshotVolatility(event.markets.map((m) => m.outcomePrices), params.sampleMarkets);
    return { volatilityExact: v.volatility, volatility: Number(v.volatility), marketsSampled: v.marketsSampled };
  }
  const fetchedAt = event.fetchedAt ?? event.ts;
  if (fetchedAt === context.lastFetchedAt) return {};
  const mids = sampleMids(event.markets, params.sampleMarkets);
  const v = priceMove(context.lastMids ?? {}, mids);
  return { volatilityExact: v.volatility, volatility: Number(v.volatility), marketsSampled: v.marketsSampled, lastMids: mids, lastFetchedAt: fetchedAt };
}

/**
 * The measured volatility is above the threshold, exactly: the doubles decide when they are clearly
 * apart (a decimal's double is within a relative 2^-53 of it, far inside the margin), big.js when they
 * are close. Asked twice a snapshot; big.js for every one was 1 % of a backtest.
 */
export function isVolatile(context: ScanIntervalContext): boolean {
  const threshold = context.params.volatilityThreshold;
  // Most snapshots measure no move at all.
  if (context.volatilityExact === '0') return 0 > threshold;
  const approx = Number(context.volatilityExact);
  const margin = Math.abs(threshold) * 1e-9;
  if (approx > threshold + margin) return true;
  if (approx < threshold - margin) return false;
  return new Big(context.volatilityExact).gt(threshold);
}

export type ScanIntervalState = 'normal' | 'fast';

/**
 * The machine's state changes, each state's one eventless transition: when it is taken, where to, and
 * the interval there. The machine below is built from this table, and so is `snapshotStep`.
 */
const LEAVE: Record<ScanIntervalState, { when: (c: ScanIntervalContext) => boolean; to: ScanIntervalState }> = {
  normal: { when: isVolatile, to: 'fast' },
  fast: { when: (c) => !isVolatile(c), to: 'normal' },
};

function intervalIn(state: ScanIntervalState, params: ScanIntervalInput): number {
  return state === 'fast' ? fastIntervalMs(params) : params.baseIntervalMs;
}

/** The `scan_interval` body announcing the state the context is in. */
function announcement(context: ScanIntervalContext): ScanIntervalChange {
  return { type: 'scan_interval', intervalMs: context.intervalMs, volatility: context.volatility, marketsSampled: context.marketsSampled };
}

export interface ScanIntervalStep {
  state: ScanIntervalState;
  context: ScanIntervalContext;
  /** What the machine emits, when the state changed. */
  change: ScanIntervalChange | null;
}

/**
 * The machine's macrostep on a `SNAPSHOT` as plain functions: `measure`, then the state's eventless
 * transition when its guard holds (setting the new state's interval and announcing it; the next
 * state's guard is the negation, so nothing follows). It is what XState's interpreter computes
 * (tests/scan-interval.test.ts checks both on every snapshot of a backtest), without the
 * interpreter's cost: a backtest's model quotes every second, a third of them changing the state.
 * `contexts`: the caller's memo of the context it holds (copied by a literal of its keys, machines/objectShape.ts).
 */
export function snapshotStep(state: ScanIntervalState, context: ScanIntervalContext, event: ScanIntervalEvent, contexts: ShapeMemo = new ShapeMemo()): ScanIntervalStep {
  const measured = contexts.merge(context as unknown as Record<string, unknown>, measureSnapshot(context, event)) as unknown as ScanIntervalContext;
  const leave = LEAVE[state];
  if (!leave.when(measured)) return { state, context: measured, change: null };
  const next = contexts.with(measured as unknown as Record<string, unknown>, 'intervalMs', intervalIn(leave.to, context.params)) as unknown as ScanIntervalContext;
  return { state: leave.to, context: next, change: announcement(next) };
}

export const scanIntervalMachine = setup({
  types: {
    input: {} as ScanIntervalInput,
    context: {} as ScanIntervalContext,
    events: {} as ScanIntervalEvent,
    emitted: {} as ScanIntervalChange,
  },
  actions: {
    measure: assign(({ context, event }) => measureSnapshot(context, event)),
    useFast: assign(({ context }) => ({ intervalMs: intervalIn(LEAVE.normal.to, context.params) })),
    useBase: assign(({ context }) => ({ intervalMs: intervalIn(LEAVE.fast.to, context.params) })),
    announce: emit(({ context }) => announcement(context)),
  },
  guards: {
    volatile: ({ context }) => LEAVE.normal.when(context),
    calm: ({ context }) => LEAVE.fast.when(context),
  },
}).createMachine({
  id: 'scanInterval',
  context: ({ input }) => ({ params: input, intervalMs: input.baseIntervalMs, volatility: 0, marketsSampled: 0, volatilityExact: '0', lastMids: {}, lastFetchedAt: null }),
  initial: 'normal',
  on: { SNAPSHOT: { actions: 'measure' } },
  states: {
    normal: {
      always: { guard: 'volatile', target: LEAVE.normal.to, actions: ['useFast', 'announce'] },
    },
    fast: {
      always: { guard: 'calm', target: LEAVE.fast.to, actions: ['useBase', 'announce'] },
    },
  },
});
