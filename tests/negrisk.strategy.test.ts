import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Big from 'big.js';
import { negRiskSchema } from '../actors/config/schema';
import { createNegRiskStrategy, negRiskGroups } from '../actors/strategies/negRisk';
import type { StrategyContext } from '../actors/strategies/types';
import { decodeGammaEvent, decodeGammaMarkets } from '../actors/venues/polymarket/gammaParse';
import { makeEvent, type AnyEvent, type DerivedEvent, type MarketInfo, type OrderIntentEvent } from '../events/types';
import { MarketState } from '../domain/market/marketState';
import { FIXTURES, describeWithShared } from './support/shared';

type Raw = Record<string, unknown>;
const RAW: Raw[] = JSON.parse(readFileSync(join(FIXTURES, 'polymarket/twenty_markets.json'), 'utf8'));
const byId = (id: string) => ({ ...RAW.find((m) => m.id === id)! });

/** Three real negRisk legs (different events in the recording) put under the first one's negRiskMarketID, with a real fee schedule. */
const NR = '0xfee7d4c13ac7456879c63460d02e57844b349d62965c0436d4ac69109e148800';
const SET_IDS = ['500111', '503484', '501366'];
function assembled(): Raw[] {
  return SET_IDS.map((id) => ({ ...byId(id), negRiskMarketID: NR, feesEnabled: true, feeSchedule: { rate: 0.04, exponent: 1, takerOnly: true, rebateRate: 0.25 } }));
}
function snapshotMarkets(set: Raw[]): MarketInfo[] {
  const others = RAW.filter((m) => !SET_IDS.includes(m.id as string));
  return decodeGammaMarkets([...set, ...others], { file: 'twenty_markets.json' });
}

class Harness {
  markets = new MarketState();
  out: DerivedEvent[] = [];
  constructor(public strategy = createNegRiskStrategy(negRiskSchema.parse({}))) {}
  feed(e: AnyEvent): DerivedEvent[] {
    this.markets.apply(e);
    const ctx: StrategyContext = { now: e.ts, markets: this.markets, position: () => '0' };
    const got = this.strategy.handles.has(e.type) ? this.strategy.react(e, ctx) : [];
    this.out.push(...got);
    return got;
  }
}

const T = 1721064362000;
const snapshot = (markets: MarketInfo[], ts = T) => makeEvent('market_snapshot', ts, { source: 'gamma', request: '/markets?closed=false&limit=100', markets });
const book = (tokenId: string, ask: string, size: string, bid: string, ts: number) =>
  makeEvent('book', ts, { source: 'clob_ws', tokenId, market: '0x', bids: [{ price: '0.01', size: '1000' }, { price: bid, size: '50' }], asks: [{ price: '0.99', size: '5000' }, { price: ask, size }], tickSize: '0.01', minOrderSize: '5', negRisk: true, hash: null });
const orders = (evs: DerivedEvent[]) => evs.filter((e): e is OrderIntentEvent => e.type === 'order_intent');

describe('negRisk strategy routing', () => {
  const markets = snapshotMarkets(assembled());
  const yes = (id: string) => markets.find((m) => m.id === id)!.tokenIds[0];

  it('groups by negRiskMarketID, not by condition id, and starts one machine per set of two legs or more', () => {
    const groups = negRiskGroups(markets);
    expect(groups.get(NR)!.map((m) => m.id)).toEqual(SET_IDS);
    expect(new Set(groups.get(NR)!.map((m) => m.conditionId)).size).toBe(3);
    const h = new Harness();
    h.feed(snapshot(markets));
    // The nine other negRisk markets are single legs of their events: no machine for them.
    expect(h.strategy.states()).toEqual({ [NR]: 'watching' });
  });

  it('buys the whole set from live books, with fees from the schedule, all legs under one groupId', () => {
    const h = new Harness();
    h.feed(snapshot(markets));
    const asks = ['0.3', '0.33', '0.32'];
    const sizes = ['200', '180', '400'];
    expect(orders(h.feed(book(yes('500111'), asks[0], sizes[0], '0.28', T + 1)))).toEqual([]);
    expect(orders(h.feed(book(yes('503484'), asks[1], sizes[1], '0.31', T + 2)))).toEqual([]);
    const placed = orders(h.feed(book(yes('501366'), asks[2], sizes[2], '0.30', T + 3)));
    const perSet = asks.reduce((a, p) => a.plus(p).plus(new Big('0.04').times(p).times(new Big(1).minus(p))), new Big(0));
    const shares = new Big(5).div(perSet).round(2, Big.roundDown).toFixed();
    expect(placed.map((o) => [o.orderId, o.marketId, o.tokenId, o.side, o.price, o.size, o.orderType, o.groupId])).toEqual(
      SET_IDS.map((id, i) => [`negRisk:${NR}:${i + 1}`, id, yes(id), 'BUY', asks[i], shares, 'fok', `negRisk:${NR}:${T + 3}`]),
    );
    expect(h.strategy.states()).toEqual({ [NR]: 'entering' });

    placed.forEach((o, i) => h.feed(makeEvent('fill', T + 4 + i, { orderId: o.orderId, strategy: 'negRisk', marketId: o.marketId, tokenId: o.tokenId, side: 'BUY', price: o.price, size: o.size, fee: '0', partial: false })));
    expect(h.strategy.states()).toEqual({ [NR]: 'holding' });
    const winner = markets.find((m) => m.id === '503484')!;
    const settled = h.feed(makeEvent('market_resolved', T + 10, { market: winner.conditionId, winningTokenId: winner.tokenIds[0], winningOutcome: 'Yes' }));
    expect(settled.filter((e) => e.type === 'strategy_state').map((e) => e.type === 'strategy_state' && [e.key, e.to])).toEqual([[NR, 'settled']]);
    // A settled set is a final state: the instance is dropped, so memory does not grow with past events.
    expect(h.strategy.states()).toEqual({});
  });

  it('unwinds a set whose last leg the venue never answers, on the first timer orderTimeoutMs after it was sent, and sells that leg when it fills late', () => {
    const timeout = negRiskSchema.parse({}).orderTimeoutMs;
    const h = new Harness();
    h.feed(snapshot(markets));
    const bids = ['0.28', '0.31', '0.3'];
    SET_IDS.forEach((id, i) => h.feed(book(yes(id), ['0.3', '0.33', '0.32'][i], '400', bids[i], T + 1 + i)));
    const placed = orders(h.out);
    expect(placed.map((o) => o.orderId)).toEqual([1, 2, 3].map((n) => `negRisk:${NR}:${n}`));
    const sent = T + 3;
    // Live answers as the trading reactor hands them over (asStrategyAnswer): two legs fill, the third never answers.
    const liveFill = (o: OrderIntentEvent, side: 'BUY' | 'SELL', ts: number) =>
      makeEvent('fill', ts, { orderId: o.orderId, strategy: 'negRisk', marketId: '', tokenId: o.tokenId, side, price: o.price, size: o.size, fee: '0', partial: false });
    h.feed(liveFill(placed[0], 'BUY', sent + 400));
    h.feed(liveFill(placed[1], 'BUY', sent + 500));
    expect(h.feed(makeEvent('timer', sent + timeout - 1, { name: 'tick' }))).toEqual([]);
    const out = h.feed(makeEvent('timer', sent + timeout, { name: 'tick' }));
    expect(out.filter((e) => e.type === 'strategy_state').map((e) => e.type === 'strategy_state' && [e.key, e.from, e.to, e.ts])).toEqual([[NR, 'entering', 'unwinding', sent + timeout]]);
    const unwind = orders(out);
    expect(unwind.map((o) => [o.orderId, o.tokenId, o.side, o.price, o.size])).toEqual([0, 1].map((i) => [`negRisk:${NR}:${4 + i}`, placed[i].tokenId, 'SELL', bids[i], placed[i].size]));

    // The third leg fills after all: the wrapper still routes it to the machine, which sells it back too.
    h.feed(liveFill(placed[2], 'BUY', sent + timeout + 100));
    h.feed(liveFill(unwind[0], 'SELL', sent + timeout + 200));
    h.feed(liveFill(unwind[1], 'SELL', sent + timeout + 300));
    expect(h.strategy.states()).toEqual({ [NR]: 'unwindRetry' });
    const retry = orders(h.feed(makeEvent('timer', sent + timeout + 1_000, { name: 'tick' })));
    expect(retry.map((o) => [o.orderId, o.tokenId, o.side, o.price, o.size])).toEqual([[`negRisk:${NR}:6`, placed[2].tokenId, 'SELL', bids[2], placed[2].size]]);
    h.feed(liveFill(retry[0], 'SELL', sent + timeout + 1_100));
    expect(h.strategy.states()).toEqual({ [NR]: 'cooldown' });
  });

  it('a set that settled and comes back (a new instance for the same group) matches its fills to its orders', () => {
    const h = new Harness();
    const asks = ['0.3', '0.33', '0.32'];
    const buySet = (ts: number) => {
      h.feed(snapshot(markets, ts));
      SET_IDS.forEach((id, i) => h.feed(book(yes(id), asks[i], '400', '0.2', ts + 1 + i)));
      return orders(h.out.splice(0));
    };
    const fillAll = (placed: OrderIntentEvent[], ts: number) =>
      placed.forEach((o, i) => h.feed(makeEvent('fill', ts + i, { orderId: o.orderId, strategy: 'negRisk', marketId: o.marketId, tokenId: o.tokenId, side: 'BUY', price: o.price, size: o.size, fee: '0', partial: false })));
    const first = buySet(T);
    expect(first.map((o) => o.orderId)).toEqual([1, 2, 3].map((n) => `negRisk:${NR}:${n}`));
    fillAll(first, T + 10);
    const winner = markets.find((m) => m.id === '503484')!;
    h.feed(makeEvent('market_resolved', T + 20, { market: winner.conditionId, winningTokenId: winner.tokenIds[0], winningOutcome: 'Yes' }));
    expect(h.strategy.states()).toEqual({});

    // The group is listed again (a new instance): its order ids go on from the ended one's, and its fills answer them.
    const second = buySet(T + 1_000);
    expect(second.map((o) => o.orderId)).toEqual([4, 5, 6].map((n) => `negRisk:${NR}:${n}`));
    expect(h.strategy.states()).toEqual({ [NR]: 'entering' });
    fillAll(second, T + 1_010);
    expect(h.strategy.states()).toEqual({ [NR]: 'holding' });
    const held = h.strategy.snapshotOf(NR)!.context.held;
    expect(held.map((x) => [x.tokenId, x.shares])).toEqual(second.map((o) => [o.tokenId, o.size]));
  });

  it('does not trade a stale book', () => {
    const h = new Harness();
    h.feed(snapshot(markets));
    h.feed(book(yes('500111'), '0.30', '200', '0.28', T + 1));
    h.feed(book(yes('503484'), '0.33', '180', '0.31', T + 2));
    h.feed(makeEvent('feed_status', T + 3, { feed: 'clob_ws', status: 'stale', detail: 'silent 15 s' }));
    expect(orders(h.feed(snapshot(markets, T + 4)))).toEqual([]);
    expect(h.strategy.snapshotOf(NR)!.context.lastSkip).toBe('stale_book');
  });

  it('skips an augmented event', () => {
    const aug = snapshotMarkets(assembled().map((m) => ({ ...m, events: [{ ...(m.events as Raw[])[0], negRiskAugmented: true }] })));
    const h = new Harness();
    h.feed(snapshot(aug));
    SET_IDS.forEach((id, i) => h.feed(book(aug.find((m) => m.id === id)!.tokenIds[0], ['0.30', '0.33', '0.32'][i], '400', '0.2', T + 1 + i)));
    expect(orders(h.out)).toEqual([]);
    expect(h.strategy.snapshotOf(NR)!.context.lastSkip).toBe('augmented');
  });
});

describeWithShared('negRisk strategy on a real trimmed negRisk event', ['polymarket/nautilus_trader/gamma/gamma_event.json'], ([file]) => {
  const load = () => decodeGammaEvent(JSON.parse(readFileSync(file, 'utf8')), { file });
  const feedLegs = (legs: MarketInfo[]) => {
    const h = new Harness();
    h.feed(snapshot(legs));
    // Live books at the recorded best asks (0.011 and 0.015), deep enough for the liquidity rule.
    legs.forEach((m, i) => h.feed(book(m.tokenIds[0], m.bestAsk!, '100000', m.bestBid!, T + 1 + i)));
    return h;
  };

  it('skips the real event: it is negRiskAugmented', () => {
    const legs = load();
    expect(legs.map((m) => m.negRiskMarketId)).toEqual([legs[0].negRiskMarketId, legs[0].negRiskMarketId]);
    expect(legs.every((m) => m.negRiskAugmented)).toBe(true);
    const h = feedLegs(legs);
    expect(orders(h.out)).toEqual([]);
    expect(h.strategy.snapshotOf(legs[0].negRiskMarketId!)!.context.lastSkip).toBe('augmented');
  });

  it('even without the flag, two legs summing far under 1 are refused as an incomplete set', () => {
    const legs = load().map((m) => ({ ...m, negRiskAugmented: false }));
    expect(new Big(legs[0].bestAsk!).plus(legs[1].bestAsk!).toFixed()).toBe('0.026');
    const h = feedLegs(legs);
    expect(orders(h.out)).toEqual([]);
    expect(h.strategy.snapshotOf(legs[0].negRiskMarketId!)!.context.lastSkip).toBe('implausible_edge');
  });
});
