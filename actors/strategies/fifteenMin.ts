import type { AnyEvent, MarketInfo } from '../../events/types';
import { fifteenMinMachine, WINDOW_MS, type FifteenMinContext, type FifteenMinEvent, type FifteenMinParams, type PortfolioSummary, type SideQuote, type WindowQuote } from '../../machines/fifteenMin';
import type { MarketView } from '../../domain/market/marketState';
import type { Config } from '../config/schema';
import { KeyedMachineStrategy, type Delivery, type KeyedMachineOptions } from './keyedMachines';
import { findMarket, outcomeIndex, PerMarket, tokenQuote } from './marketQuotes';
import type { StrategyContext } from './types';

/**
 * The 15-minute crypto strategy: one fifteenMin machine per asset. The route maps Binance `signal`s
 * (BTCUSDT -> BTC), Chainlink `oracle_price`s (btc/usd -> BTC), the LLM engine's `decision`s, and
 * market snapshots / books / timers to machine events carrying the asset's current window market
 * (`{asset}-updown-15m-{start}`, start = floor(ts / 900 s) * 900 s) as plain data.
 */

export type FifteenMinConfig = Config['fifteenMin'];
type Machine = typeof fifteenMinMachine;
type SignalEvent = Extract<FifteenMinEvent, { type: 'SIGNAL' }>;

export const FIFTEEN_MIN = 'fifteenMin';
const OPEN_STATES: ReadonlySet<string> = new Set(['entering', 'holding', 'exiting']);
const NONE: readonly string[] = [];

export interface FifteenMinOptions {
  name?: string;
  /** Balance and daily P&L for the LLM prompt (from the portfolio fold). Required when `useLlm` is on. */
  portfolio?: () => PortfolioSummary;
  /** XState inspection (the visualizer's hub). */
  inspect?: KeyedMachineOptions['inspect'];
}

/** BTCUSDT -> BTC, btc/usd -> BTC; null for anything else. */
export function assetOf(symbol: string): string | null {
  const m = /^([a-z]+)(usdt|\/usd)$/i.exec(symbol);
  return m ? m[1].toUpperCase() : null;
}

/** The slug of the asset's window containing `ts`. */
export function windowSlug(asset: string, ts: number): string {
  return `${asset.toLowerCase()}-updown-15m-${(Math.floor(ts / WINDOW_MS) * WINDOW_MS) / 1000}`;
}

function side(ctx: StrategyContext, market: MarketInfo, index: number): { quote: SideQuote; feesKnown: boolean } {
  const tokenId = market.tokenIds[index];
  const q = tokenQuote(ctx, market, tokenId);
  const feesKnown = q.buyFeePerShare !== null && q.sellFeePerShare !== null;
  return {
    quote: { tokenId, outcome: market.outcomes[index], ask: q.ask, askSize: q.askSize, bid: q.bid, buyFeePerShare: q.buyFeePerShare ?? '0', sellFeePerShare: q.sellFeePerShare ?? '0', stale: q.stale },
    feesKnown,
  };
}

/** What a window market's quote needs of its definition, read once per market object: window start, Up and Down token indexes. */
const layouts = new PerMarket<{ windowStart: number; up: number; down: number } | null>((market) => {
  const start = /-(\d+)$/.exec(market.slug);
  return !start || market.tokenIds.length !== 2 ? null : { windowStart: Number(start[1]) * 1000, up: outcomeIndex(market, 'Up', 0), down: outcomeIndex(market, 'Down', 1) };
}, (a, b) => a.slug === b.slug && a.tokenIds.length === b.tokenIds.length && a.outcomes.length === b.outcomes.length && a.outcomes.every((o, i) => o === b.outcomes[i]));

export function windowQuote(ctx: StrategyContext, market: MarketInfo): WindowQuote | null {
  const layout = layouts.get(market);
  if (layout === null) return null;
  const { windowStart } = layout;
  const up = side(ctx, market, layout.up);
  const down = side(ctx, market, layout.down);
  return {
    marketId: market.id,
    slug: market.slug,
    question: market.question,
    windowStart,
    windowEnd: windowStart + WINDOW_MS,
    tradable: market.active && !market.closed && market.acceptingOrders && up.feesKnown && down.feesKnown,
    minSize: market.minSize,
    up: up.quote,
    down: down.quote,
  };
}

/**
 * A QUOTE or TICK right after a QUOTE or TICK of the same ms with the same quote and open positions:
 * an instant's snapshot and each of its books (and a clock tick of the same ms) all say the same
 * (every input of an instant is absorbed before any reaction), and every state treats QUOTE and TICK
 * alike, so a repeat finds the guards as the first left them.
 */
export function sameQuoteAgain(last: FifteenMinEvent, next: FifteenMinEvent): boolean {
  if ((last.type !== 'QUOTE' && last.type !== 'TICK') || (next.type !== 'QUOTE' && next.type !== 'TICK')) return false;
  if (last.ts !== next.ts || last.openPositions !== next.openPositions) return false;
  return sameWindowQuote(last.quote, next.quote);
}

/**
 * A QUOTE or TICK without a window market (none listed for the asset now) to an instance that is
 * watching: no pair can be traded and the stored quote stays, so nothing moves.
 */
export function noQuoteWhileWatching(state: string, next: FifteenMinEvent): boolean {
  return state === 'watching' && (next.type === 'QUOTE' || next.type === 'TICK') && next.quote === null;
}

/**
 * A SIGNAL, QUOTE or TICK whose only effect would be to store the quote the instance keeps already, or
 * an equal one, or none (which keeps it): an unconfirmed signal while watching, anything of the three
 * in a cooldown that has not ended by the event's ts. Nothing moves (an equal quote kept instead of the
 * new object reads the same to every guard and persists the same). Most signals are unconfirmed (about
 * one in twelve trades), a rejected entry cools down for a minute, and the model re-quotes every second
 * mostly at the same touch.
 */
export function onlyKeepsQuote(state: string, next: FifteenMinEvent, context: Pick<FifteenMinContext, 'quote' | 'cooldownUntil'>): boolean {
  if (next.type !== 'SIGNAL' && next.type !== 'QUOTE' && next.type !== 'TICK') return false;
  if (next.quote !== null && !sameWindowQuote(next.quote, context.quote)) return false;
  if (state === 'watching') return next.type === 'SIGNAL' && !next.confirmed;
  return state === 'cooldown' && next.ts < context.cooldownUntil;
}

function sameWindowQuote(a: WindowQuote | null, b: WindowQuote | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return a === b;
  return a.marketId === b.marketId && a.slug === b.slug && a.question === b.question && a.windowStart === b.windowStart && a.windowEnd === b.windowEnd &&
    a.tradable === b.tradable && a.minSize === b.minSize && sameSide(a.up, b.up) && sameSide(a.down, b.down);
}

function sameSide(a: SideQuote, b: SideQuote): boolean {
  return a.tokenId === b.tokenId && a.outcome === b.outcome && a.ask === b.ask && a.askSize === b.askSize && a.bid === b.bid &&
    a.buyFeePerShare === b.buyFeePerShare && a.sellFeePerShare === b.sellFeePerShare && a.stale === b.stale;
}

/** Window markets by slug, rebuilt when the snapshot list changes. */
class SlugIndex {
  private list: readonly MarketInfo[] | null = null;
  private bySlug = new Map<string, MarketInfo>();

  get(ctx: StrategyContext, slug: string): MarketInfo | undefined {
    const list = ctx.markets.markets();
    if (list !== this.list) {
      this.list = list;
      this.bySlug = new Map(list.filter((m) => m.slug.includes('-updown-15m-')).map((m) => [m.slug, m]));
    }
    return this.bySlug.get(slug);
  }
}

export function createFifteenMinStrategy(config: FifteenMinConfig, options: FifteenMinOptions = {}): KeyedMachineStrategy<Machine> {
  const name = options.name ?? FIFTEEN_MIN;
  if (config.useLlm && !options.portfolio) throw new Error(`${name}: fifteenMin.useLlm is on, so the strategy needs options.portfolio for the LLM prompt`);
  const assets: readonly string[] = config.assets;
  const index = new SlugIndex();
  let strategy: KeyedMachineStrategy<Machine> | null = null;

  const input = (asset: string): FifteenMinParams => ({
    asset,
    strategy: name,
    tradeUsd: config.tradeUsd,
    takeProfitPct: config.takeProfitPct,
    stopLossPct: config.stopLossPct,
    maxPositions: config.maxPositions,
    sumToOneMinEdge: config.sumToOneMinEdge,
    minTimeLeftMs: config.minTimeLeftMs,
    maxHoldMs: config.maxHoldMs,
    exitBeforeEndMs: config.exitBeforeEndMs,
    cooldownMs: config.cooldownMs,
    useLlm: config.useLlm,
    decisionTimeoutMs: config.decisionTimeoutMs,
    exitRetryMs: config.exitRetryMs,
    orderTimeoutMs: config.orderTimeoutMs,
  });
  const openPositions = (): number => strategy?.countIn(OPEN_STATES) ?? 0;
  /** Each asset's slug of the last window asked for (a window lasts 15 minutes: thousands of events). */
  const slugs = new Map<string, { window: number; slug: string }>();
  const windowMarket = (ctx: StrategyContext, asset: string, ts: number) => {
    const window = Math.floor(ts / WINDOW_MS);
    let last = slugs.get(asset);
    if (last === undefined || last.window !== window) {
      last = { window, slug: windowSlug(asset, ts) };
      slugs.set(asset, last);
    }
    return index.get(ctx, last.slug);
  };
  /**
   * Each asset's window quote, built once while the markets stay the same (their `version`): an instant's
   * snapshot, each of its books and its timer then carry one object, which `sameQuoteAgain` knows at once.
   */
  const quotes = new Map<string, { markets: MarketView; version: number; window: number; quote: WindowQuote | null }>();
  const quoteOf = (ctx: StrategyContext, asset: string, ts: number): WindowQuote | null => {
    const window = Math.floor(ts / WINDOW_MS);
    const kept = quotes.get(asset);
    if (kept !== undefined && kept.markets === ctx.markets && kept.version === ctx.markets.version && kept.window === window) return kept.quote;
    const m = windowMarket(ctx, asset, ts);
    const quote = m ? windowQuote(ctx, m) : null;
    quotes.set(asset, { markets: ctx.markets, version: ctx.markets.version, window, quote });
    return quote;
  };
  /** The assets (in config order) whose window market holds each token, for the market list and window last asked: a book wakes only those. */
  let watchers: { list: readonly MarketInfo[]; window: number; byToken: Map<string, string[]> } | null = null;
  const assetsWatching = (ctx: StrategyContext, tokenId: string, ts: number): readonly string[] => {
    const list = ctx.markets.markets();
    const window = Math.floor(ts / WINDOW_MS);
    if (watchers === null || watchers.list !== list || watchers.window !== window) {
      const byToken = new Map<string, string[]>();
      for (const asset of assets) {
        for (const t of windowMarket(ctx, asset, ts)?.tokenIds ?? []) {
          const those = byToken.get(t);
          if (those === undefined) byToken.set(t, [asset]);
          else if (!those.includes(asset)) those.push(asset);
        }
      }
      watchers = { list, window, byToken };
    }
    return watchers.byToken.get(tokenId) ?? NONE;
  };
  /** The configured asset a feed symbol names, or null: worked out once per symbol. */
  const assetBySymbol = new Map<string, string | null>();
  const tradedAsset = (symbol: string): string | null => {
    let asset = assetBySymbol.get(symbol);
    if (asset === undefined) {
      const named = assetOf(symbol);
      asset = named !== null && assets.includes(named) ? named : null;
      assetBySymbol.set(symbol, asset);
    }
    return asset;
  };
  /** To the asset's instance; its input (to start one) only when there is none. */
  const deliver = (asset: string, event: FifteenMinEvent): Delivery<Machine> => (strategy?.has(asset) ? { key: asset, event } : { key: asset, event, input: input(asset) });

  /** The current window quote to each of `to` (all see the same open positions: the route delivers after it returns). */
  const quotesTo = (to: readonly string[], type: 'QUOTE' | 'TICK', ctx: StrategyContext, ts: number): Delivery<Machine>[] => {
    if (to.length === 0) return [];
    const open = openPositions();
    const out: Delivery<Machine>[] = [];
    for (const asset of to) out.push(deliver(asset, { type, ts, quote: quoteOf(ctx, asset, ts), openPositions: open }));
    return out;
  };

  const route = (event: AnyEvent, ctx: StrategyContext, keys: ReadonlySet<string>): Delivery<Machine>[] => {
    switch (event.type) {
      case 'signal': {
        const asset = tradedAsset(event.symbol);
        if (asset === null) return [];
        const { direction, confirmed, change, price } = event;
        const signal: SignalEvent = { type: 'SIGNAL', ts: event.ts, direction, confirmed, change, price, quote: quoteOf(ctx, asset, event.ts), openPositions: openPositions() };
        // Only the LLM prompt reads the portfolio, and an unconfirmed signal never asks the LLM (in every
        // state the machine counts it, or replays it to watching, which counts it).
        const portfolio = config.useLlm && confirmed ? options.portfolio?.() : undefined;
        if (portfolio) signal.portfolio = portfolio;
        return [deliver(asset, signal)];
      }
      case 'oracle_price': {
        const asset = tradedAsset(event.symbol);
        if (asset === null) return [];
        return [deliver(asset, { type: 'ORACLE', ts: event.ts, value: event.value })];
      }
      case 'decision': {
        // The LLM cache answers with the request's cache key, "<ASSET>|directional_trend|<yes>|<no>".
        const asset = event.key.split('|')[0];
        if (event.strategy !== name || !keys.has(asset)) return [];
        const { action, executed, reason, key } = event;
        return [{ key: asset, event: { type: 'DECISION', ts: event.ts, key, action, executed, reason, openPositions: openPositions() } }];
      }
      case 'market_snapshot':
      case 'timer':
        return quotesTo(assets, event.type === 'timer' ? 'TICK' : 'QUOTE', ctx, event.ts);
      case 'book':
        return quotesTo(assetsWatching(ctx, event.tokenId, event.ts), 'QUOTE', ctx, event.ts);
      case 'book_delta': {
        const woken = new Set<string>();
        for (const c of event.changes) for (const asset of assetsWatching(ctx, c.tokenId, event.ts)) woken.add(asset);
        return quotesTo(woken.size === 0 ? NONE : assets.filter((asset) => woken.has(asset)), 'QUOTE', ctx, event.ts);
      }
      case 'market_resolved': {
        const market = findMarket(ctx, event.market);
        if (!market) return [];
        return [...keys].map((asset) => ({ key: asset, event: { type: 'RESOLVED', ts: event.ts, marketId: market.id } }));
      }
      default:
        return [];
    }
  };

  strategy = new KeyedMachineStrategy<Machine>({
    name,
    machine: fifteenMinMachine,
    handles: ['signal', 'oracle_price', 'decision', 'market_snapshot', 'timer', 'book', 'book_delta', 'market_resolved'],
    route,
    orderTimeoutMs: config.orderTimeoutMs,
    changesNothing: (state, last, next, snapshot) =>
      (last !== null && sameQuoteAgain(last, next)) || noQuoteWhileWatching(state, next) || onlyKeepsQuote(state, next, snapshot.context),
  }, { inspect: options.inspect });
  return strategy;
}
