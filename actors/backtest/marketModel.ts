import { makeEvent, type BookEvent, type FeeSchedule, type InputEvent, type MarketInfo, type MarketResolvedEvent, type MarketSnapshotEvent, type OraclePriceEvent, type TradeEvent } from '../../events/types';

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
  /** (ts, price) of recent trades, oldest first, bounded by time. */
  times: number[];
  prices: number[];
  head: number;
  window: ModelWindow | null;
  lastPrice: number;
}

const MS_PER_YEAR = 365.25 * 24 * 3600 * 1000;

const ASSETS: Record<string, string> = { BTCUSDT: 'btc', ETHUSDT: 'eth', SOLUSDT: 'sol', XRPUSDT: 'xrp' };
/** A Chainlink price this much older than a window's start or end is too old to be its price. */
const ORACLE_MAX_AGE_MS = 60_000;

/** Chainlink prices of one asset, oldest first, bounded in time. */
interface OracleSeries {
  times: number[];
  values: number[];
}

export function slugOf(asset: string, startTs: number): string {
  return `${asset}-updown-15m-${Math.floor(startTs / 1000)}`;
}

export class FifteenMinMarketModel {
  private readonly symbols = new Map<string, SymbolState>();
  private nextQuoteTs: number | null = null;
  private readonly closed: ModelWindow[] = [];
  private readonly disabled = new Set<string>();
  private readonly oracle = new Map<string, OracleSeries>();

  constructor(private readonly p: MarketModelParams = DEFAULT_MARKET_MODEL) {}

  /** Stops modelling an asset (recorded Polymarket data for it exists: the recording wins). */
  disable(asset: string): void {
    this.disabled.add(asset);
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
    const open = [...this.symbols.values()].map((s) => s.window).filter((w): w is ModelWindow => w !== null);
    return [...this.closed, ...open].filter((w) => w.quoted || !this.disabled.has(w.asset)).sort((a, b) => a.startTs - b.startTs || (a.asset < b.asset ? -1 : 1));
  }

  /**
   * Model events due before `ts` (quotes at each quote boundary, resolutions at window ends), then
   * takes the trade into account. Call with every trade in time order.
   */
  onTrade(trade: TradeEvent): InputEvent[] {
    const out = this.advanceTo(trade.ts - 1);
    const asset = ASSETS[trade.symbol];
    if (asset === undefined || this.disabled.has(asset)) return out;
    let s = this.symbols.get(trade.symbol);
    if (!s) {
      s = { asset, times: [], prices: [], head: 0, window: null, lastPrice: 0 };
      this.symbols.set(trade.symbol, s);
    }
    const price = Number(trade.price);
    const start = Math.floor(trade.ts / this.p.windowMs) * this.p.windowMs;
    if (!s.window || s.window.startTs !== start) {
      if (s.window) this.closed.push(s.window);
      const toBeat = this.oracleAt(asset, start);
      s.window = {
        symbol: trade.symbol,
        asset,
        slug: slugOf(asset, start),
        startTs: start,
        endTs: start + this.p.windowMs,
        open: toBeat ?? price,
        openObserved: toBeat !== null || s.times.length > 0,
        winner: null,
        priceSource: toBeat !== null ? 'chainlink' : 'binance',
        quoted: false,
      };
    }
    s.times.push(trade.ts);
    s.prices.push(price);
    s.lastPrice = price;
    this.trim(s, trade.ts - this.p.volLookbackMs - this.p.lagMs - this.p.quoteIntervalMs);
    if (this.nextQuoteTs === null) this.nextQuoteTs = Math.ceil((trade.ts + 1) / this.p.quoteIntervalMs) * this.p.quoteIntervalMs;
    return out;
  }

  /** Model events due at or before `ts`. */
  advanceTo(ts: number): InputEvent[] {
    const out: InputEvent[] = [];
    while (this.nextQuoteTs !== null && this.nextQuoteTs <= ts) {
      const q = this.nextQuoteTs;
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
    for (const s of this.symbols.values()) if (s.window && !this.disabled.has(s.asset) && q < s.window.endTs) return true;
    return false;
  }

  private resolveEnded(q: number, out: InputEvent[]): void {
    const candidates = [...this.closed, ...[...this.symbols.values()].map((s) => s.window)];
    for (const w of candidates) {
      // A recording took the asset over: its own market_resolved events say who won.
      if (!w || w.winner !== null || q < w.endTs || this.disabled.has(w.asset)) continue;
      const close = w.priceSource === 'chainlink' ? this.oracleAt(w.asset, w.endTs) : this.priceAt(this.symbols.get(w.symbol)!, w.endTs);
      if (close === null) continue;
      w.winner = close >= w.open ? 'Up' : 'Down';
      const m = this.marketOf(w);
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
    for (const s of [...this.symbols.values()].sort((a, b) => (a.asset < b.asset ? -1 : 1))) {
      const w = s.window;
      if (!w || this.disabled.has(s.asset) || q >= w.endTs || q < w.startTs) continue;
      const seen = this.priceAt(s, q - this.p.lagMs);
      if (seen === null) continue;
      const measured = this.sigmaPerSqrtMs(s, q - this.p.lagMs);
      // No quote until the volatility is known: a market maker would not quote 0.01/0.99 blind.
      if (measured <= 0) continue;
      const sigma = Math.max(measured, this.p.volFloor / Math.sqrt(MS_PER_YEAR));
      const fair = this.fairUp(seen, w, q, sigma);
      const up = this.levels(fair);
      const down = this.levels(1 - fair);
      const market = this.marketOf(w, up.bestBid, up.bestAsk, fair);
      w.quoted = true;
      markets.push(market);
      books.push(this.book(q, market, 0, up), this.book(q, market, 1, down));
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
    const rets: number[] = [];
    let prev = this.priceAt(s, at - this.p.volLookbackMs);
    for (let t = at - this.p.volLookbackMs + 1000; t <= at; t += 1000) {
      const p = this.priceAt(s, t);
      if (p !== null && prev !== null) rets.push(Math.log(p / prev));
      prev = p;
    }
    // Half the lookback of 1 s returns before the estimate counts.
    if (rets.length < this.p.volLookbackMs / 2000) return 0;
    const mean = rets.reduce((a, b) => a + b, 0) / rets.length;
    const variance = rets.reduce((a, r) => a + (r - mean) ** 2, 0) / (rets.length - 1);
    return Math.sqrt(variance / 1000);
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

  /** Best bid and ask on the tick grid within [tick, 1 - tick], the bid always a tick or more below the ask (never locked or crossed). */
  private levels(fair: number): { bestBid: number; bestAsk: number } {
    const tick = Number(this.p.tickSize);
    const bestBid = Math.min(1 - 2 * tick, Math.max(tick, Math.floor((fair - this.p.spread / 2) / tick + 1e-9) * tick));
    const bestAsk = Math.min(1 - tick, Math.max(bestBid + tick, Math.ceil((fair + this.p.spread / 2) / tick - 1e-9) * tick));
    return { bestBid, bestAsk };
  }

  private book(ts: number, market: MarketInfo, outcome: 0 | 1, q: { bestBid: number; bestAsk: number }): BookEvent {
    const tick = Number(this.p.tickSize);
    const decimals = this.p.tickSize.split('.')[1]?.length ?? 0;
    const bids = [];
    const asks = [];
    for (let i = 0; i < this.p.levels; i++) {
      const bid = q.bestBid - i * tick;
      const ask = q.bestAsk + i * tick;
      if (bid >= tick - 1e-9) bids.push({ price: bid.toFixed(decimals), size: this.p.depthShares });
      if (ask <= 1 - tick + 1e-9) asks.push({ price: ask.toFixed(decimals), size: this.p.depthShares });
    }
    return makeEvent('book', ts, {
      source: 'model',
      tokenId: market.tokenIds[outcome],
      market: market.id,
      bids,
      asks,
      tickSize: this.p.tickSize,
      minOrderSize: this.p.minSize,
      negRisk: false,
      hash: null,
    });
  }

  private marketOf(w: ModelWindow, bestBid = 0, bestAsk = 0, fair = 0.5): MarketInfo {
    const decimals = this.p.tickSize.split('.')[1]?.length ?? 0;
    const up = Math.min(0.99, Math.max(0.01, fair)).toFixed(2);
    const down = (1 - Number(up)).toFixed(2);
    return {
      id: `model:${w.slug}`,
      conditionId: `model:${w.slug}`,
      slug: w.slug,
      question: `${w.asset.toUpperCase()} Up or Down (simulated) ${new Date(w.startTs).toISOString()}`,
      outcomes: ['Up', 'Down'],
      outcomePrices: [up, down],
      tokenIds: [`model:${w.slug}:up`, `model:${w.slug}:down`],
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
      bestBid: bestBid > 0 ? bestBid.toFixed(decimals) : null,
      bestAsk: bestAsk > 0 ? bestAsk.toFixed(decimals) : null,
      groupItemTitle: null,
    };
  }
}

/** Standard normal CDF (Abramowitz and Stegun 26.2.17, |error| < 7.5e-8). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const d = 0.3989422804014327 * Math.exp((-z * z) / 2);
  const tail = d * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return z >= 0 ? 1 - tail : tail;
}
