/**
 * The flash-crash price window: the highest price seen over the lookback, kept as a monotonic
 * deque of (ts, price) with prices falling from front to back. Only samples that can still be the
 * window's high are kept, so on a 0.01 tick it never holds more than 100 entries however many
 * prices arrive. Prices are integers in millionths (Polymarket prices have at most 6 decimals),
 * so drops compare exactly.
 */

export interface PriceSample {
  ts: number;
  /** Price in millionths (0.64 -> 640000). */
  micros: number;
}

export function toMicros(price: number): number {
  return Math.round(price * 1_000_000);
}

/** The window after a new sample: older than `ts - lookbackMs` dropped, lower-or-equal earlier prices dropped. */
export function pushSample(window: readonly PriceSample[], sample: PriceSample, lookbackMs: number): PriceSample[] {
  const from = sample.ts - lookbackMs;
  const out = window.filter((s) => s.ts >= from);
  while (out.length > 0 && out[out.length - 1].micros <= sample.micros) out.pop();
  out.push(sample);
  return out;
}

/** The window after a price at `ts`, and the crash that price is (null: none): what the machine works out on every price. */
export function afterPrice(window: readonly PriceSample[], ts: number, price: number, rule: DropRule & { lookbackMs: number }): { window: PriceSample[]; crash: { ts: number; high: number; price: number } | null } {
  const micros = toMicros(price);
  const next = pushSample(window, { ts, micros }, rule.lookbackMs);
  const high = windowHigh(next)!;
  return { window: next, crash: isCrash(high, micros, rule) ? { ts, high, price: micros } : null };
}

/** The highest price in the window (its front), in millionths. */
export function windowHigh(window: readonly PriceSample[]): number | null {
  return window.length > 0 ? window[0].micros : null;
}

export interface DropRule {
  /** Relative drop from the high (0.2 = 20 %). */
  dropRelative: number;
  /** Absolute drop in price (0.30), or null for the relative rule only. */
  dropAbsolute: number | null;
}

/** A crash: the price fell from the high by at least the relative drop, or by at least the absolute drop when set. */
export function isCrash(high: number, micros: number, rule: DropRule): boolean {
  const drop = high - micros;
  if (drop <= 0) return false;
  if (drop * 1_000_000 >= toMicros(rule.dropRelative) * high) return true;
  return rule.dropAbsolute !== null && drop >= toMicros(rule.dropAbsolute);
}
