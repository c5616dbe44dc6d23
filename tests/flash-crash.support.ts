/** Builders shared by the flash-crash tests: real-shaped 15-minute market data and machine events. */
import { createActor } from 'xstate';
import { handOrderIds } from './support/handOrderIds';
import { flashCrashSchema } from '../actors/config/schema';
import { flashCrashParams } from '../actors/strategies/flashCrash';
import { makeEvent, type Decimal, type FillEvent, type MarketInfo, type RiskRejectionEvent } from '../events/types';
import { flashCrashMachine, type FlashCrashInput, type FlashCrashOrder, type TokenQuote } from '../machines/flashCrash';

/** The Gamma market `btc-updown-15m-1765450800` (window 11:00-11:15 UTC on 2025-12-11), as our decoder gives it. */
export const WINDOW_START_S = 1765450800;
export const END_TS = 1765451700000;
export const UP_TOKEN = '71321045679252212594626385532706912750332728571942532289631379312455583992563';
export const DOWN_TOKEN = '52114319501245915516055106046884209969926127482827954674443846427813813222426';

export function btc15mMarket(over: Partial<MarketInfo> = {}): MarketInfo {
  return {
    id: '905021',
    conditionId: '0x5f3c2d3f9a7c3b0e44f39a6ab9a3e1d0f2c1b7a8e9d6c5b4a3f2e1d0c9b8a7f6',
    slug: `btc-updown-15m-${WINDOW_START_S}`,
    question: 'Bitcoin Up or Down - December 11, 6:00AM-6:15AM ET',
    outcomes: ['Up', 'Down'],
    outcomePrices: ['0.5', '0.5'],
    tokenIds: [UP_TOKEN, DOWN_TOKEN],
    negRisk: false,
    negRiskMarketId: null,
    negRiskAugmented: false,
    tickSize: '0.01',
    minSize: '5',
    // As the 15-minute markets of December 2025 were (yongkangc's recorded sample): no fees.
    feesEnabled: false,
    feeSchedule: null,
    endTs: END_TS,
    active: true,
    closed: false,
    acceptingOrders: true,
    bestBid: '0.49',
    bestAsk: '0.51',
    groupItemTitle: null,
    ...over,
  };
}

/** Exits in dollars, as these tests were written for (the defaults exit in ticks: tests/flash-crash-exits.test.ts). */
export const USD_EXITS = { takeProfitUsd: '0.10', stopLossUsd: '0.05', takeProfitTicks: null, stopLossTicks: null } as const;

export const defaults = flashCrashParams(flashCrashSchema.parse(USD_EXITS));

/** The UP book at 0.79/0.80 (100 each side) at `ts`, then `crashDelta`: the crash flash crash enters on. */
export function upBook(conditionId: string, ts: number) {
  return makeEvent('book', ts, { source: 'clob_ws', tokenId: UP_TOKEN, market: conditionId, bids: [{ price: '0.79', size: '100' }], asks: [{ price: '0.80', size: '100' }], tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: null });
}

/** The UP book falls from 0.79/0.80 to 0.63/0.64 (50 each side) in one delta at `ts`. */
export function crashDelta(conditionId: string, ts: number) {
  return makeEvent('book_delta', ts, {
    market: conditionId,
    changes: [
      { tokenId: UP_TOKEN, side: 'BUY', price: '0.79', size: '0' },
      { tokenId: UP_TOKEN, side: 'BUY', price: '0.63', size: '50' },
      { tokenId: UP_TOKEN, side: 'SELL', price: '0.80', size: '0' },
      { tokenId: UP_TOKEN, side: 'SELL', price: '0.64', size: '50' },
    ],
  });
}

/** The id the keyed wrapper gives the UP token's n-th flash-crash order. */
export const orderIdOf = (n: number) => `flashCrash:${UP_TOKEN}:${n}`;

export function input(over: Partial<FlashCrashInput> = {}): FlashCrashInput {
  return { ...defaults, tokenId: UP_TOKEN, marketId: '905021', outcome: 'Up', ...over };
}

/** A quote where the book's best bid and ask sit around `price` (no fees, so net = price). */
export function quote(ask: Decimal | null, bid: Decimal | null, over: Partial<TokenQuote> = {}): TokenQuote {
  return { ask, mark: bid === null ? null : { price: bid, net: bid }, tickSize: '0.01', minSize: '5', endTs: END_TS, open: true, stale: false, ...over };
}

let fillSeq = 0;
export function fill(ts: number, side: 'BUY' | 'SELL', price: Decimal, size: Decimal, over: Partial<FillEvent> = {}): FillEvent {
  fillSeq++;
  return makeEvent('fill', ts, { orderId: `o${fillSeq}`, strategy: 'flashCrash', marketId: '905021', tokenId: UP_TOKEN, side, price, size, fee: '0', partial: false, ...over });
}

export function rejection(ts: number, reason = 'max_per_trade', detail = 'order value 5 over 5% of capital', orderId = 'o'): RiskRejectionEvent {
  return makeEvent('risk_rejection', ts, { orderId, strategy: 'flashCrash', reason, detail });
}

/** A started machine with its emitted orders collected. */
export function start(over: Partial<FlashCrashInput> = {}) {
  const actor = handOrderIds(createActor(flashCrashMachine, { input: input(over) }), 'flashCrash', UP_TOKEN);
  const orders: FlashCrashOrder[] = [];
  actor.on('order_intent', (o) => orders.push(o));
  actor.start();
  const state = () => String(actor.getSnapshot().value);
  const ctx = () => actor.getSnapshot().context;
  const price = (ts: number, p: number, q: TokenQuote = quote(String(p), String(p))) => actor.send({ type: 'PRICE', ts, price: p, source: 'last_trade', quote: q });
  /** A fill or rejection of the order the machine waits for now (unless `over` names another). */
  const fillNow = (ts: number, side: 'BUY' | 'SELL', p: Decimal, size: Decimal, over: Partial<FillEvent> = {}) => fill(ts, side, p, size, { orderId: ctx().order?.orderId ?? 'none', ...over });
  const rejectNow = (ts: number, reason?: string, detail?: string) => rejection(ts, reason, detail, ctx().order?.orderId ?? 'none');
  return { actor, orders, state, ctx, price, fill: fillNow, rejection: rejectNow };
}
