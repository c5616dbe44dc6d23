import type { AnyEvent, MarketInfo } from '../../events/types';
import { negRiskMachine, type NegRiskEvent, type NegRiskLegQuote, type NegRiskParams, type NegRiskSetQuote } from '../../machines/negRisk';
import type { Config } from '../config/schema';
import { KeyedMachineStrategy, type Delivery, type KeyedMachineOptions } from './keyedMachines';
import { findMarket, outcomeIndex, tokenQuote } from './marketQuotes';
import type { StrategyContext } from './types';

/**
 * NegRisk arbitrage: one negRisk machine per event, keyed by `negRiskMarketId` (never by condition
 * id: every leg has its own). The route groups the snapshot's negRisk markets and hands each group's
 * YES legs to its machine as plain data (asks, depth at the ask from live books, fees per share).
 */

export type NegRiskConfig = Config['negRisk'];
type Machine = typeof negRiskMachine;

export const NEG_RISK = 'negRisk';

/** The snapshot's negRisk markets grouped by negRiskMarketId, in snapshot order. */
export function negRiskGroups(markets: readonly MarketInfo[]): Map<string, MarketInfo[]> {
  const groups = new Map<string, MarketInfo[]>();
  for (const m of markets) {
    if (!m.negRisk || m.negRiskMarketId === null) continue;
    const g = groups.get(m.negRiskMarketId);
    if (g) g.push(m);
    else groups.set(m.negRiskMarketId, [m]);
  }
  return groups;
}

export function legQuote(ctx: StrategyContext, market: MarketInfo): NegRiskLegQuote {
  const yes = outcomeIndex(market, 'Yes', 0);
  const tokenId = market.tokenIds[yes];
  const q = tokenQuote(ctx, market, tokenId);
  return {
    marketId: market.id,
    tokenId,
    outcome: market.outcomes[yes],
    title: market.groupItemTitle || market.question,
    active: market.active,
    closed: market.closed,
    acceptingOrders: market.acceptingOrders,
    augmented: market.negRiskAugmented,
    stale: q.stale,
    ask: q.ask,
    askSize: q.askSize,
    bid: q.bid,
    buyFeePerShare: q.buyFeePerShare,
    minSize: market.minSize,
  };
}

export function setQuote(ctx: StrategyContext, negRiskMarketId: string, markets: readonly MarketInfo[]): NegRiskSetQuote {
  return { negRiskMarketId, legs: markets.map((m) => legQuote(ctx, m)) };
}

export function createNegRiskStrategy(config: NegRiskConfig, options: { name?: string; inspect?: KeyedMachineOptions['inspect'] } = {}): KeyedMachineStrategy<Machine> {
  const name = options.name ?? NEG_RISK;
  let cached: { list: readonly MarketInfo[]; groups: Map<string, MarketInfo[]> } | null = null;
  const groupsOf = (ctx: StrategyContext) => {
    const list = ctx.markets.markets();
    if (cached === null || cached.list !== list) cached = { list, groups: negRiskGroups(list) };
    return cached.groups;
  };
  const input = (key: string): NegRiskParams => ({
    negRiskMarketId: key,
    strategy: name,
    minEdge: config.minEdge,
    minDeviation: config.minDeviation,
    maxEdge: config.maxEdge,
    minLegLiquidityUsd: config.minLegLiquidityUsd,
    maxSetUsd: config.maxSetUsd,
    cooldownMs: config.cooldownMs,
    exitRetryMs: config.exitRetryMs,
    orderTimeoutMs: config.orderTimeoutMs,
  });
  const deliver = (key: string, event: NegRiskEvent): Delivery<Machine> => ({ key, event, input: input(key) });

  /** Groups worth a machine: two legs or more (a single leg cannot be a set), or one that already has one. */
  const quotes = (ctx: StrategyContext, keys: ReadonlySet<string>, ts: number, type: 'QUOTE' | 'TICK', only: ReadonlySet<string> | null) => {
    const out: Delivery<Machine>[] = [];
    const groups = groupsOf(ctx);
    for (const [key, markets] of groups) {
      if (only !== null && !only.has(key)) continue;
      if (markets.length >= 2 || keys.has(key)) out.push(deliver(key, { type, ts, set: setQuote(ctx, key, markets) }));
    }
    // An instance whose markets left the snapshot still sees time pass (cooldowns, unwind retries).
    if (only === null) for (const key of keys) if (!groups.has(key)) out.push({ key, event: { type: 'TICK', ts, set: null } });
    return out;
  };

  const route = (event: AnyEvent, ctx: StrategyContext, keys: ReadonlySet<string>): Delivery<Machine>[] => {
    switch (event.type) {
      case 'market_snapshot':
        return quotes(ctx, keys, event.ts, 'QUOTE', null);
      case 'timer':
        return quotes(ctx, keys, event.ts, 'TICK', null);
      case 'book':
      case 'book_delta': {
        const tokens = event.type === 'book' ? [event.tokenId] : event.changes.map((c) => c.tokenId);
        const touched = new Set<string>();
        for (const t of tokens) {
          const id = ctx.markets.token(t)?.market.negRiskMarketId;
          if (id) touched.add(id);
        }
        return touched.size === 0 ? [] : quotes(ctx, keys, event.ts, 'QUOTE', touched);
      }
      case 'market_resolved': {
        const market = findMarket(ctx, event.market);
        const key = market?.negRiskMarketId;
        if (!market || !key || !keys.has(key)) return [];
        return [{ key, event: { type: 'RESOLVED', ts: event.ts, marketId: market.id } }];
      }
      default:
        return [];
    }
  };

  return new KeyedMachineStrategy<Machine>({ name, machine: negRiskMachine, handles: ['market_snapshot', 'timer', 'book', 'book_delta', 'market_resolved'], route, orderTimeoutMs: config.orderTimeoutMs }, { inspect: options.inspect });
}
