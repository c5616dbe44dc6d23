import { feedTrading } from './support/feedTrading';
import { parseConfig } from '../actors/config/load';
import type { KeyedMachineStrategy } from '../actors/strategies/keyedMachines';
import { createTradingSystem } from '../actors/system';
import { SimulatedClock, SystemClock } from '../events/clock';
import { makeEvent, type AnyEvent, type BookLevel, type DerivedEvent } from '../events/types';
import { btc15mMarket, crashDelta, END_TS, UP_TOKEN, upBook } from './flash-crash.support';
import * as fifteen from './fifteen-min.support';
import { AnswersLater } from './support/answersLater';


const T0 = END_TS - 600_000;
const lv = (...pairs: [string, string][]): BookLevel[] => pairs.map(([price, size]) => ({ price, size }));
const market = btc15mMarket({ feesEnabled: true, feeSchedule: { rate: '0.07', exponent: 1, takerOnly: true } });

describe('live answers reach the strategy that sent the order', () => {
  const config = parseConfig({ fifteenMin: { enabled: false }, negRisk: { enabled: false }, flashCrash: { stopLossUsd: '1' } });
  const broker = new AnswersLater();
  const system = createTradingSystem(config, { eventClock: new SimulatedClock(0), broker, llm: { mode: 'replay', engine: null } });
  const flash = system.strategies[0] as KeyedMachineStrategy<never>;
  const feed = (e: AnyEvent): DerivedEvent[] => feedTrading(system.trading, e);

  it('counts partial exchange fills up to the order size, then holds; an exchange cancel of the exit is a rejection', async () => {
    await feed(makeEvent('market_snapshot', T0, { source: 'gamma', request: '/markets', markets: [market] }));
    await feed(upBook(market.conditionId, T0 + 1_000));
    const crash = await feed(crashDelta(market.conditionId, T0 + 4_000));
    // Sent, not filled: no fill event derived, the machine waits.
    expect(broker.sent).toHaveLength(1);
    const entry = broker.sent[0];
    expect(crash.filter((e) => e.type === 'fill')).toEqual([]);
    expect(flash.states()[UP_TOKEN]).toBe('entering');

    // The exchange fills it in two pieces; the machine holds only once the whole size is in.
    const half = '3.9';
    const rest = (Number(entry.size) - Number(half)).toFixed(2);
    const fillOf = (ts: number, size: string) => makeEvent('exchange_fill', ts, { orderId: entry.orderId, tokenId: UP_TOKEN, side: 'BUY', price: entry.price, size, fee: '0', tradeId: `t${ts}` });
    await feed(fillOf(T0 + 4_500, half));
    expect(flash.states()[UP_TOKEN]).toBe('entering');
    await feed(fillOf(T0 + 4_600, rest));
    expect(flash.states()[UP_TOKEN]).toBe('holding');
    expect(system.portfolio.shares('flashCrash', UP_TOKEN).toFixed(2)).toBe(entry.size);

    // Max hold: the exit goes out; the exchange cancels it; the strategy hears it as a rejection and holds again.
    const later = T0 + 4_600 + config.flashCrash.maxHoldMs;
    await feed(makeEvent('market_snapshot', later - 500, { source: 'gamma', request: '/markets', markets: [market] })); // fresh data: risk refuses stale
    await feed(makeEvent('timer', later, { name: 'tick' }));
    expect(broker.sent).toHaveLength(2);
    const exit = broker.sent[1];
    expect(exit.side).toBe('SELL');
    expect(flash.states()[UP_TOKEN]).toBe('exiting');
    await feed(makeEvent('order_update', T0 + 4_700 + config.flashCrash.maxHoldMs, { orderId: exit.orderId, strategy: 'flashCrash', tokenId: UP_TOKEN, exchangeOrderId: '0xabc', status: 'cancelled', reason: 'CANCELED', detail: 'cancelled by the venue' }));
    expect(flash.states()[UP_TOKEN]).toBe('holding');
  });
});

describe('a live 15-minute entry the venue never answers', () => {
  const config = parseConfig({ flashCrash: { enabled: false }, negRisk: { enabled: false }, fifteenMin: { useLlm: false, assets: ['BTC'] } });
  const T = fifteen.START + 60_000;
  const window = fifteen.windowMarket();
  const book = (tokenId: string, bid: string, ask: string, ts: number) =>
    makeEvent('book', ts, { source: 'clob_ws', tokenId, market: window.conditionId, bids: lv([bid, '300']), asks: lv([ask, '300']), tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: null });
  const timer = (ts: number) => makeEvent('timer', ts, { name: 'tick' });
  const states = (events: DerivedEvent[]) => events.flatMap((e) => (e.type === 'strategy_state' ? [[e.key, e.from, e.to, e.ts]] : []));
  const inputs: AnyEvent[] = [
    makeEvent('market_snapshot', T - 2_000, { source: 'gamma', request: '/events/slug', markets: [window] }),
    book(fifteen.UP, '0.50', '0.52', T - 1_000),
    book(fifteen.DOWN, '0.48', '0.50', T - 1_000),
    makeEvent('signal', T, { symbol: 'BTCUSDT', tradeId: 1, change: 0.0011, direction: 'bullish', confirmed: true, price: '61556.04', qty: '0.5', avgQty: 0.2 }),
    timer(T + config.fifteenMin.orderTimeoutMs - 1),
    timer(T + config.fifteenMin.orderTimeoutMs),
    // The fill comes after the give-up (the entry: 9.61 shares at 0.52; fee 0.07 x 0.52 x 0.48 x 9.61 = 0.16790592, to 4 decimals).
    makeEvent('exchange_fill', T + 35_000, { orderId: 'fifteenMin:BTC:1', tokenId: fifteen.UP, side: 'BUY', price: '0.52', size: '9.61', fee: '0.1679', tradeId: 't1' }),
    book(fifteen.UP, '0.62', '0.64', T + 40_000),
  ];

  async function run(events: AnyEvent[]) {
    const broker = new AnswersLater();
    const system = createTradingSystem(config, { eventClock: new SimulatedClock(0), broker, llm: { mode: 'replay', engine: null } });
    const out: DerivedEvent[][] = [];
    for (const e of events) out.push(await feedTrading(system.trading, e));
    return { broker, system, out, strategy: system.strategies[0] as KeyedMachineStrategy<never> };
  }

  it('is given up on the first timer orderTimeoutMs after it was sent and cancelled at the venue once; the late fill is held and sold on the usual exits', async () => {
    const { broker, system, out, strategy } = await run(inputs);
    // The give-up asks the venue to cancel the entry: one cancel_intent, through risk to the broker, logged after the state change.
    expect(out[5].map((e) => e.type)).toEqual(['strategy_state', 'cancel_intent']);
    expect(out[5][1]).toMatchObject({ orderId: 'fifteenMin:BTC:1', strategy: 'fifteenMin', reason: 'order_timeout', detail: 'no final answer 30000 ms after it was sent (orderTimeoutMs 30000); 0 of 9.61 filled', ts: T + 30_000 });
    expect(broker.cancelled.map((c) => c.orderId)).toEqual(['fifteenMin:BTC:1']);
    expect(out.flat().filter((e) => e.type === 'cancel_intent')).toHaveLength(1);
    expect(broker.sent.map((o) => [o.orderId, o.side, o.price, o.size])).toEqual([
      ['fifteenMin:BTC:1', 'BUY', '0.52', '9.61'],
      ['fifteenMin:BTC:2', 'SELL', '0.62', '9.28'],
    ]);
    expect(states(out[3])).toEqual([['BTC', 'watching', 'entering', T]]);
    expect(out[4]).toEqual([]);
    expect(states(out[5])).toEqual([['BTC', 'entering', 'cooldown', T + 30_000]]);
    expect(states(out[6])).toEqual([['BTC', 'cooldown', 'holding', T + 35_000]]);
    // The machine holds what the portfolio booked: 9.61 - 0.1679 / 0.52 shares.
    expect(system.portfolio.shares('fifteenMin', fifteen.UP).toFixed()).toBe('9.287115');
    // Take profit at the 0.62 bid: 9.287115 x (0.62 - 0.016492) = 5.6048 on a cost of 0.52 x 9.61 + 0.1679 = 5.1651 (+8.5 %).
    expect(out[7].filter((e) => e.type === 'order_intent')).toMatchObject([{ orderId: 'fifteenMin:BTC:2', side: 'SELL', reason: 'take_profit' }]);
    expect(strategy.states()).toEqual({ BTC: 'exiting' });
  });

  it('derives the same events when the same inputs are replayed', async () => {
    const first = await run(inputs);
    const again = await run(inputs);
    expect(JSON.stringify(again.out)).toBe(JSON.stringify(first.out));
  });
});

describe('a CLOB resolution, named by condition id, settles positions booked under the Gamma id', () => {
  it('pays the winner and writes off the loser, even when only the losing token was held', async () => {
    const config = parseConfig({ fifteenMin: { enabled: false }, negRisk: { enabled: false }, flashCrash: { enabled: false } });
    const system = createTradingSystem(config, { eventClock: new SimulatedClock(0), llm: { mode: 'replay', engine: null } });
    const downToken = market.tokenIds[1];
    await feedTrading(system.trading, makeEvent('market_snapshot', T0, { source: 'gamma', request: '/markets', markets: [market] }));
    // A live fill of the Down token under the Gamma market id (as the intent named it).
    system.portfolio.apply(makeEvent('order_intent', T0 + 1, { orderId: 'flashCrash:down:1', strategy: 'flashCrash', marketId: market.id, tokenId: downToken, outcome: 'Down', side: 'BUY', price: '0.40', size: '10', orderType: 'market', reason: 'test', groupId: null }));
    await feedTrading(system.trading, makeEvent('exchange_fill', T0 + 2, { orderId: 'flashCrash:down:1', tokenId: downToken, side: 'BUY', price: '0.40', size: '10', fee: '0', tradeId: 't1' }));
    expect(system.portfolio.shares('flashCrash', downToken).toString()).toBe('10');
    expect(market.conditionId).not.toBe(market.id);
    await feedTrading(system.trading, makeEvent('market_resolved', END_TS, { market: market.conditionId, winningTokenId: UP_TOKEN, winningOutcome: 'Up' }));
    expect(system.portfolio.positions()).toEqual([]);
    expect(system.portfolio.realised().toString()).toBe('-4');
    expect(system.markets.resolution(market.id)).toBe(UP_TOKEN);
  });
});
