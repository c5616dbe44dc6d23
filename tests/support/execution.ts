import { makeEvent, type BookLevel, type FillEvent, type MarketInfo, type OrderIntentEvent } from '../../events/types';
import type { MarketContext } from '../../actors/execution/marketContext';
import type { RiskLimits } from '../../actors/execution/risk';
import { OrderBook } from '../../domain/market/orderBook';

/** A binary market in Gamma's normalised shape; fees off unless asked. */
export function marketInfo(over: Partial<MarketInfo> = {}): MarketInfo {
  return {
    id: 'm1',
    conditionId: '0xc1',
    slug: 'm1',
    question: 'Will it?',
    outcomes: ['Yes', 'No'],
    outcomePrices: ['0.5', '0.5'],
    tokenIds: ['yes1', 'no1'],
    negRisk: false,
    negRiskMarketId: null,
    negRiskAugmented: false,
    tickSize: '0.01',
    minSize: '5',
    feesEnabled: false,
    feeSchedule: null,
    endTs: null,
    active: true,
    closed: false,
    acceptingOrders: true,
    bestBid: '0.49',
    bestAsk: '0.51',
    groupItemTitle: null,
    ...over,
  };
}

export const crypto7 = { feesEnabled: true, feeSchedule: { rate: '0.07', exponent: 1, takerOnly: true } } as const;

export function levels(...pairs: [string, string][]): BookLevel[] {
  return pairs.map(([price, size]) => ({ price, size }));
}

export function book(tokenId: string, ts: number, asks: BookLevel[], bids: BookLevel[] = []): OrderBook {
  return OrderBook.fromSnapshot(tokenId, ts, bids, asks);
}

export function context(info: MarketInfo, b: OrderBook | null, dataTs: number | null = b?.updatedTs ?? null, over: Partial<MarketContext> = {}): MarketContext {
  return { info, book: b, quote: { bid: null, ask: null }, dataTs, stale: false, lastTradeTs: null, ...over };
}

let nextOrder = 1;
export function intent(over: Partial<Omit<OrderIntentEvent, 'v' | 'seq' | 'type'>> = {}): OrderIntentEvent {
  const { ts = 1_700_000_000_000, ...body } = over;
  return makeEvent('order_intent', ts, {
    orderId: `o${nextOrder++}`,
    strategy: 's1',
    marketId: 'm1',
    tokenId: 'yes1',
    outcome: 'Yes',
    side: 'BUY',
    price: '0.5',
    size: '10',
    orderType: 'market',
    reason: 'test',
    groupId: null,
    ...body,
  });
}

export function fillEvent(over: Partial<Omit<FillEvent, 'v' | 'seq' | 'type'>> = {}): FillEvent {
  const { ts = 1_700_000_000_000, ...body } = over;
  return makeEvent('fill', ts, {
    orderId: `f${nextOrder++}`,
    strategy: 's1',
    marketId: 'm1',
    tokenId: 'yes1',
    side: 'BUY',
    price: '0.5',
    size: '10',
    fee: '0',
    partial: false,
    ...body,
  });
}

/** Limits wide enough that only the one a test narrows can bind. */
export function looseLimits(over: Partial<RiskLimits> = {}): RiskLimits {
  return {
    maxOrderUsd: '1000000',
    maxPerTradePct: 1,
    maxPerMarketPct: 1,
    maxHeatPct: 1,
    maxDailyDrawdownPct: 1,
    lossStreakReset: 'never',
    maxConsecutiveLosses: 1000,
    killSwitch: false,
    maxDataAgeMs: 10_000,
    ...over,
  };
}
