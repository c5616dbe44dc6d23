/**
 * The events the keyed strategies leave out (`changesNothing`): each must leave the real machine
 * exactly where the event before it left it (state, context, nothing emitted), or it would change
 * the log. Checked here on the machines themselves, then on the strategies (what reaches a machine).
 */
import { fifteenMinSchema } from '../actors/config/schema';
import { createFifteenMinStrategy, noQuoteWhileWatching, onlyKeepsQuote, sameQuoteAgain } from '../actors/strategies/fifteenMin';
import { createFlashCrashStrategy, samePriceAgain } from '../actors/strategies/flashCrash';
import type { StrategyContext } from '../actors/strategies/types';
import { flashCrashSchema } from '../actors/config/schema';
import { makeEvent, type AnyEvent } from '../events/types';
import type { FifteenMinEvent } from '../machines/fifteenMin';
import type { FlashCrashEvent } from '../machines/flashCrash';
import { MarketState } from '../domain/market/marketState';
import { DOWN, START, START_S, UP, quote, quoteEvent, rejection, run, signal, tick, windowMarket } from './fifteen-min.support';
import { quote as tokenQuote, start as startFlash } from './flash-crash.support';

const T0 = START + 60_000;
/** Both asks 0.45: a pair costs under 1 - sumToOneMinEdge, so a watching machine enters on it. */
const pairQuote = quote({ ask: '0.45', bid: '0.43', askSize: '300' }, { ask: '0.45', bid: '0.43', askSize: '300' });
const noEdge = quote({ ask: '0.52', bid: '0.50' }, { ask: '0.50', bid: '0.48' });

/** A machine whose pair entry at T0 was rejected (both legs at T0 + 1): in its cooldown. */
function inCooldown(): ReturnType<typeof run> {
  const m = run();
  m.send(quoteEvent(T0, pairQuote));
  m.send({ type: 'REJECTED', ts: T0 + 1, rejection: rejection('fifteenMin:BTC:1', T0 + 1) });
  m.send({ type: 'REJECTED', ts: T0 + 1, rejection: rejection('fifteenMin:BTC:2', T0 + 1) });
  expect(m.state()).toBe('cooldown');
  return m;
}

/** Sends `first`, then `again` (which the strategy would leave out): `again` must change nothing. */
function expectFifteenMinNoOp(m: ReturnType<typeof run>, first: FifteenMinEvent, again: FifteenMinEvent) {
  m.send(first);
  const state = m.state();
  const context = structuredClone(m.ctx());
  expect(sameQuoteAgain(first, again)).toBe(true);
  expect(m.send(again)).toEqual([]);
  expect(m.state()).toEqual(state);
  expect(m.ctx()).toEqual(context);
}

describe('15-minute: a repeated quote of the same ms changes nothing', () => {
  it('watching, no edge: the same QUOTE again (another book of the instant), or a TICK with it', () => {
    expectFifteenMinNoOp(run(), quoteEvent(T0, noEdge), quoteEvent(T0, structuredClone(noEdge)));
    expectFifteenMinNoOp(run(), quoteEvent(T0, noEdge), tick(T0, structuredClone(noEdge)));
  });

  it('watching, a tradable pair: the first enters (two orders), the repeat finds it entering and sends nothing', () => {
    const m = run();
    expect(m.send(quoteEvent(T0, pairQuote)).map((o) => o.type)).toEqual(['order_intent', 'order_intent']);
    expect(m.state()).toBe('entering');
    expectFifteenMinNoOp(m, quoteEvent(T0, pairQuote), quoteEvent(T0, structuredClone(pairQuote)));
  });

  it('cooldown over: the first goes back to watching (and is replayed there), the repeat changes nothing', () => {
    const m = inCooldown();
    const later = T0 + 1 + m.ctx().params.cooldownMs;
    expectFifteenMinNoOp(m, quoteEvent(later, noEdge), quoteEvent(later, structuredClone(noEdge)));
    expect(m.state()).toBe('watching');
  });

  it('is not a repeat at another ms, with other open positions, another price, or after a SIGNAL', () => {
    expect(sameQuoteAgain(quoteEvent(T0, noEdge), quoteEvent(T0 + 1, noEdge))).toBe(false);
    expect(sameQuoteAgain(quoteEvent(T0, noEdge, 0), quoteEvent(T0, noEdge, 1))).toBe(false);
    expect(sameQuoteAgain(quoteEvent(T0, noEdge), quoteEvent(T0, quote({ ask: '0.53', bid: '0.50' }, { ask: '0.50', bid: '0.48' })))).toBe(false);
    expect(sameQuoteAgain(quoteEvent(T0, noEdge), quoteEvent(T0, null))).toBe(false);
    expect(sameQuoteAgain({ type: 'SIGNAL', ts: T0, direction: 'bullish', confirmed: false, change: 0.001, price: '1', quote: noEdge, openPositions: 0 }, quoteEvent(T0, noEdge))).toBe(false);
  });

  it('no window market while watching changes nothing; in cooldown it may end the cooldown, so it is sent', () => {
    const m = run();
    m.send(quoteEvent(T0, noEdge));
    const context = structuredClone(m.ctx());
    expect(noQuoteWhileWatching(m.state(), quoteEvent(T0 + 5_000, null))).toBe(true);
    m.send(quoteEvent(T0 + 5_000, null));
    m.send(tick(T0 + 6_000, null));
    expect(m.state()).toBe('watching');
    expect(m.ctx()).toEqual(context);
    expect(noQuoteWhileWatching('cooldown', quoteEvent(T0, null))).toBe(false);
    expect(noQuoteWhileWatching('watching', quoteEvent(T0, noEdge))).toBe(false);
  });
});

/** Sends `event` where `onlyKeepsQuote` says it changes nothing: state and context stay, nothing is emitted. */
function expectKeepsOnlyQuote(m: ReturnType<typeof run>, event: FifteenMinEvent) {
  const state = m.state();
  const context = structuredClone(m.ctx());
  expect(onlyKeepsQuote(state, event, m.ctx())).toBe(true);
  expect(m.send(event)).toEqual([]);
  expect(m.state()).toEqual(state);
  expect(m.ctx()).toEqual(context);
}

describe('15-minute: an event that only stores the quote kept already changes nothing', () => {
  it('watching: an unconfirmed signal, either way, with the kept quote or none', () => {
    const m = run();
    m.send(quoteEvent(T0, noEdge));
    const kept = m.ctx().quote!;
    expectKeepsOnlyQuote(m, signal(T0 + 1_000, kept, 'bullish', false));
    expectKeepsOnlyQuote(m, signal(T0 + 2_000, kept, 'bearish', false, 2));
    expectKeepsOnlyQuote(m, signal(T0 + 3_000, null, 'bullish', false));
    // An equal quote in a new object (the markets moved, the touch did not): the kept one stays, equal.
    expectKeepsOnlyQuote(m, signal(T0 + 4_000, structuredClone(kept), 'bullish', false));
    expect(m.ctx().quote).toEqual(kept);
  });

  it('watching: not a confirmed signal (it may enter), another quote, a QUOTE or a TICK (a pair may be tradable)', () => {
    const m = run();
    m.send(quoteEvent(T0, noEdge));
    const kept = m.ctx().quote!;
    expect(onlyKeepsQuote('watching', signal(T0 + 1, kept), m.ctx())).toBe(false);
    expect(onlyKeepsQuote('watching', signal(T0 + 1, quote({ ask: '0.53', bid: '0.50' }, { ask: '0.50', bid: '0.48' }), 'bullish', false), m.ctx())).toBe(false);
    expect(onlyKeepsQuote('watching', signal(T0 + 1, { ...kept, tradable: false }, 'bullish', false), m.ctx())).toBe(false);
    expect(onlyKeepsQuote('watching', quoteEvent(T0 + 1, kept), m.ctx())).toBe(false);
    expect(onlyKeepsQuote('watching', tick(T0 + 1, kept), m.ctx())).toBe(false);
    // The confirmed signal on the kept quote enters: what the skip must never leave out.
    expect(m.send(signal(T0 + 1, quote({ ask: '0.45', bid: '0.43', askSize: '300' }, { ask: '0.56', bid: '0.54' }))).map((o) => o.type)).toEqual(['order_intent']);
  });

  it('cooldown: any signal, quote or tick with the kept quote before the cooldown ends; at its end it is sent (back to watching)', () => {
    const m = inCooldown();
    m.send(quoteEvent(T0 + 2, noEdge));
    const kept = m.ctx().quote!;
    const end = m.ctx().cooldownUntil;
    expectKeepsOnlyQuote(m, signal(T0 + 3, kept));
    expectKeepsOnlyQuote(m, signal(end - 1, kept, 'bearish', false));
    expectKeepsOnlyQuote(m, quoteEvent(end - 1, structuredClone(kept)));
    expectKeepsOnlyQuote(m, tick(end - 1, null));
    expect(onlyKeepsQuote('cooldown', quoteEvent(end, kept), m.ctx())).toBe(false);
    m.send(quoteEvent(end, kept));
    expect(m.state()).toBe('watching');
  });
});

describe('flash crash: a repeated price of the same ms changes nothing', () => {
  const price = (ts: number, p: number, q = tokenQuote(String(p), String(p))): FlashCrashEvent => ({ type: 'PRICE', ts, price: p, source: 'book', quote: q });

  function expectFlashNoOp(m: ReturnType<typeof startFlash>, first: FlashCrashEvent, again: FlashCrashEvent) {
    m.actor.send(first);
    const state = m.state();
    const context = structuredClone(m.ctx());
    const orders = m.orders.length;
    expect(samePriceAgain(first, again)).toBe(true);
    m.actor.send(again);
    expect(m.state()).toBe(state);
    expect(m.ctx()).toEqual(context);
    expect(m.orders.length).toBe(orders);
  }

  it('watching: the snapshot and the book of one instant at the same price, and a tick with the same quote', () => {
    const m = startFlash();
    m.price(1_000, 0.5);
    expectFlashNoOp(m, price(2_000, 0.49), { type: 'PRICE', ts: 2_000, price: 0.49, source: 'snapshot', quote: tokenQuote('0.49', '0.49') });
    expectFlashNoOp(m, price(3_000, 0.48), { type: 'TICK', ts: 3_000, quote: tokenQuote('0.48', '0.48') });
  });

  it('a crash: the first price enters (one order), the repeat finds it entering and sends nothing', () => {
    const m = startFlash();
    m.price(1_000, 0.5);
    m.actor.send(price(2_000, 0.3));
    expect(m.state()).toBe('entering');
    expect(m.orders).toHaveLength(1);
    expectFlashNoOp(m, price(2_000, 0.3), price(2_000, 0.3));
  });

  it('is not a repeat at another ms, at another price or with another quote, or a PRICE after a TICK', () => {
    expect(samePriceAgain(price(1, 0.5), price(2, 0.5))).toBe(false);
    expect(samePriceAgain(price(1, 0.5), price(1, 0.51))).toBe(false);
    expect(samePriceAgain(price(1, 0.5), price(1, 0.5, tokenQuote('0.51', '0.5')))).toBe(false);
    expect(samePriceAgain(price(1, 0.5), price(1, 0.5, tokenQuote('0.5', '0.5', { stale: true })))).toBe(false);
    expect(samePriceAgain({ type: 'TICK', ts: 1, quote: tokenQuote('0.5', '0.5') }, price(1, 0.5))).toBe(false);
  });
});

const actorId = (ref: unknown) => String((ref as { id?: string }).id);

describe('what reaches the machines of one instant', () => {
  const ETH = windowMarket({ id: '1043574', conditionId: '0xeth', slug: `eth-updown-15m-${START_S}`, question: 'Ethereum Up or Down', tokenIds: ['1001', '1002'] });
  const book = (tokenId: string, bid: string, ask: string, ts: number) =>
    makeEvent('book', ts, { source: 'model', tokenId, market: '0x', bids: [{ price: bid, size: '300' }], asks: [{ price: ask, size: '300' }], tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: null });
  const snapshot = (ts: number) => makeEvent('market_snapshot', ts, { source: 'model', request: 'model', markets: [windowMarket({ outcomePrices: ['0.51', '0.49'] }), ETH] });

  /** Feeds one instant (all absorbed first, as the engine does) and counts the machine events sent, by type. */
  function instant(strategy: ReturnType<typeof createFifteenMinStrategy> | ReturnType<typeof createFlashCrashStrategy>, markets: MarketState, events: AnyEvent[], sent: string[]) {
    for (const e of events) markets.apply(e);
    const before = sent.length;
    for (const e of events) {
      const ctx: StrategyContext = { now: e.ts, markets, position: () => '0' };
      if (strategy.handles.has(e.type)) strategy.react(e, ctx);
    }
    return sent.slice(before);
  }

  it('15-minute: one QUOTE per asset with a window for a snapshot and its books; a clock tick of the same ms adds none', () => {
    const sent: string[] = [];
    const strategy = createFifteenMinStrategy(fifteenMinSchema.parse({ useLlm: false, assets: ['BTC', 'ETH'] }), {
      inspect: (e) => {
        if (e.type === '@xstate.event' && e.event.type !== 'xstate.init' && e.actorRef !== e.sourceRef) sent.push(`${actorId(e.actorRef)}:${e.event.type}`);
      },
    });
    const markets = new MarketState();
    const t = START + 2_000;
    const first = instant(strategy, markets, [snapshot(t), book(UP, '0.50', '0.52', t), book(DOWN, '0.48', '0.50', t), book('1001', '0.50', '0.52', t), book('1002', '0.48', '0.50', t)], sent);
    expect(first.filter((s) => s.endsWith(':QUOTE')).sort()).toEqual(['fifteenMin/BTC:QUOTE', 'fifteenMin/ETH:QUOTE']);
    const t2 = t + 1_000;
    const second = instant(strategy, markets, [snapshot(t2), book(UP, '0.50', '0.52', t2), book(DOWN, '0.48', '0.50', t2), makeEvent('timer', t2, { name: 'tick' })], sent);
    expect(second.sort()).toEqual(['fifteenMin/BTC:QUOTE', 'fifteenMin/ETH:QUOTE']);
  });

  it('flash crash: a token whose snapshot price equals its book mid hears it once; one that differs hears both', () => {
    const sent: string[] = [];
    const strategy = createFlashCrashStrategy(flashCrashSchema.parse({}), 'flash_crash', {
      inspect: (e) => {
        if (e.type === '@xstate.event' && e.event.type === 'PRICE' && e.actorRef !== e.sourceRef) sent.push(`${actorId(e.actorRef).slice(-4)}:${(e.event as unknown as { price: number }).price}`);
      },
    });
    const markets = new MarketState();
    const t = START + 2_000;
    // UP: snapshot 0.51, book mid (0.50 + 0.52) / 2 = 0.51: once. DOWN: snapshot 0.49, book mid 0.485: both.
    const out = instant(strategy, markets, [snapshot(t), book(UP, '0.50', '0.52', t), book(DOWN, '0.47', '0.50', t)], sent);
    expect(out.filter((s) => s.startsWith(UP.slice(-4)))).toEqual([`${UP.slice(-4)}:0.51`]);
    expect(out.filter((s) => s.startsWith(DOWN.slice(-4)))).toEqual([`${DOWN.slice(-4)}:0.49`, `${DOWN.slice(-4)}:0.485`]);
  });
});
