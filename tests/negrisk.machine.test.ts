import Big from 'big.js';
import { createActor } from 'xstate';
import { handOrderIds } from './support/handOrderIds';
import { negRiskSchema } from '../actors/config/schema';
import { makeEvent, type FillEvent } from '../events/types';
import { evaluateSet, negRiskMachine, type NegRiskEvent, type NegRiskLegQuote, type NegRiskParams, type NegRiskSetQuote } from '../machines/negRisk';
import type { OrderIntentOutput } from '../machines/orderLegs';

/**
 * Three YES legs taken from real negRisk markets of Polymarket/agents' twenty_markets.json (ids, token
 * ids, titles), put under one negRiskMarketId: no recording holds a complete multi-outcome event.
 */
const NR = '0xfee7d4c13ac7456879c63460d02e57844b349d62965c0436d4ac69109e148800';
const RATE = '0.04';
const LEGS: Pick<NegRiskLegQuote, 'marketId' | 'tokenId' | 'title'>[] = [
  { marketId: '500111', tokenId: '34417037318407896110698328126844386830614818689622700050432066396986290085785', title: 'Democrat' },
  { marketId: '503484', tokenId: '75642886339673161087363771271973472075699119451740064587446689133000814834047', title: 'Brian Kim' },
  { marketId: '501366', tokenId: '20665246231182136490547525101133693884486253989349567212810668898617655476432', title: '>25' },
];
const fee = (p: string) => new Big(RATE).times(p).times(new Big(1).minus(p));

function leg(i: number, ask: string | null, askSize: string | null, bid: string | null = '0.2', over: Partial<NegRiskLegQuote> = {}): NegRiskLegQuote {
  return { ...LEGS[i], outcome: 'Yes', active: true, closed: false, acceptingOrders: true, augmented: false, stale: false, ask, askSize, bid, buyFeePerShare: ask === null ? '0' : fee(ask).toFixed(), minSize: '5', ...over };
}

const ASKS = ['0.30', '0.33', '0.32'];
const SIZES = ['200', '180', '400'];
const goodSet = (over: Partial<NegRiskLegQuote>[] = []): NegRiskSetQuote => ({ negRiskMarketId: NR, legs: ASKS.map((a, i) => leg(i, a, SIZES[i], '0.2', over[i])) });

function params(over: Partial<NegRiskParams> = {}): NegRiskParams {
  const c = negRiskSchema.parse({});
  return { negRiskMarketId: NR, strategy: 'negRisk', minEdge: c.minEdge, minDeviation: c.minDeviation, maxEdge: c.maxEdge, minLegLiquidityUsd: c.minLegLiquidityUsd, maxSetUsd: c.maxSetUsd, cooldownMs: c.cooldownMs, exitRetryMs: c.exitRetryMs, orderTimeoutMs: c.orderTimeoutMs, ...over };
}

function run(p = params()) {
  const actor = handOrderIds(createActor(negRiskMachine, { input: p }), 'negRisk', NR);
  const out: OrderIntentOutput[] = [];
  actor.on('*', (e) => out.push(e as OrderIntentOutput));
  actor.start();
  return {
    actor,
    send(e: NegRiskEvent) {
      const from = out.length;
      actor.send(e);
      return out.slice(from);
    },
    state: () => actor.getSnapshot().value as string,
    ctx: () => actor.getSnapshot().context,
  };
}

const T = 1721064362000; // 2024-07-15 17:26 UTC, when the markets were captured
const orderId = (n: number) => `negRisk:${NR}:${n}`;
function fillOf(n: number, i: number, side: 'BUY' | 'SELL', price: string, size: string, ts: number, partial = false): FillEvent {
  return makeEvent('fill', ts, { orderId: orderId(n), strategy: 'negRisk', marketId: LEGS[i].marketId, tokenId: LEGS[i].tokenId, side, price, size, fee: '0', partial });
}
const reject = (n: number, ts: number) => makeEvent('risk_rejection', ts, { orderId: orderId(n), strategy: 'negRisk', reason: 'max_heat', detail: 'test' });

describe('negRisk: evaluating a set', () => {
  it('finds the opportunity with the sum, fees, edge and size computed from the legs', () => {
    const sum = ASKS.reduce((a, p) => a.plus(p), new Big(0));
    const fees = ASKS.reduce((a, p) => a.plus(fee(p)), new Big(0));
    const perSet = sum.plus(fees);
    // $5 of sets, within the thinnest leg (180 shares), to 2 decimals.
    const shares = new Big(5).div(perSet).round(2, Big.roundDown);
    const ev = evaluateSet(params(), goodSet());
    expect(ev).toEqual({
      ok: true,
      opportunity: {
        sumAsk: sum.toFixed(),
        feesPerSet: fees.toFixed(),
        deviation: new Big(1).minus(sum).toFixed(),
        edge: new Big(1).minus(perSet).toFixed(),
        shares: shares.toFixed(),
        costUsd: shares.times(perSet).toFixed(),
        expectedProfitUsd: shares.times(new Big(1).minus(perSet)).toFixed(),
        legs: LEGS.map((l, i) => ({ marketId: l.marketId, tokenId: l.tokenId, outcome: 'Yes', price: ASKS[i] })),
      },
    });
    expect(shares.toFixed()).toBe('5.12');
  });

  it('is limited by the thinnest leg depth', () => {
    const ev = evaluateSet(params({ maxSetUsd: '50', minLegLiquidityUsd: '1' }), goodSet([{}, { askSize: '20.5' }, {}]));
    expect(ev.ok && ev.opportunity.shares).toBe('20.5');
  });

  it.each([
    ['one leg', { negRiskMarketId: NR, legs: [leg(0, '0.3', '200')] }, 'too_few_legs'],
    ['an augmented event', goodSet([{ augmented: true }]), 'augmented'],
    ['an "Other" outcome', goodSet([{}, { title: 'Other' }]), 'placeholder_outcome'],
    ['a placeholder person', goodSet([{}, {}, { title: 'Person D' }]), 'placeholder_outcome'],
    ['an inactive leg', goodSet([{ active: false }]), 'leg_not_tradable'],
    ['a closed leg', goodSet([{}, { closed: true }]), 'leg_not_tradable'],
    ['a leg not accepting orders', goodSet([{}, {}, { acceptingOrders: false }]), 'leg_not_tradable'],
    ['a stale book', goodSet([{}, { stale: true }]), 'stale_book'],
    ['a leg without an ask', goodSet([{ ask: null }]), 'missing_ask'],
    ['an unknown fee schedule', goodSet([{ buyFeePerShare: null }]), 'fee_unknown'],
    ['a leg without a live book', goodSet([{}, { askSize: null }]), 'no_book_depth'],
    ['a leg under $50 at its ask', goodSet([{}, { askSize: '150' }]), 'thin_leg'],
  ])('skips a set with %s', (_name, set, reason) => {
    expect(evaluateSet(params(), set)).toEqual({ ok: false, reason });
  });

  it('needs the deviation before fees and the edge after fees', () => {
    // 0.985 sum: deviation 0.015 < 0.02.
    expect(evaluateSet(params(), { negRiskMarketId: NR, legs: [leg(0, '0.30', '500'), leg(1, '0.335', '500'), leg(2, '0.35', '500')] })).toEqual({ ok: false, reason: 'deviation_below_min' });
    // 0.975 sum: deviation 0.025, but fees take 0.027...: edge below 0.005.
    const asks = ['0.30', '0.325', '0.35'];
    const edge = new Big(1).minus(asks.reduce((a, p) => a.plus(p).plus(fee(p)), new Big(0)));
    expect(edge.lt(0.005)).toBe(true);
    expect(evaluateSet(params(), { negRiskMarketId: NR, legs: asks.map((a, i) => leg(i, a, '500')) })).toEqual({ ok: false, reason: 'edge_below_min' });
  });

  it('treats an edge above maxEdge as a set with outcomes missing', () => {
    expect(evaluateSet(params(), { negRiskMarketId: NR, legs: [leg(0, '0.30', '500'), leg(1, '0.33', '500')] })).toEqual({ ok: false, reason: 'implausible_edge' });
  });
});

describe('negRisk machine', () => {
  function enter() {
    const m = run();
    const orders = m.send({ type: 'QUOTE', ts: T, set: goodSet() });
    return { m, orders };
  }

  it('buys every YES leg at its ask under one groupId, fill-or-kill', () => {
    const { m, orders } = enter();
    expect(m.state()).toBe('entering');
    expect(orders).toEqual(
      LEGS.map((l, i) => ({ type: 'order_intent', orderId: `negRisk:${NR}:${i + 1}`, marketId: l.marketId, tokenId: l.tokenId, outcome: 'Yes', side: 'BUY', price: ASKS[i], size: '5.12', orderType: 'fok', reason: expect.stringContaining('negRisk set'), groupId: `negRisk:${NR}:${T}` })),
    );
  });

  it('holds a complete set to resolution', () => {
    const { m } = enter();
    [0, 1, 2].forEach((i) => m.send({ type: 'FILL', ts: T + 1 + i, fill: fillOf(i + 1, i, 'BUY', ASKS[i], '5.12', T + 1 + i) }));
    expect(m.state()).toBe('holding');
    expect(m.send({ type: 'QUOTE', ts: T + 10, set: goodSet() })).toEqual([]);
    m.send({ type: 'RESOLVED', ts: T + 100, marketId: '999' });
    expect(m.state()).toBe('holding');
    m.send({ type: 'RESOLVED', ts: T + 200, marketId: '503484' });
    expect(m.state()).toBe('settled');
  });

  it('unwinds the filled legs at their bids when one leg is rejected, then cools down', () => {
    const { m } = enter();
    m.send({ type: 'FILL', ts: T + 1, fill: fillOf(1, 0, 'BUY', '0.30', '5.12', T + 1) });
    m.send({ type: 'FILL', ts: T + 2, fill: fillOf(2, 1, 'BUY', '0.33', '5.12', T + 2) });
    const sells = m.send({ type: 'REJECTED', ts: T + 3, rejection: reject(3, T + 3) });
    expect(m.state()).toBe('unwinding');
    expect(sells).toEqual([0, 1].map((i) => ({ type: 'order_intent', orderId: `negRisk:${NR}:${4 + i}`, marketId: LEGS[i].marketId, tokenId: LEGS[i].tokenId, outcome: 'Yes', side: 'SELL', price: '0.2', size: '5.12', orderType: 'market', reason: 'negRisk unwind: set incomplete', groupId: null })));
    m.send({ type: 'FILL', ts: T + 4, fill: fillOf(4, 0, 'SELL', '0.2', '5.12', T + 4) });
    m.send({ type: 'FILL', ts: T + 5, fill: fillOf(5, 1, 'SELL', '0.2', '5.12', T + 5) });
    expect(m.state()).toBe('cooldown');
    expect(m.send({ type: 'QUOTE', ts: T + 60_004, set: goodSet() })).toEqual([]);
    expect(m.send({ type: 'QUOTE', ts: T + 60_005, set: goodSet() })).toHaveLength(3);
  });

  it('unwinds a partly filled set (a leg filled short)', () => {
    const { m } = enter();
    m.send({ type: 'FILL', ts: T + 1, fill: fillOf(1, 0, 'BUY', '0.30', '5.12', T + 1) });
    m.send({ type: 'FILL', ts: T + 2, fill: fillOf(2, 1, 'BUY', '0.33', '2', T + 2, true) });
    const sells = m.send({ type: 'FILL', ts: T + 3, fill: fillOf(3, 2, 'BUY', '0.32', '5.12', T + 3) });
    expect(sells.map((s) => [s.tokenId, s.side, s.size])).toEqual([
      [LEGS[0].tokenId, 'SELL', '5.12'],
      [LEGS[1].tokenId, 'SELL', '2'],
      [LEGS[2].tokenId, 'SELL', '5.12'],
    ]);
  });

  it('cools down without orders when nothing filled', () => {
    const { m } = enter();
    [1, 2, 3].forEach((n) => m.send({ type: 'REJECTED', ts: T + n, rejection: reject(n, T + n) }));
    expect(m.state()).toBe('cooldown');
  });

  it('retries a rejected unwind sell after exitRetryMs, and waits for a bid', () => {
    const { m } = enter();
    m.send({ type: 'FILL', ts: T + 1, fill: fillOf(1, 0, 'BUY', '0.30', '5.12', T + 1) });
    m.send({ type: 'REJECTED', ts: T + 2, rejection: reject(2, T + 2) });
    m.send({ type: 'REJECTED', ts: T + 3, rejection: reject(3, T + 3) }); // sell 4 goes out
    m.send({ type: 'REJECTED', ts: T + 4, rejection: reject(4, T + 4) });
    expect(m.state()).toBe('unwindRetry');
    expect(m.send({ type: 'QUOTE', ts: T + 500, set: goodSet() })).toEqual([]);
    expect(m.send({ type: 'QUOTE', ts: T + 1_010, set: goodSet([{ bid: null }]) })).toEqual([]);
    expect(m.send({ type: 'QUOTE', ts: T + 1_020, set: goodSet([{ bid: '0.25' }]) })).toMatchObject([{ side: 'SELL', tokenId: LEGS[0].tokenId, price: '0.25', size: '5.12' }]);
    expect(m.state()).toBe('unwinding');
  });

  it('is deterministic and continues identically after persist -> restore', () => {
    const events: NegRiskEvent[] = [
      { type: 'QUOTE', ts: T - 1, set: goodSet([{}, { askSize: null }]) },
      { type: 'QUOTE', ts: T, set: goodSet() },
      { type: 'FILL', ts: T + 1, fill: fillOf(1, 0, 'BUY', '0.30', '5.12', T + 1) },
      { type: 'FILL', ts: T + 2, fill: fillOf(2, 1, 'BUY', '0.33', '5.12', T + 2) },
      { type: 'FILL', ts: T + 3, fill: fillOf(3, 2, 'BUY', '0.32', '1', T + 3, true) },
      { type: 'FILL', ts: T + 4, fill: fillOf(4, 0, 'SELL', '0.2', '5.12', T + 4) },
      { type: 'REJECTED', ts: T + 5, rejection: reject(5, T + 5) },
      { type: 'FILL', ts: T + 6, fill: fillOf(6, 2, 'SELL', '0.2', '1', T + 6) },
      { type: 'TICK', ts: T + 2_000, set: null },
      { type: 'FILL', ts: T + 2_001, fill: fillOf(7, 1, 'SELL', '0.2', '5.12', T + 2_001) },
    ];
    const all = (m: ReturnType<typeof run>, evs: NegRiskEvent[]) => evs.map((e) => m.send(e));
    const a = run();
    const outA = all(a, events);
    const outB = all(run(), events);
    expect(JSON.stringify(outA)).toBe(JSON.stringify(outB));
    expect(outA.flat().map((o) => o.side)).toEqual(['BUY', 'BUY', 'BUY', 'SELL', 'SELL', 'SELL', 'SELL']);
    expect(a.state()).toBe('cooldown');

    const first = run();
    const head = all(first, events.slice(0, 5));
    const restored = handOrderIds(createActor(negRiskMachine, { input: params(), snapshot: JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot())) }), 'negRisk', NR, { [NR]: head.flat().length });
    const out: OrderIntentOutput[] = [];
    restored.on('*', (e) => out.push(e as OrderIntentOutput));
    restored.start();
    const tail = events.slice(5).map((e) => {
      const from = out.length;
      restored.send(e);
      return out.slice(from);
    });
    expect(JSON.stringify([...head, ...tail])).toBe(JSON.stringify(outA));
    expect(restored.getSnapshot().context).toEqual(a.ctx());
  });
});

describe('negRisk: legs with no answer (orderTimeoutMs)', () => {
  const TIMEOUT = params().orderTimeoutMs;
  const sell = (n: number, i: number, size: string, price = '0.2') => ({ type: 'order_intent', orderId: `negRisk:${NR}:${n}`, marketId: LEGS[i].marketId, tokenId: LEGS[i].tokenId, outcome: 'Yes', side: 'SELL', price, size, orderType: 'market', reason: 'negRisk unwind: set incomplete', groupId: null });

  function enterAndFill(legs: number[]) {
    const m = run();
    m.send({ type: 'QUOTE', ts: T, set: goodSet() });
    legs.forEach((i) => m.send({ type: 'FILL', ts: T + 1 + i, fill: fillOf(i + 1, i, 'BUY', ASKS[i], '5.12', T + 1 + i) }));
    return m;
  }

  it('unwinds the filled legs when the last one is still unanswered orderTimeoutMs after the set was sent', () => {
    expect(TIMEOUT).toBe(30_000);
    const m = enterAndFill([0, 1]);
    expect(m.send({ type: 'TICK', ts: T + TIMEOUT - 1, set: goodSet() })).toEqual([]);
    expect(m.state()).toBe('entering');
    const sells = m.send({ type: 'TICK', ts: T + TIMEOUT, set: goodSet() });
    expect(sells).toEqual([sell(4, 0, '5.12'), sell(5, 1, '5.12')]);
    expect(m.state()).toBe('unwinding');
    expect(m.ctx().counts).toEqual({ sets: 1, unwinds: 1 });
    expect(m.ctx().late).toEqual([{ orderId: orderId(3), marketId: LEGS[2].marketId, tokenId: LEGS[2].tokenId, outcome: 'Yes', side: 'BUY', requested: '5.12', open: '5.12' }]);
  });

  it('sells back what the unanswered leg buys late, after the unwind under way', () => {
    const m = enterAndFill([0, 1]);
    m.send({ type: 'TICK', ts: T + TIMEOUT, set: goodSet() });
    m.send({ type: 'FILL', ts: T + TIMEOUT + 1, fill: fillOf(3, 2, 'BUY', '0.32', '5.12', T + TIMEOUT + 1) });
    expect(m.ctx().late).toEqual([]);
    expect(m.ctx().unwind?.toSell.map((s) => [s.tokenId, s.shares])).toEqual([0, 1, 2].map((i) => [LEGS[i].tokenId, '5.12']));
    m.send({ type: 'FILL', ts: T + TIMEOUT + 2, fill: fillOf(4, 0, 'SELL', '0.2', '5.12', T + TIMEOUT + 2) });
    m.send({ type: 'FILL', ts: T + TIMEOUT + 3, fill: fillOf(5, 1, 'SELL', '0.2', '5.12', T + TIMEOUT + 3) });
    expect(m.state()).toBe('unwindRetry');
    expect(m.send({ type: 'QUOTE', ts: T + TIMEOUT + 999, set: goodSet() })).toEqual([]);
    expect(m.send({ type: 'QUOTE', ts: T + TIMEOUT + 1_000, set: goodSet() })).toEqual([sell(6, 2, '5.12')]);
    m.send({ type: 'FILL', ts: T + TIMEOUT + 1_001, fill: fillOf(6, 2, 'SELL', '0.2', '5.12', T + TIMEOUT + 1_001) });
    expect(m.state()).toBe('cooldown');
  });

  it('cools down when no leg answered, and unwinds a leg that fills after that', () => {
    const m = enterAndFill([]);
    m.send({ type: 'TICK', ts: T + TIMEOUT, set: goodSet() });
    expect(m.state()).toBe('cooldown');
    expect(m.ctx().late.map((o) => o.orderId)).toEqual([orderId(1), orderId(2), orderId(3)]);
    const sells = m.send({ type: 'FILL', ts: T + TIMEOUT + 500, fill: fillOf(2, 1, 'BUY', '0.33', '5.12', T + TIMEOUT + 500) });
    expect(sells).toEqual([sell(4, 1, '5.12')]);
    expect(m.state()).toBe('unwinding');
    expect(m.ctx().counts).toEqual({ sets: 1, unwinds: 1 });
    expect(m.ctx().late.map((o) => o.orderId)).toEqual([orderId(1), orderId(3)]);
  });

  it('gives up an unwind sell with no answer, sells again, and counts a late fill of the first sell', () => {
    const m = enterAndFill([0, 1]);
    m.send({ type: 'REJECTED', ts: T + 3, rejection: reject(3, T + 3) }); // sells 4 and 5 go out at T + 3
    expect(m.state()).toBe('unwinding');
    m.send({ type: 'FILL', ts: T + 4, fill: fillOf(4, 0, 'SELL', '0.2', '5.12', T + 4) });
    expect(m.send({ type: 'TICK', ts: T + 3 + TIMEOUT - 1, set: goodSet() })).toEqual([]);
    // Sell 5 is given up; leg 1's shares are sold again at once (exitRetryMs has long passed).
    expect(m.send({ type: 'TICK', ts: T + 3 + TIMEOUT, set: goodSet([{}, { bid: '0.21' }]) })).toEqual([sell(6, 1, '5.12', '0.21')]);
    m.send({ type: 'FILL', ts: T + 3 + TIMEOUT + 1, fill: fillOf(5, 1, 'SELL', '0.2', '5.12', T + 3 + TIMEOUT + 1) });
    expect(m.ctx().unwind?.toSell).toEqual([]);
    m.send({ type: 'REJECTED', ts: T + 3 + TIMEOUT + 2, rejection: reject(6, T + 3 + TIMEOUT + 2) });
    expect(m.state()).toBe('cooldown');
  });
});
