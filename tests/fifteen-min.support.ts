/** Builders for the 15-minute strategy tests: real-shaped window markets, quotes, fills and rejections. */
import Big from 'big.js';
import { createActor } from 'xstate';
import { handOrderIds } from './support/handOrderIds';
import { fifteenMinSchema } from '../actors/config/schema';
import { makeEvent, type Decimal, type FeeSchedule, type FillEvent, type MarketInfo, type RiskRejectionEvent } from '../events/types';
import { fifteenMinMachine, type FifteenMinEvent, type FifteenMinOutput, type FifteenMinParams, type SideQuote, type WindowQuote } from '../machines/fifteenMin';

/** Window 2025-12-29 01:45-02:00 UTC: `btc-updown-15m-1766972700`, as Gamma listed it (outcomes Up/Down, tick 0.01, min 5). */
export const START_S = 1766972700;
export const START = START_S * 1000;
export const END = START + 900_000;
export const UP = '97572449624297528228125787516420755443616724786724410407458602113641283210922';
export const DOWN = '51447966303140662386595302497176384643064715276005782969491138499076372714983';
/** The crypto fee schedule Gamma gives these markets since fees were switched on (rate 0.07, exponent 1). */
export const CRYPTO_FEES: FeeSchedule = { rate: '0.07', exponent: 1, takerOnly: true };

export function windowMarket(over: Partial<MarketInfo> = {}): MarketInfo {
  return {
    id: '1043573',
    conditionId: '0x2e80050f1a0141285576e02f1492bdd03aa827c533d553a0f581e8883da0ff72',
    slug: `btc-updown-15m-${START_S}`,
    question: 'Bitcoin Up or Down - December 28, 8:45PM-9:00PM ET',
    outcomes: ['Up', 'Down'],
    outcomePrices: ['0.5', '0.5'],
    tokenIds: [UP, DOWN],
    negRisk: false,
    negRiskMarketId: null,
    negRiskAugmented: false,
    tickSize: '0.01',
    minSize: '5',
    feesEnabled: true,
    feeSchedule: CRYPTO_FEES,
    endTs: END,
    active: true,
    closed: false,
    acceptingOrders: true,
    bestBid: '0.49',
    bestAsk: '0.51',
    groupItemTitle: null,
    ...over,
  };
}

/** Taker fee per share at p, computed here from the schedule: rate x p x (1 - p). */
export function feeAt(p: Decimal | null): Decimal {
  return p === null ? '0' : new Big(CRYPTO_FEES.rate).times(p).times(new Big(1).minus(p)).toFixed();
}

export interface SidePrices {
  ask: Decimal | null;
  bid: Decimal | null;
  askSize?: Decimal | null;
  stale?: boolean;
}

function sideQuote(tokenId: string, outcome: string, s: SidePrices): SideQuote {
  return { tokenId, outcome, ask: s.ask, bid: s.bid, askSize: s.askSize ?? null, stale: s.stale ?? false, buyFeePerShare: feeAt(s.ask), sellFeePerShare: feeAt(s.bid) };
}

export function quote(up: SidePrices, down: SidePrices, over: Partial<WindowQuote> = {}): WindowQuote {
  const m = windowMarket();
  return { marketId: m.id, slug: m.slug, question: m.question, windowStart: START, windowEnd: END, tradable: true, minSize: '5', up: sideQuote(UP, 'Up', up), down: sideQuote(DOWN, 'Down', down), ...over };
}

export function params(over: Partial<FifteenMinParams> = {}): FifteenMinParams {
  const c = fifteenMinSchema.parse({});
  return {
    asset: 'BTC',
    strategy: 'fifteenMin',
    tradeUsd: c.tradeUsd,
    takeProfitPct: c.takeProfitPct,
    stopLossPct: c.stopLossPct,
    maxPositions: c.maxPositions,
    sumToOneMinEdge: c.sumToOneMinEdge,
    minTimeLeftMs: c.minTimeLeftMs,
    maxHoldMs: c.maxHoldMs,
    exitBeforeEndMs: c.exitBeforeEndMs,
    cooldownMs: c.cooldownMs,
    useLlm: false,
    decisionTimeoutMs: c.decisionTimeoutMs,
    exitRetryMs: c.exitRetryMs,
    orderTimeoutMs: c.orderTimeoutMs,
    ...over,
  };
}

export function fill(orderId: string, tokenId: string, side: 'BUY' | 'SELL', price: Decimal, size: Decimal, ts: number, partial = false): FillEvent {
  const fee = new Big(feeAt(price)).times(size).round(5, Big.roundDown).toFixed();
  return makeEvent('fill', ts, { orderId, strategy: 'fifteenMin', marketId: '1043573', tokenId, side, price, size, fee, partial });
}

export function rejection(orderId: string, ts: number, reason = 'max_order_value'): RiskRejectionEvent {
  return makeEvent('risk_rejection', ts, { orderId, strategy: 'fifteenMin', reason, detail: 'test' });
}

/** A running machine that records what it emits. */
export function run(p: FifteenMinParams = params()) {
  const actor = handOrderIds(createActor(fifteenMinMachine, { input: p }), 'fifteenMin', p.asset);
  const out: FifteenMinOutput[] = [];
  actor.on('*', (e) => out.push(e as FifteenMinOutput));
  actor.start();
  return {
    actor,
    out,
    send(e: FifteenMinEvent): FifteenMinOutput[] {
      const from = out.length;
      actor.send(e);
      return out.slice(from);
    },
    state: () => actor.getSnapshot().value as string,
    ctx: () => actor.getSnapshot().context,
  };
}

export const signal = (ts: number, q: WindowQuote | null, direction: 'bullish' | 'bearish' = 'bullish', confirmed = true, openPositions = 0): FifteenMinEvent => ({
  type: 'SIGNAL',
  ts,
  direction,
  confirmed,
  change: direction === 'bullish' ? 0.0012 : -0.0012,
  price: '61556.04',
  quote: q,
  openPositions,
});

export const quoteEvent = (ts: number, q: WindowQuote | null, openPositions = 0): FifteenMinEvent => ({ type: 'QUOTE', ts, quote: q, openPositions });
export const tick = (ts: number, q: WindowQuote | null, openPositions = 0): FifteenMinEvent => ({ type: 'TICK', ts, quote: q, openPositions });
