import Big from 'big.js';
import { fifteenMinSchema } from '../actors/config/schema';
import { assetOf, createFifteenMinStrategy, windowSlug } from '../actors/strategies/fifteenMin';
import type { StrategyContext } from '../actors/strategies/types';
import { MARKET_INPUTS } from '../actors/trading';
import { makeEvent, type AnyEvent, type DerivedEvent, type LlmRequestEvent, type OrderIntentEvent } from '../events/types';
import { MarketState } from '../domain/market/marketState';
import { DOWN, END, START, START_S, UP, windowMarket } from './fifteen-min.support';

class Harness {
  markets = new MarketState();
  constructor(public strategy: ReturnType<typeof createFifteenMinStrategy>) {}
  feed(e: AnyEvent): DerivedEvent[] {
    // As the trading system folds them: market inputs only (a signal leaves the markets as they are).
    if (MARKET_INPUTS.has(e.type)) this.markets.apply(e);
    const ctx: StrategyContext = { now: e.ts, markets: this.markets, position: () => '0' };
    return this.strategy.handles.has(e.type) ? this.strategy.react(e, ctx) : [];
  }
}

const T0 = START + 60_000;
const ETH = windowMarket({ id: '1043574', conditionId: '0xeth', slug: `eth-updown-15m-${START_S}`, question: 'Ethereum Up or Down', tokenIds: ['1001', '1002'] });
const snapshot = (ts: number) => makeEvent('market_snapshot', ts, { source: 'gamma', request: '/events/slug', markets: [windowMarket(), ETH] });
const book = (tokenId: string, bid: string, ask: string, ts: number) =>
  makeEvent('book', ts, { source: 'clob_ws', tokenId, market: '0x', bids: [{ price: bid, size: '300' }], asks: [{ price: ask, size: '300' }], tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: null });
const signal = (symbol: string, ts: number, direction: 'bullish' | 'bearish' = 'bullish', confirmed = true) =>
  makeEvent('signal', ts, { symbol, tradeId: 1, change: direction === 'bullish' ? 0.0011 : -0.0011, direction, confirmed, price: '61556.04', qty: '0.5', avgQty: 0.2 });
const orders = (evs: DerivedEvent[]) => evs.filter((e): e is OrderIntentEvent => e.type === 'order_intent');

function ready(config = fifteenMinSchema.parse({ useLlm: false })) {
  const h = new Harness(createFifteenMinStrategy(config));
  h.feed(snapshot(START + 1_000));
  h.feed(book(UP, '0.50', '0.52', START + 2_000));
  h.feed(book(DOWN, '0.48', '0.50', START + 2_000));
  h.feed(book('1001', '0.50', '0.52', START + 2_000));
  h.feed(book('1002', '0.48', '0.50', START + 2_000));
  return h;
}

describe('fifteenMin strategy routing', () => {
  it('names the window market by floor(ts / 900 s) and the asset by its Binance or Chainlink symbol', () => {
    expect(windowSlug('BTC', START + 899_999)).toBe(`btc-updown-15m-${START_S}`);
    expect(windowSlug('BTC', END)).toBe(`btc-updown-15m-${START_S + 900}`);
    expect([assetOf('BTCUSDT'), assetOf('eth/usd'), assetOf('BTCETH')]).toEqual(['BTC', 'ETH', null]);
  });

  it('buys the current window Up token of the signal asset at the live best ask, with a deterministic order id', () => {
    const h = ready();
    const out = h.feed(signal('BTCUSDT', T0));
    expect(orders(out).map((o) => [o.orderId, o.strategy, o.marketId, o.tokenId, o.outcome, o.side, o.price, o.size])).toEqual([
      ['fifteenMin:BTC:1', 'fifteenMin', '1043573', UP, 'Up', 'BUY', '0.52', new Big(5).div('0.52').round(2, Big.roundDown).toFixed()],
    ]);
    expect(out.filter((e) => e.type === 'strategy_state').map((e) => e.type === 'strategy_state' && [e.key, e.from, e.to])).toEqual([['BTC', 'watching', 'entering']]);
    const o = orders(out)[0];
    h.feed(makeEvent('fill', T0 + 1, { orderId: o.orderId, strategy: 'fifteenMin', marketId: o.marketId, tokenId: o.tokenId, side: 'BUY', price: o.price, size: o.size, fee: '0.1679', partial: false }));
    expect(h.strategy.states()).toMatchObject({ BTC: 'holding', ETH: 'watching' });
  });

  it('ignores assets it is not configured for and unconfirmed signals', () => {
    const h = ready(fifteenMinSchema.parse({ useLlm: false, assets: ['ETH'] }));
    expect(orders(h.feed(signal('BTCUSDT', T0)))).toEqual([]);
    expect(orders(h.feed(signal('ETHUSDT', T0 + 1, 'bearish', false)))).toEqual([]);
    expect(h.strategy.snapshotOf('ETH')!.context.counts).toEqual({ signalsSkipped: 0, decisionsSkipped: 0, entries: 0, exits: 0 });
    expect(orders(h.feed(signal('ETHUSDT', T0 + 2, 'bearish')))).toMatchObject([{ tokenId: '1002', outcome: 'Down' }]);
  });

  it('does not step a watching instance for an unconfirmed signal with the quote it keeps, and does for a new quote', () => {
    const h = ready();
    h.feed(signal('BTCUSDT', T0, 'bullish', false));
    const kept = h.strategy.snapshotOf('BTC')!;
    expect(kept.value).toBe('watching');
    expect(kept.context.quote?.up.ask).toBe('0.52');
    // Same markets, same quote object: nothing to do, the snapshot is the very same object.
    expect(h.feed(signal('BTCUSDT', T0 + 1, 'bearish', false))).toEqual([]);
    expect(h.strategy.snapshotOf('BTC')).toBe(kept);
    // A new book makes a new quote: the next unconfirmed signal brings it to the instance.
    h.feed(book(UP, '0.51', '0.53', T0 + 2));
    h.feed(signal('BTCUSDT', T0 + 3, 'bearish', false));
    expect(h.strategy.snapshotOf('BTC')!.context.quote?.up.ask).toBe('0.53');
    // A confirmed signal with the same quote is stepped, and trades.
    expect(orders(h.feed(signal('BTCUSDT', T0 + 4)))).toMatchObject([{ tokenId: UP, outcome: 'Up', price: '0.53' }]);
  });

  it('counts open positions over all assets against maxPositions', () => {
    const h = ready(fifteenMinSchema.parse({ useLlm: false, maxPositions: 1 }));
    expect(orders(h.feed(signal('BTCUSDT', T0)))).toHaveLength(1);
    expect(orders(h.feed(signal('ETHUSDT', T0 + 1)))).toEqual([]);
    expect(h.strategy.snapshotOf('ETH')!.context.lastSkip).toBe('signal: max_positions');
  });

  it('never trades when the book feed is stale', () => {
    const h = ready();
    h.feed(makeEvent('feed_status', T0 - 1, { feed: 'clob_ws', status: 'stale', detail: 'silent' }));
    expect(orders(h.feed(signal('BTCUSDT', T0)))).toEqual([]);
  });

  it('keeps the Chainlink start price from oracle_price events', () => {
    const h = ready();
    h.feed(makeEvent('oracle_price', START - 400, { source: 'chainlink', symbol: 'btc/usd', value: '87000.5' }));
    h.feed(makeEvent('oracle_price', START + 600, { source: 'chainlink', symbol: 'btc/usd', value: '87003' }));
    expect(h.strategy.snapshotOf('BTC')!.context.oracle.startPrice).toBe('87000.5');
  });

  it('with useLlm asks through an llm_request and acts on the decision routed back by key', () => {
    const config = fifteenMinSchema.parse({ useLlm: true });
    expect(() => createFifteenMinStrategy(config)).toThrow(/portfolio/);
    const h = new Harness(createFifteenMinStrategy(config, { portfolio: () => ({ balance: '1000', dailyPnl: '0' }) }));
    h.feed(snapshot(START + 1_000));
    h.feed(book(UP, '0.50', '0.52', START + 2_000));
    h.feed(book(DOWN, '0.48', '0.50', START + 2_000));
    const asked = h.feed(signal('BTCUSDT', T0)).filter((e): e is LlmRequestEvent => e.type === 'llm_request');
    expect(asked.map((r) => [r.strategy, r.key, r.opportunity, r.ruleAction, r.context.balance])).toEqual([['fifteenMin', 'BTC|directional_trend|0.52|0.50', 'directional_trend', 'buy_yes', '1000']]);
    expect(h.strategy.states()).toMatchObject({ BTC: 'deciding' });
    const decision = (strategy: string) =>
      makeEvent('decision', T0 + 900, { strategy, key: asked[0].key, action: 'buy_no', confidence: 71, source: 'llm', executed: true, reason: 'buy_no at confidence 71' });
    expect(orders(h.feed(decision('flashCrash')))).toEqual([]);
    expect(orders(h.feed(decision('fifteenMin')))).toMatchObject([{ orderId: 'fifteenMin:BTC:1', tokenId: DOWN, side: 'BUY', price: '0.5' }]);
  });

  it('buys both sides from live books when they sum with fees under 1 - minEdge', () => {
    const h = ready();
    h.feed(book(UP, '0.45', '0.47', T0));
    const out = orders(h.feed(book(DOWN, '0.46', '0.48', T0 + 1)));
    expect(out.map((o) => [o.tokenId, o.price, o.orderType])).toEqual([
      [UP, '0.47', 'fok'],
      [DOWN, '0.48', 'fok'],
    ]);
    expect(new Set(out.map((o) => o.groupId)).size).toBe(1);
  });

  it('hears a book that changes within one ms: the quote kept for the instant is built again when the markets change', () => {
    const h = ready();
    const upAsk = () => h.strategy.snapshotOf('BTC')?.context.quote?.up.ask;
    h.feed(book(UP, '0.50', '0.52', T0));
    expect(upAsk()).toBe('0.52');
    const kept = h.strategy.snapshotOf('BTC')?.context.quote;
    // A timer of the same ms says the same: the machine keeps the very quote it has.
    h.feed(makeEvent('timer', T0, { name: 'scan' }));
    expect(h.strategy.snapshotOf('BTC')?.context.quote).toBe(kept);
    h.feed(book(UP, '0.50', '0.51', T0));
    expect(upAsk()).toBe('0.51');
    // A book of the other asset's window wakes only that asset.
    h.feed(book('1001', '0.50', '0.55', T0));
    expect(h.strategy.snapshotOf('ETH')?.context.quote?.up.ask).toBe('0.55');
    expect(upAsk()).toBe('0.51');
  });
});

