import { makeEvent, type BookEvent, type BookLevel, type FeeSchedule, type InputEvent, type MarketInfo, type MarketResolvedEvent, type MarketSnapshotEvent, type OraclePriceEvent, type TradeEvent } from '../../events/types';
import { decimalNumber } from '../../streams/decimalNumber';
import { BySymbol } from './bySymbol';

/**
 * A simulated market for the 15-minute Up/Down markets, for backtests whose tick files hold Binance
 * trades but no Polymarket quotes. Documented in docs/backtest.md; every event it makes is labelled
 * `source: 'model'`. It sees only trades at or before `quote time - lagMs` (no look-ahead):
 *
 * - the window's open price is the first trade at or after the window start (or, when the data
 *   starts inside a window, the first trade seen: that window is flagged `openObserved: false`);
 * - fair P(Up) = Phi(ln(S / S0) / (sigma * sqrt(tau))), sigma from 1 s log returns over
 *   `volLookbackMs`, tau = time left; no quotes until half the lookback of returns exists;
 * - quotes lag the underlying by `lagMs`, with `spread` around the fair value on the tick grid;
 * - at the window's end the market resolves Up when the last Binance price >= the open. The real
 *   markets resolve on Chainlink, not Binance: when the tick file holds Chainlink prices
 *   (`oracle_price`), the window's price to beat is the Chainlink price at its start and it resolves
 *   on the Chainlink price at its end (`priceSource: 'chainlink'`); the report says which.
 */
export interface MarketModelParams {
  windowMs: number;
  quoteIntervalMs: number;
  lagMs: number;
  /** Full spread in price units (0.02 = one cent each side of fair). */
  spread: number;
  volLookbackMs: number;
  /**
   * Floor of the volatility, annualised (0.5 = 50 %/year): a quiet minute of 1 s returns is not a
   * 15-minute forecast, and without a floor the fair value jumps between 0.01 and 0.99.
   */
  volFloor: number;
  /** Shares at each of `levels` price levels on each side. */
  depthShares: string;
  levels: number;
  tickSize: string;
  minSize: string;
  feeSchedule: FeeSchedule;
}

export const DEFAULT_MARKET_MODEL: MarketModelParams = {
  windowMs: 900_000,
  quoteIntervalMs: 1_000,
  lagMs: 2_000,
  spread: 0.02,
  volLookbackMs: 60_000,
  volFloor: 0.3,
  depthShares: '200',
  levels: 3,
  tickSize: '0.01',
  minSize: '5',
  // As on the real BTC Up/Down markets of 2026 (crypto fee schedule).
  feeSchedule: { rate: '0.07', exponent: 1, takerOnly: true },
};

export interface ModelWindow {
  symbol: string;
  asset: string;
  slug: string;
  startTs: number;
  endTs: number;
  open: number;
  openObserved: boolean;
  /** Winner once resolved: 'Up' or 'Down'. */
  winner: 'Up' | 'Down' | null;
  /** What the open and the resolution are measured on. */
  priceSource: 'binance' | 'chainlink';
  /** The model quoted this window at least once (a recording may take over an asset before it does). */
  quoted: boolean;
}

interface SymbolState {
  asset: string;
  /** The asset is in `disabled` (kept here too: every trade asks). */
  disabled: boolean;
  /** (ts, price) of recent trades, oldest first, bounded by time. */
  times: number[];
  prices: number[];
  head: number;
  window: ModelWindow | null;
  /** What every quote of the current window repeats (ids, question), made once per window. */
  names: WindowNames | null;
  /** The window's market as last quoted: the next quote with the same prices is the same object. */
  market: MarketInfo | null;
  lastPrice: number;
  /** The last trade's price as written: consecutive trades often print the same price. */
  lastPriceText: string;
  /** The last lookback's 1 s returns (`returnsUpTo`). */
  returns: Returns | null;
}

/** The 1 s returns of a lookback ending at `at`, oldest first from `start`, in a ring of `values` (holds `size`). */
interface Returns {
  at: number;
  values: Float64Array;
  start: number;
  size: number;
}

/** A window's market id, token ids and question. */
interface WindowNames {
  id: string;
  slug: string;
  question: string;
  tokenIds: readonly [string, string];
}

const OUTCOMES: readonly string[] = Object.freeze(['Up', 'Down']);

const MS_PER_YEAR = 365.25 * 24 * 3600 * 1000;

const ASSETS: Record<string, string> = { BTCUSDT: 'btc', ETHUSDT: 'eth', SOLUSDT: 'sol', XRPUSDT: 'xrp' };
/** A Chainlink price this much older than a window's start or end is too old to be its price. */
const ORACLE_MAX_AGE_MS = 60_000;

/** What `advanceTo` returns when nothing is due (shared, frozen). */
const NOTHING_DUE: readonly InputEvent[] = Object.freeze([]);

/** Chainlink prices of one asset, oldest first, bounded in time. */
interface OracleSeries {
  times: number[];
  values: number[];
}

export function slugOf(asset: string, startTs: number): string {
  return `${asset}-updown-15m-${Math.floor(startTs / 1000)}`;
}

export class FifteenMinMarketModel {
  private readonly symbols = new BySymbol<SymbolState>();
  /** The same states in the order they came (the order of resolutions), and ordered by asset (of a quote's markets). */
  private readonly states: SymbolState[] = [];
  private readonly byAsset: SymbolState[] = [];
  private nextQuoteTs: number | null = null;
  private readonly closed: ModelWindow[] = [];
  /** Closed windows not resolved yet, in the order they closed. */
  private readonly closedOpen: ModelWindow[] = [];
  private readonly grid: PriceGrid;
  private readonly disabled = new Set<string>();
  private readonly oracle = new Map<string, OracleSeries>();

  /** How far back a trade can still be read: the lookback before the lagged time of the next quote. */
  private readonly keepMs: number;

  constructor(private readonly p: MarketModelParams = DEFAULT_MARKET_MODEL) {
    this.grid = new PriceGrid(p);
    this.keepMs = p.volLookbackMs + p.lagMs + p.quoteIntervalMs;
  }

  /** Stops modelling an asset (recorded Polymarket data for it exists: the recording wins). */
  disable(asset: string): void {
    this.disabled.add(asset);
    for (const s of this.byAsset) if (s.asset === asset) s.disabled = true;
  }

  /** A Chainlink price (`btc/usd`): windows open and resolve on it instead of the Binance price. */
  onOracle(event: OraclePriceEvent): void {
    const asset = event.symbol.split('/')[0];
    let series = this.oracle.get(asset);
    if (!series) this.oracle.set(asset, (series = { times: [], values: [] }));
    series.times.push(event.ts);
    series.values.push(Number(event.value));
    // Keep a little over one window: enough for any open window's start and end.
    const cut = event.ts - this.p.windowMs - 2 * ORACLE_MAX_AGE_MS;
    let drop = 0;
    while (drop + 1 < series.times.length && series.times[drop + 1] <= cut) drop++;
    if (drop > 0) {
      series.times.splice(0, drop);
      series.values.splice(0, drop);
    }
  }

  /** The last Chainlink price of `asset` at or before `t`, if one is recent enough. */
  private oracleAt(asset: string, t: number): number | null {
    const s = this.oracle.get(asset);
    if (!s) return null;
    let i = s.times.length - 1;
    while (i >= 0 && s.times[i] > t) i--;
    return i >= 0 && t - s.times[i] <= ORACLE_MAX_AGE_MS ? s.values[i] : null;
  }

  /** Every window the model opened for an asset it still models, or quoted, in order (for the report). */
  windows(): ModelWindow[] {
    const open = this.states.map((s) => s.window).filter((w): w is ModelWindow => w !== null);
    return [...this.closed, ...open].filter((w) => w.quoted || !this.disabled.has(w.asset)).sort((a, b) => a.startTs - b.startTs || (a.asset < b.asset ? -1 : 1));
  }

  /**
   * Model events due before `ts` (quotes at each quote boundary, resolutions at window ends), then
   * takes the trade into account. Call with every trade in time order; `price` is `Number(trade.price)`
   * when the caller has it already (a trade read as a template line).
   */
  onTrade(trade: TradeEvent, price?: number): readonly InputEvent[] {
    const out = this.advanceTo(trade.ts - 1);
    let s = this.symbols.find(trade.symbol);
    if (s === undefined) {
      const asset = ASSETS[trade.symbol];
      if (asset === undefined || this.disabled.has(asset)) return out;
      s = { asset, disabled: false, times: [], prices: [], head: 0, window: null, names: null, market: null, lastPrice: 0, lastPriceText: '', returns: null };
      this.symbols.add(trade.symbol, s);
      this.states.push(s);
      this.byAsset.push(s);
      this.byAsset.sort((a, b) => (a.asset < b.asset ? -1 : 1));
    }
    if (s.disabled) return out;
    price ??= trade.price === s.lastPriceText ? s.lastPrice : decimalNumber(trade.price);
    if (s.window === null || trade.ts < s.window.startTs || trade.ts >= s.window.endTs) this.openWindow(s, trade, price);
    // Prices are read as the last trade at or before a time: of trades in one ms only the last counts.
    const last = s.times.length - 1;
    if (last >= s.head && s.times[last] === trade.ts) s.prices[last] = price;
    else {
      s.times.push(trade.ts);
      s.prices.push(price);
    }
    s.lastPrice = price;
    s.lastPriceText = trade.price;
    const cut = trade.ts - this.keepMs;
    if (s.times[s.head + 1] <= cut) this.trim(s, cut);
    if (this.nextQuoteTs === null) this.nextQuoteTs = Math.ceil((trade.ts + 1) / this.p.quoteIntervalMs) * this.p.quoteIntervalMs;
    return out;
  }

  /** The window of a trade outside the symbol's current one (the current one closes). */
  private openWindow(s: SymbolState, trade: TradeEvent, price: number): void {
    const start = Math.floor(trade.ts / this.p.windowMs) * this.p.windowMs;
    if (s.window) {
      this.closed.push(s.window);
      if (s.window.winner === null) this.closedOpen.push(s.window);
    }
    s.names = null;
    s.market = null;
    const toBeat = this.oracleAt(s.asset, start);
    s.window = {
      symbol: trade.symbol,
      asset: s.asset,
      slug: slugOf(s.asset, start),
      startTs: start,
      endTs: start + this.p.windowMs,
      open: toBeat ?? price,
      openObserved: toBeat !== null || s.times.length > 0,
      winner: null,
      priceSource: toBeat !== null ? 'chainlink' : 'binance',
      quoted: false,
    };
  }

  /** Model events due at or before `ts`. */
  advanceTo(ts: number): readonly InputEvent[] {
    // Called before every input: most of the time nothing is due, and nothing is allocated.
    if (this.nextQuoteTs === null || this.nextQuoteTs > ts) return NOTHING_DUE;
    const out: InputEvent[] = [];
    while (this.nextQuoteTs !== null && this.nextQuoteTs <= ts) {
      const q: number = this.nextQuoteTs;
      this.resolveEnded(q, out);
      this.quote(q, out);
      this.nextQuoteTs = q + this.p.quoteIntervalMs;
      // No window left to quote: every later boundary before `ts` would do nothing (resolutions were tried at q),
      // so skip to the last one. A gap of years between two tick files stays one step, not millions.
      if (!this.anyOpenWindow(q)) this.nextQuoteTs = Math.max(this.nextQuoteTs, Math.floor(ts / this.p.quoteIntervalMs) * this.p.quoteIntervalMs + this.p.quoteIntervalMs);
    }
    return out;
  }

  private anyOpenWindow(q: number): boolean {
    for (const s of this.states) if (s.window && !s.disabled && q < s.window.endTs) return true;
    return false;
  }

  private resolveEnded(q: number, out: InputEvent[]): void {
    if (this.closedOpen.length > 0) this.resolveAll(q, this.closedOpen, out);
    for (const s of this.states) if (s.window !== null && s.window.winner === null && q >= s.window.endTs) this.resolveAll(q, [s.window], out);
    // Resolved closed windows leave the list (in place: the order is the order of closing).
    let keep = 0;
    for (const w of this.closedOpen) if (w.winner === null) this.closedOpen[keep++] = w;
    this.closedOpen.length = keep;
  }

  private resolveAll(q: number, windows: readonly ModelWindow[], out: InputEvent[]): void {
    for (const w of windows) {
      // A recording took the asset over: its own market_resolved events say who won.
      if (w.winner !== null || q < w.endTs || this.disabled.has(w.asset)) continue;
      const close = w.priceSource === 'chainlink' ? this.oracleAt(w.asset, w.endTs) : this.priceAt(this.symbols.find(w.symbol)!, w.endTs);
      if (close === null) continue;
      w.winner = close >= w.open ? 'Up' : 'Down';
      const m = namesOf(w);
      const resolved: MarketResolvedEvent = makeEvent('market_resolved', w.endTs, {
        market: m.id,
        winningTokenId: m.tokenIds[w.winner === 'Up' ? 0 : 1],
        winningOutcome: w.winner,
      });
      out.push(resolved);
    }
  }

  private quote(q: number, out: InputEvent[]): void {
    const markets: MarketInfo[] = [];
    const books: BookEvent[] = [];
    for (const s of this.byAsset) {
      const w = s.window;
      if (!w || this.disabled.has(s.asset) || q >= w.endTs || q < w.startTs) continue;
      const seen = this.priceAt(s, q - this.p.lagMs);
      if (seen === null) continue;
      const measured = this.sigmaPerSqrtMs(s, q - this.p.lagMs);
      // No quote until the volatility is known: a market maker would not quote 0.01/0.99 blind.
      if (measured <= 0) continue;
      const sigma = Math.max(measured, this.p.volFloor / Math.sqrt(MS_PER_YEAR));
      const fair = this.fairUp(seen, w, q, sigma);
      const up = this.grid.touch(fair);
      const down = this.grid.touch(1 - fair);
      const names = (s.names ??= namesOf(w));
      const market = this.marketOf(s, w, names, up, fair);
      w.quoted = true;
      markets.push(market);
      books.push(this.book(q, names, 0, up), this.book(q, names, 1, down));
    }
    if (markets.length === 0) return;
    const snapshot: MarketSnapshotEvent = makeEvent('market_snapshot', q, { source: 'model', request: 'model:fifteen-min', markets });
    out.push(snapshot, ...books);
  }

  private fairUp(price: number, w: ModelWindow, q: number, sigma: number): number {
    const tau = w.endTs - q;
    if (tau <= 0) return price >= w.open ? 0.99 : 0.01;
    return normalCdf(Math.log(price / w.open) / (sigma * Math.sqrt(tau)));
  }

  /** Std dev of 1 s log returns over the lookback, per sqrt(ms). */
  private sigmaPerSqrtMs(s: SymbolState, at: number): number {
    const rets = this.returnsUpTo(s, at);
    const { values, start, size } = rets;
    const cap = values.length;
    // Oldest first: the sums are the same floating-point sums in the same order.
    let n = 0;
    let sum = 0;
    for (let i = 0, j = start; i < size; i++, j = j + 1 === cap ? 0 : j + 1) {
      const r = values[j];
      if (r === r) (sum += r), n++;
    }
    // Half the lookback of 1 s returns before the estimate counts.
    if (n < this.p.volLookbackMs / 2000) return 0;
    const mean = sum / n;
    let squares = 0;
    for (let i = 0, j = start; i < size; i++, j = j + 1 === cap ? 0 : j + 1) {
      const r = values[j];
      if (r === r) squares += (r - mean) ** 2;
    }
    return Math.sqrt(squares / (n - 1) / 1000);
  }

  /**
   * The 1 s log returns ending at each second of the lookback up to `at`, oldest first (NaN without a
   * price at both ends). A quote reads prices at or before its time - lagMs after every trade up to
   * its time, so a return once computed is final: the next quote, a second later, reuses all but the
   * oldest and computes one.
   */
  private returnsUpTo(s: SymbolState, at: number): Returns {
    const w = s.returns;
    if (w !== null && w.at === at) return w;
    if (w !== null && at - w.at === 1000) {
      // The oldest leaves (if any), the newest comes in.
      const cap = w.values.length;
      const r = this.returnAt(s, at);
      if (w.size === cap) {
        w.values[w.start] = r;
        w.start = w.start + 1 === cap ? 0 : w.start + 1;
      } else {
        w.values[(w.start + w.size) % cap] = r;
        w.size++;
      }
      w.at = at;
      return w;
    }
    const rets: number[] = [];
    for (let t = at - this.p.volLookbackMs + 1000; t <= at; t += 1000) rets.push(this.returnAt(s, t));
    const values = new Float64Array(Math.max(1, rets.length));
    values.set(rets);
    return (s.returns = { at, values, start: 0, size: rets.length });
  }

  private returnAt(s: SymbolState, t: number): number {
    const p = this.priceAt(s, t);
    const prev = this.priceAt(s, t - 1000);
    return p !== null && prev !== null ? Math.log(p / prev) : NaN;
  }

  /** Last trade price at or before `t`, or null when no trade is that old in the buffer. */
  private priceAt(s: SymbolState, t: number): number | null {
    let lo = s.head;
    let hi = s.times.length - 1;
    if (hi < lo || s.times[lo] > t) return null;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s.times[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    return s.prices[lo];
  }

  private trim(s: SymbolState, before: number): void {
    // Keep one trade at or before the cut so priceAt(before) still has an answer.
    while (s.head + 1 < s.times.length && s.times[s.head + 1] <= before) s.head++;
    if (s.head > 4096 && s.head * 2 > s.times.length) {
      s.times = s.times.slice(s.head);
      s.prices = s.prices.slice(s.head);
      s.head = 0;
    }
  }

  private book(ts: number, names: WindowNames, outcome: 0 | 1, touch: Touch): BookEvent {
    return makeEvent('book', ts, {
      source: 'model',
      tokenId: names.tokenIds[outcome],
      market: names.id,
      bids: this.grid.bids(touch.bid) as BookLevel[],
      asks: this.grid.asks(touch.ask) as BookLevel[],
      tickSize: this.p.tickSize,
      minOrderSize: this.p.minSize,
      negRisk: false,
      hash: null,
    });
  }

  /** The window's market at this quote: the last one again when its prices are the same (so each is frozen, as the book levels are). */
  private marketOf(s: SymbolState, w: ModelWindow, names: WindowNames, up: Touch, fair: number): MarketInfo {
    const outcomePrices = outcomePricesOf(fair);
    const bestBid = this.grid.price(up.bid);
    const bestAsk = this.grid.price(up.ask);
    const kept = s.market;
    if (kept !== null && kept.outcomePrices === outcomePrices && kept.bestBid === bestBid && kept.bestAsk === bestAsk) return kept;
    return (s.market = Object.freeze({
      id: names.id,
      conditionId: names.id,
      slug: names.slug,
      question: names.question,
      outcomes: OUTCOMES as string[],
      outcomePrices,
      tokenIds: names.tokenIds as unknown as string[],
      negRisk: false,
      negRiskMarketId: null,
      negRiskAugmented: false,
      tickSize: this.p.tickSize,
      minSize: this.p.minSize,
      feesEnabled: true,
      feeSchedule: this.p.feeSchedule,
      endTs: w.endTs,
      active: true,
      closed: false,
      acceptingOrders: true,
      bestBid,
      bestAsk,
      groupItemTitle: null,
    }) as MarketInfo);
  }
}

function namesOf(w: ModelWindow): WindowNames {
  const id = `model:${w.slug}`;
  return {
    id,
    slug: w.slug,
    question: `${w.asset.toUpperCase()} Up or Down (simulated) ${new Date(w.startTs).toISOString()}`,
    tokenIds: Object.freeze([`${id}:up`, `${id}:down`]) as readonly [string, string],
  };
}

/** A quote's best bid and ask, in ticks. */
export interface Touch {
  bid: number;
  ask: number;
}

/**
 * The model's prices on the tick grid as whole ticks, and what they are written as: each price's text
 * and each side's levels are made once (the same few dozen prices are quoted all day) and shared by
 * the events (frozen). tests/market-model.test.ts checks them against the float formulas they replace
 * on every fair value of a fine grid.
 */
export class PriceGrid {
  private readonly tick: number;
  /** Ticks in 1. */
  private readonly n: number;
  private readonly texts: string[] = [];
  private readonly bidLevels = new Map<number, readonly BookLevel[]>();
  private readonly askLevels = new Map<number, readonly BookLevel[]>();

  constructor(private readonly p: Pick<MarketModelParams, 'tickSize' | 'spread' | 'levels' | 'depthShares'>) {
    this.tick = Number(p.tickSize);
    this.n = Math.round(1 / this.tick);
    const decimals = p.tickSize.split('.')[1]?.length ?? 0;
    for (let k = 0; k <= this.n; k++) this.texts.push((k * this.tick).toFixed(decimals));
  }

  /** Best bid and ask around `fair`, `spread` apart, within [1, n - 1] ticks, the bid a tick or more below the ask (never locked or crossed). */
  touch(fair: number): Touch {
    const bid = Math.min(this.n - 2, Math.max(1, Math.floor((fair - this.p.spread / 2) / this.tick + 1e-9)));
    const ask = Math.min(this.n - 1, Math.max(bid + 1, Math.ceil((fair + this.p.spread / 2) / this.tick - 1e-9)));
    return { bid, ask };
  }

  /** A price in ticks, written with the tick's decimals. */
  price(ticks: number): string {
    return this.texts[ticks];
  }

  /** `levels` bids from the best down, a tick apart, none below one tick. */
  bids(best: number): readonly BookLevel[] {
    let levels = this.bidLevels.get(best);
    if (levels === undefined) {
      const out: BookLevel[] = [];
      for (let i = 0; i < this.p.levels && best - i >= 1; i++) out.push(Object.freeze({ price: this.texts[best - i], size: this.p.depthShares }));
      this.bidLevels.set(best, (levels = Object.freeze(out)));
    }
    return levels;
  }

  /** `levels` asks from the best up, a tick apart, none above 1 - tick. */
  asks(best: number): readonly BookLevel[] {
    let levels = this.askLevels.get(best);
    if (levels === undefined) {
      const out: BookLevel[] = [];
      for (let i = 0; i < this.p.levels && best + i <= this.n - 1; i++) out.push(Object.freeze({ price: this.texts[best + i], size: this.p.depthShares }));
      this.askLevels.set(best, (levels = Object.freeze(out)));
    }
    return levels;
  }
}

/** The snapshot's outcome prices of a fair P(Up): Up clamped to [0.01, 0.99] to the cent as `toFixed(2)` writes it, Down = 1 - Up. */
export function outcomePricesRule(fair: number): string[] {
  const up = Math.min(0.99, Math.max(0.01, fair)).toFixed(2);
  return [up, (1 - Number(up)).toFixed(2)];
}

/** `outcomePricesRule(k / 100)` for k = 0..100, shared (frozen): the only results it has for a number. */
const CENT_PAIRS: readonly string[][] = Array.from({ length: 101 }, (_, k) => Object.freeze(outcomePricesRule(k / 100)) as string[]);

/**
 * Where the Up text of cent k starts: the least double x with `outcomePricesRule(x)` = that of k / 100
 * (k = 2..99), found once by bisection over the doubles between one below and one at or above it (a
 * hair either side of the half cent, else (k - 1) / 100 and k / 100). The rule is monotonic in x, so the
 * cent of any x is the k whose start it has reached and whose successor's not.
 */
const CENT_STARTS: readonly number[] = Array.from({ length: 100 }, (_, k) => {
  if (k < 2) return -Infinity;
  const text = CENT_PAIRS[k][0];
  const half = (2 * k - 1) / 200;
  const near = outcomePricesRule(half * (1 - 1e-12))[0] !== text && outcomePricesRule(half * (1 + 1e-12))[0] === text;
  let lo = near ? half * (1 - 1e-12) : (k - 1) / 100;
  let hi = near ? half * (1 + 1e-12) : k / 100;
  for (;;) {
    const mid = lo + (hi - lo) / 2;
    if (mid === lo || mid === hi) return hi;
    if (outcomePricesRule(mid)[0] === text) hi = mid;
    else lo = mid;
  }
});

/** `outcomePricesRule(fair)`, from the table: one shared pair per cent. */
export function outcomePricesOf(fair: number): string[] {
  if (!(fair >= 0.01)) return fair < 0.01 ? CENT_PAIRS[1] : outcomePricesRule(fair);
  if (fair >= 0.99) return CENT_PAIRS[99];
  let k = Math.max(1, Math.min(99, Math.floor(fair * 100)));
  while (k < 99 && fair >= CENT_STARTS[k + 1]) k++;
  while (k > 1 && fair < CENT_STARTS[k]) k--;
  return CENT_PAIRS[k];
}

/** Standard normal CDF (Abramowitz and Stegun 26.2.17, |error| < 7.5e-8). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const d = 0.3989422804014327 * Math.exp((-z * z) / 2);
  const tail = d * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return z >= 0 ? 1 - tail : tail;
}
