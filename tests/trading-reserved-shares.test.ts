import { feedTrading } from './support/feedTrading';
import { parseConfig } from '../actors/config/load';
import { marketContext } from '../actors/execution/marketContext';
import { PendingOrders, withPendingOrders } from '../actors/execution/pendingOrders';
import { checkOrder, riskLimits, type RiskVerdict } from '../actors/execution/risk';
import type { Strategy } from '../actors/strategies/types';
import { createTradingSystem, type TradingSystem } from '../actors/system';
import { SimulatedClock, SystemClock } from '../events/clock';
import { makeEvent, type AnyEvent, type DerivedEvent, type EventType, type InputEvent, type OrderIntentEvent, type OrderUpdateEvent, type RiskRejectionEvent } from '../events/types';
import { intent, levels, marketInfo } from './support/execution';
import { AnswersLater } from './support/answersLater';


/** Trades when a timer named `<BUY|SELL> <price> <size>` ticks, always token yes1 of market m1. */
function scriptedTrader(): Strategy {
  let n = 0;
  return {
    name: 'script',
    handles: new Set<EventType>(['timer']),
    react(event) {
      if (event.type !== 'timer') return [];
      const [side, price, size] = event.name.split(' ');
      if (side !== 'BUY' && side !== 'SELL') return [];
      return [makeEvent('order_intent', event.ts, { orderId: `script:${++n}`, strategy: 'script', marketId: 'm1', tokenId: 'yes1', outcome: 'Yes', side, price, size, orderType: 'limit', reason: 'test', groupId: null })];
    },
    persist: () => n,
    restore: (s) => void (n = s as number),
  };
}

const T0 = 1_765_000_000_000;
const M1 = marketInfo({ id: 'm1', conditionId: '0xc1', tokenIds: ['yes1', 'no1'] });
const config = parseConfig({ flashCrash: { enabled: false }, fifteenMin: { enabled: false }, negRisk: { enabled: false }, risk: { startingCapital: '1000' } });

interface Rig {
  system: TradingSystem;
  broker: AnswersLater;
  log: AnyEvent[];
  feed(e: InputEvent): Promise<DerivedEvent[]>;
  order(ts: number, side: 'BUY' | 'SELL', size: string): Promise<DerivedEvent[]>;
  update(ts: number, order: OrderIntentEvent, status: OrderUpdateEvent['status']): Promise<DerivedEvent[]>;
  fill(ts: number, order: OrderIntentEvent, size: string): Promise<DerivedEvent[]>;
  /** Risk's verdict on a SELL of `size` yes1 at 0.49, checked without sending it. */
  probeSell(ts: number, size: string): RiskVerdict;
  /** The strategy's shares of yes1, the shares its pending SELLs reserve, and by how many orders. */
  held(): { shares: string; reserved: string; orders: number };
}

async function rig(): Promise<Rig> {
  const broker = new AnswersLater();
  const system = createTradingSystem(config, { eventClock: new SimulatedClock(0), broker, llm: { mode: 'replay', engine: null }, extraStrategies: [scriptedTrader()] });
  const log: AnyEvent[] = [];
  const feed = async (e: InputEvent) => {
    const derived = await feedTrading(system.trading, e);
    log.push(e, ...derived);
    return derived;
  };
  await feed(makeEvent('market_snapshot', T0, { source: 'gamma', request: '/markets', markets: [M1] }));
  await feed(makeEvent('book', T0, { source: 'clob_ws', tokenId: 'yes1', market: '0xc1', bids: levels(['0.49', '1000']), asks: levels(['0.50', '1000']), tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: null }));
  return {
    system,
    broker,
    log,
    feed,
    order: (ts, side, size) => feed(makeEvent('timer', ts, { name: `${side} ${side === 'BUY' ? '0.50' : '0.49'} ${size}` })),
    update: (ts, order, status) => feed(makeEvent('order_update', ts, { orderId: order.orderId, strategy: order.strategy, tokenId: order.tokenId, exchangeOrderId: `0x${order.orderId.slice(7)}`, status, reason: status, detail: 'the venue says so' })),
    fill: (ts, order, size) => feed(makeEvent('exchange_fill', ts, { orderId: order.orderId, tokenId: order.tokenId, side: order.side, price: order.price, size, fee: '0', tradeId: `t${ts}` })),
    probeSell: (ts, size) => checkOrder(intent({ strategy: 'script', marketId: 'm1', tokenId: 'yes1', side: 'SELL', price: '0.49', size, ts }), withPendingOrders(system.portfolio, system.pending), marketContext(system.markets, 'yes1'), riskLimits(config), ts),
    held: () => {
      const { shares, orders } = system.pending.reserved('script', 'yes1');
      return { shares: system.portfolio.shares('script', 'yes1').toFixed(), reserved: shares.toFixed(), orders };
    },
  };
}

/** A rig holding 12 shares of yes1, bought at 0.50 and filled by the venue. */
async function holding12(): Promise<Rig> {
  const r = await rig();
  await r.order(T0 + 1_000, 'BUY', '12');
  await r.fill(T0 + 1_100, r.broker.sent[0], '12');
  await r.update(T0 + 1_200, r.broker.sent[0], 'filled');
  expect(r.held()).toEqual({ shares: '12', reserved: '0', orders: 0 });
  return r;
}

const rejections = (events: readonly AnyEvent[]) => events.filter((e): e is RiskRejectionEvent => e.type === 'risk_rejection');
const verdict = (v: RiskVerdict) => (v.ok ? 'ok' : `${v.reason}: ${v.detail}`);
const sells = (r: Rig) => r.broker.sent.filter((o) => o.side === 'SELL');

describe('a live SELL reserves its unfilled shares until the venue ends it', () => {
  it('two exits of one 12-share position within one poll: the second is refused naming the 12 reserved shares; after the venue cancels the first, a new exit passes', async () => {
    const r = await holding12();
    expect(rejections(await r.order(T0 + 2_000, 'SELL', '12'))).toEqual([]);
    const [second] = rejections(await r.order(T0 + 2_001, 'SELL', '12'));
    expect(second.reason).toBe('insufficient_position');
    expect(second.detail).toBe('sell of 12 above the 0 unreserved of the 12 shares script holds of yes1; 12 reserved by 1 SELL order sent and not ended');
    expect(sells(r)).toHaveLength(1);
    expect(r.held()).toEqual({ shares: '12', reserved: '12', orders: 1 });
    // A SELL is no exposure: the heat is the position at cost only.
    expect(withPendingOrders(r.system.portfolio, r.system.pending).heat().toFixed()).toBe('6');
    expect(r.system.pending.count()).toBe(0);

    await r.update(T0 + 2_500, sells(r)[0], 'accepted');
    expect(r.held()).toEqual({ shares: '12', reserved: '12', orders: 1 });
    await r.update(T0 + 3_000, sells(r)[0], 'cancelled');
    expect(r.held()).toEqual({ shares: '12', reserved: '0', orders: 0 });
    expect(rejections(await r.order(T0 + 3_100, 'SELL', '12'))).toEqual([]);
    expect(sells(r).map((o) => o.orderId)).toEqual(['script:2', 'script:4']);
  });

  it('two smaller exits fit exactly; a third is refused naming both orders', async () => {
    const r = await holding12();
    expect(rejections(await r.order(T0 + 2_000, 'SELL', '5'))).toEqual([]);
    expect(verdict(r.probeSell(T0 + 2_001, '7'))).toBe('ok');
    expect(verdict(r.probeSell(T0 + 2_001, '7.01'))).toBe('insufficient_position: sell of 7.01 above the 7 unreserved of the 12 shares script holds of yes1; 5 reserved by 1 SELL order sent and not ended');
    expect(rejections(await r.order(T0 + 2_002, 'SELL', '7'))).toEqual([]);
    expect(verdict(r.probeSell(T0 + 2_003, '5'))).toBe('insufficient_position: sell of 5 above the 0 unreserved of the 12 shares script holds of yes1; 12 reserved by 2 SELL orders sent and not ended');
  });

  it('a partial sell fill then the rest: reserved plus sold never exceeds the 12-share position', async () => {
    const r = await holding12();
    await r.order(T0 + 2_000, 'SELL', '12');
    const [exit] = sells(r);
    let sold = 0;
    const at = () => ({ ...r.held(), sold: String(sold) });
    expect(at()).toEqual({ shares: '12', reserved: '12', orders: 1, sold: '0' });

    await r.update(T0 + 2_100, exit, 'accepted');
    await r.fill(T0 + 2_200, exit, '5');
    sold += 5;
    expect(at()).toEqual({ shares: '7', reserved: '7', orders: 1, sold: '5' });
    expect(r.system.pending.toJSON()).toEqual({ [exit.orderId]: { marketId: 'm1', price: '0.49', side: 'SELL', size: '7', strategy: 'script', tokenId: 'yes1' } });
    expect(verdict(r.probeSell(T0 + 2_300, '5'))).toBe('insufficient_position: sell of 5 above the 0 unreserved of the 7 shares script holds of yes1; 7 reserved by 1 SELL order sent and not ended');

    await r.fill(T0 + 2_400, exit, '7');
    sold += 7;
    expect(at()).toEqual({ shares: '0', reserved: '0', orders: 0, sold: '12' });
    await r.update(T0 + 2_500, exit, 'filled');
    expect(r.system.pending.toJSON()).toEqual({});
    // The position is gone: the plain message, nothing reserved.
    expect(verdict(r.probeSell(T0 + 2_600, '5'))).toBe('insufficient_position: sell of 5 above the 0 shares script holds of yes1');
    expect(r.system.portfolio.cash().toFixed()).toBe('999.88'); // 1000 - 6 + 5.88
  });

  it('a partly filled exit the venue cancels frees only what did not fill', async () => {
    const r = await holding12();
    await r.order(T0 + 2_000, 'SELL', '12');
    await r.fill(T0 + 2_100, sells(r)[0], '4');
    await r.update(T0 + 2_200, sells(r)[0], 'cancelled');
    expect(r.held()).toEqual({ shares: '8', reserved: '0', orders: 0 });
    expect(verdict(r.probeSell(T0 + 2_300, '8'))).toBe('ok');
    expect(verdict(r.probeSell(T0 + 2_300, '8.01'))).toBe('insufficient_position: sell of 8.01 above the 8 shares script holds of yes1');
  });

  it('the log alone rebuilds the reserved set, and a replay of its inputs derives the same events byte for byte', async () => {
    const r = await holding12();
    await r.order(T0 + 2_000, 'SELL', '6');
    await r.order(T0 + 2_001, 'SELL', '6');
    await r.order(T0 + 2_002, 'SELL', '6'); // refused: 12 reserved by 2
    const [a, b] = sells(r);
    await r.fill(T0 + 2_100, a, '2.5');
    await r.update(T0 + 2_200, b, 'rejected');
    await r.order(T0 + 2_300, 'SELL', '5.5');
    await r.order(T0 + 2_400, 'BUY', '10');
    const [c, buy] = r.broker.sent.slice(-2);
    const expected = {
      [a.orderId]: { marketId: 'm1', price: '0.49', side: 'SELL', size: '3.5', strategy: 'script', tokenId: 'yes1' },
      [c.orderId]: { marketId: 'm1', price: '0.49', side: 'SELL', size: '5.5', strategy: 'script', tokenId: 'yes1' },
      [buy.orderId]: { marketId: 'm1', price: '0.5', side: 'BUY', size: '10', strategy: 'script', tokenId: 'yes1' },
    };
    expect(r.system.pending.toJSON()).toEqual(expected);
    expect(r.held()).toEqual({ shares: '9.5', reserved: '9', orders: 2 });
    expect(rejections(r.log).map((e) => e.detail)).toEqual(['sell of 6 above the 0 unreserved of the 12 shares script holds of yes1; 12 reserved by 2 SELL orders sent and not ended']);

    const lines = r.log.map((e) => JSON.stringify(e));
    const rebuilt = PendingOrders.fromEvents(lines.map((l) => JSON.parse(l) as AnyEvent));
    expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(r.system.pending));
    expect(rebuilt.reserved('script', 'yes1').shares.toFixed()).toBe('9');

    const again = await rig();
    const replayed: AnyEvent[] = [];
    for (const e of r.log.slice(again.log.length)) if (e.type === 'timer' || e.type === 'order_update' || e.type === 'exchange_fill') replayed.push(e, ...(await feedTrading(again.system.trading, e)));
    expect([...again.log, ...replayed].map((e) => JSON.stringify(e))).toEqual(lines);
    expect(JSON.stringify(again.system.pending)).toBe(JSON.stringify(r.system.pending));
  });
});
