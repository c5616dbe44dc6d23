import Big from 'big.js';
import { createActor } from 'xstate';
import { handOrderIds } from './support/handOrderIds';
import { fifteenMinMachine, pairPlan, type FifteenMinEvent, type FifteenMinOutput } from '../machines/fifteenMin';
import { DOWN, END, START, UP, feeAt, fill, params, quote, quoteEvent, rejection, run, signal, tick } from './fifteen-min.support';

const T0 = START + 60_000; // 14 minutes left in the window
const entryQuote = quote({ ask: '0.52', bid: '0.50' }, { ask: '0.50', bid: '0.48' });
const at = (upBid: string, downBid = '0.30') => quote({ ask: '0.99', bid: upBid }, { ask: '0.99', bid: downBid });

/** Shares bought for $5 at `ask`, rounded down to 2 decimals. */
const sharesFor = (ask: string) => new Big(5).div(ask).round(2, Big.roundDown).toFixed();

/** After a full BUY fill: shares in hand (fee taken in shares) and cost with the fee. */
function bought(price: string, size: string) {
  const fee = new Big(feeAt(price)).times(size).round(5, Big.roundDown);
  // As the portfolio books a buy: the fee withheld in shares, fee / price rounded half-up to 6 decimals, per fill.
  const shares = new Big(size).minus(fee.div(price).round(6, Big.roundHalfUp));
  return { shares, cost: new Big(price).times(size).plus(fee) };
}

/** Return on cost when marking `shares` at bid `b`, net of the sell fee. */
const returnAt = (b: string, shares: Big, cost: Big) => shares.times(new Big(b).minus(feeAt(b))).minus(cost).div(cost).toNumber();

function enterUp() {
  const m = run();
  const orders = m.send(signal(T0, entryQuote));
  m.send({ type: 'FILL', ts: T0 + 5, fill: fill('fifteenMin:BTC:1', UP, 'BUY', '0.52', sharesFor('0.52'), T0 + 5) });
  return { m, orders };
}

describe('fifteenMin machine: directional entries', () => {
  it('buys Up on a confirmed bullish signal at the best ask for tradeUsd, and holds once filled', () => {
    const { m, orders } = enterUp();
    expect(orders).toEqual([
      { type: 'order_intent', orderId: 'fifteenMin:BTC:1', marketId: '1043573', tokenId: UP, outcome: 'Up', side: 'BUY', price: '0.52', size: sharesFor('0.52'), orderType: 'market', reason: expect.stringContaining('bullish'), groupId: null },
    ]);
    expect(m.state()).toBe('holding');
    const { shares, cost } = bought('0.52', sharesFor('0.52'));
    expect(m.ctx().position?.holdings).toEqual([{ marketId: '1043573', tokenId: UP, outcome: 'Up', shares: shares.toFixed(), cost: cost.toFixed() }]);
  });

  it('buys Down on a confirmed bearish signal', () => {
    const m = run();
    const [order] = m.send(signal(T0, entryQuote, 'bearish'));
    expect(order).toMatchObject({ tokenId: DOWN, outcome: 'Down', side: 'BUY', price: '0.50', size: sharesFor('0.50') });
    expect(m.state()).toBe('entering');
  });

  it('ignores unconfirmed signals but keeps their quote (the engine counts them, for the report)', () => {
    const m = run();
    expect(m.send(signal(T0, entryQuote, 'bullish', false))).toEqual([]);
    expect(m.send(signal(T0 + 1, entryQuote, 'bearish', false))).toEqual([]);
    expect(m.state()).toBe('watching');
    expect(m.ctx().quote).toBe(entryQuote);
    expect(m.ctx().counts).toEqual({ signalsSkipped: 0, decisionsSkipped: 0, entries: 0, exits: 0 });
  });

  it.each([
    ['too little time left', signal(END - 179_999, entryQuote), 'too_little_time_left'],
    ['no window market', signal(T0, null), 'no_window_market'],
    ['market not accepting orders', signal(T0, { ...entryQuote, tradable: false }), 'market_not_tradable'],
    ['stale book', signal(T0, quote({ ask: '0.52', bid: '0.5', stale: true }, { ask: '0.5', bid: '0.48' })), 'stale_book'],
    ['no ask', signal(T0, quote({ ask: null, bid: '0.5' }, { ask: '0.5', bid: '0.48' })), 'no_ask'],
    ['max positions open elsewhere', signal(T0, entryQuote, 'bullish', true, 3), 'max_positions'],
  ])('does not enter with %s', (_name, event, reason) => {
    const m = run();
    expect(m.send(event)).toEqual([]);
    expect(m.state()).toBe('watching');
    expect(m.ctx().lastSkip).toBe(`signal: ${reason}`);
  });

  it('does not enter when tradeUsd buys fewer than the market minimum of 5 shares', () => {
    expect(new Big(2).div('0.45').lt(5)).toBe(true);
    const m = run(params({ tradeUsd: '2' }));
    expect(m.send(signal(T0, quote({ ask: '0.45', bid: '0.44' }, { ask: '0.56', bid: '0.55' })))).toEqual([]);
    expect(m.ctx().lastSkip).toBe('signal: below_min_size');
  });

  it('enters with exactly minTimeLeftMs left', () => {
    const m = run();
    expect(m.send(signal(END - 180_000, entryQuote))).toHaveLength(1);
  });

  it('goes to cooldown when risk rejects the entry, then watches again after cooldownMs', () => {
    const m = run();
    m.send(signal(T0, entryQuote));
    m.send({ type: 'REJECTED', ts: T0 + 1, rejection: rejection('fifteenMin:BTC:1', T0 + 1) });
    expect(m.state()).toBe('cooldown');
    expect(m.ctx().position).toBeNull();
    expect(m.send(signal(T0 + 59_000, entryQuote))).toEqual([]);
    // The event that ends the cooldown is acted upon.
    const [order] = m.send(signal(T0 + 60_001, entryQuote));
    expect(order).toMatchObject({ side: 'BUY', tokenId: UP });
    expect(m.state()).toBe('entering');
  });

  it('holds a partial entry fill as a smaller position', () => {
    const m = run();
    m.send(signal(T0, entryQuote));
    m.send({ type: 'FILL', ts: T0 + 1, fill: fill('fifteenMin:BTC:1', UP, 'BUY', '0.52', '4', T0 + 1, true) });
    expect(m.state()).toBe('holding');
    expect(m.ctx().position?.holdings[0].shares).toBe(bought('0.52', '4').shares.toFixed());
  });
});

describe('fifteenMin machine: exits', () => {
  const { shares, cost } = bought('0.52', sharesFor('0.52'));
  const sellSize = shares.round(2, Big.roundDown).toFixed();

  it('takes profit when the bid, net of the sell fee, returns takeProfitPct on cost', () => {
    expect(returnAt('0.60', shares, cost)).toBeLessThan(0.05);
    expect(returnAt('0.62', shares, cost)).toBeGreaterThanOrEqual(0.05);
    const { m } = enterUp();
    expect(m.send(quoteEvent(T0 + 10_000, at('0.60')))).toEqual([]);
    const orders = m.send(quoteEvent(T0 + 11_000, at('0.62')));
    expect(orders).toEqual([{ type: 'order_intent', orderId: 'fifteenMin:BTC:2', marketId: '1043573', tokenId: UP, outcome: 'Up', side: 'SELL', price: '0.62', size: sellSize, orderType: 'market', reason: 'take_profit', groupId: null }]);
    expect(m.state()).toBe('exiting');
    m.send({ type: 'FILL', ts: T0 + 11_001, fill: fill('fifteenMin:BTC:2', UP, 'SELL', '0.62', sellSize, T0 + 11_001) });
    expect(m.state()).toBe('cooldown');
    expect(m.ctx().lastExit).toEqual({ ts: T0 + 11_001, reason: 'take_profit' });
  });

  it('stops the loss at stopLossPct', () => {
    expect(returnAt('0.58', shares, cost)).toBeGreaterThan(-0.03);
    expect(returnAt('0.50', shares, cost)).toBeLessThanOrEqual(-0.03);
    const { m } = enterUp();
    expect(m.send(quoteEvent(T0 + 10_000, at('0.58')))).toEqual([]);
    expect(m.send(quoteEvent(T0 + 11_000, at('0.50')))).toMatchObject([{ side: 'SELL', price: '0.50', reason: 'stop_loss' }]);
  });

  it('exits after maxHoldMs in position', () => {
    const m = run(params({ maxHoldMs: 300_000 }));
    m.send(signal(T0, entryQuote));
    m.send({ type: 'FILL', ts: T0 + 5, fill: fill('fifteenMin:BTC:1', UP, 'BUY', '0.52', sharesFor('0.52'), T0 + 5) });
    expect(m.send(tick(T0 + 299_999, at('0.58')))).toEqual([]);
    expect(m.send(tick(T0 + 300_000, at('0.58')))).toMatchObject([{ side: 'SELL', reason: 'max_hold' }]);
  });

  it('is forced out exitBeforeEndMs before the window ends', () => {
    const m = run();
    m.send(signal(START + 120_000, entryQuote));
    m.send({ type: 'FILL', ts: START + 120_005, fill: fill('fifteenMin:BTC:1', UP, 'BUY', '0.52', sharesFor('0.52'), START + 120_005) });
    expect(m.send(tick(END - 120_001, at('0.58')))).toEqual([]);
    expect(m.send(tick(END - 120_000, at('0.58')))).toMatchObject([{ side: 'SELL', reason: 'end_of_window' }]);
  });

  it('cannot sell into a stale book; when the window is over the position is left to resolution', () => {
    const { m } = enterUp();
    const stale = quote({ ask: '0.99', bid: '0.55', stale: true }, { ask: '0.99', bid: '0.4', stale: true });
    expect(m.send(tick(END - 100_000, stale))).toEqual([]);
    expect(m.state()).toBe('holding');
    m.send(tick(END, stale));
    expect(m.state()).toBe('cooldown');
    expect(m.ctx().lastExit).toEqual({ ts: END, reason: 'window_ended' });
  });

  it('closes when its market resolves', () => {
    const { m } = enterUp();
    m.send({ type: 'RESOLVED', ts: T0 + 100, marketId: 'another' });
    expect(m.state()).toBe('holding');
    m.send({ type: 'RESOLVED', ts: T0 + 200, marketId: '1043573' });
    expect(m.state()).toBe('cooldown');
  });

  it('sells the rest of a partly filled exit on a later quote, not sooner than exitRetryMs', () => {
    const { m } = enterUp();
    m.send(quoteEvent(T0 + 11_000, at('0.62')));
    m.send({ type: 'FILL', ts: T0 + 11_001, fill: fill('fifteenMin:BTC:2', UP, 'SELL', '0.62', '5', T0 + 11_001, true) });
    expect(m.state()).toBe('holding');
    const left = shares.minus(5);
    expect(m.ctx().position?.holdings[0].shares).toBe(left.toFixed());
    // The price fell back, but the exit was already decided: the rest goes at the new bid.
    expect(m.send(quoteEvent(T0 + 11_500, at('0.56')))).toEqual([]);
    expect(m.send(quoteEvent(T0 + 12_000, at('0.56')))).toMatchObject([{ side: 'SELL', price: '0.56', size: left.round(2, Big.roundDown).toFixed(), reason: 'take_profit' }]);
  });

  it('retries an exit risk rejected', () => {
    const { m } = enterUp();
    m.send(quoteEvent(T0 + 11_000, at('0.50')));
    m.send({ type: 'REJECTED', ts: T0 + 11_001, rejection: rejection('fifteenMin:BTC:2', T0 + 11_001, 'kill_switch') });
    expect(m.state()).toBe('holding');
    expect(m.send(quoteEvent(T0 + 12_000, at('0.49')))).toMatchObject([{ side: 'SELL', price: '0.49', size: sellSize, reason: 'stop_loss' }]);
  });
});

describe('fifteenMin machine: sum-to-one', () => {
  const pairCost = (a: string, b: string) => new Big(a).plus(b).plus(feeAt(a)).plus(feeAt(b));

  it('buys both sides under one groupId when ask(Up) + ask(Down) + fees < 1 - minEdge', () => {
    expect(pairCost('0.47', '0.48').lt(0.99)).toBe(true);
    const m = run();
    const q = quote({ ask: '0.47', bid: '0.45', askSize: '100' }, { ask: '0.48', bid: '0.46', askSize: '100' });
    const orders = m.send(quoteEvent(T0, q));
    const size = new Big(5).div('0.95').round(2, Big.roundDown).toFixed();
    expect(orders).toEqual([
      { type: 'order_intent', orderId: 'fifteenMin:BTC:1', marketId: '1043573', tokenId: UP, outcome: 'Up', side: 'BUY', price: '0.47', size, orderType: 'fok', reason: 'sum-to-one', groupId: `fifteenMin:BTC:1043573:${T0}` },
      { type: 'order_intent', orderId: 'fifteenMin:BTC:2', marketId: '1043573', tokenId: DOWN, outcome: 'Down', side: 'BUY', price: '0.48', size, orderType: 'fok', reason: 'sum-to-one', groupId: `fifteenMin:BTC:1043573:${T0}` },
    ]);
    m.send({ type: 'FILL', ts: T0 + 1, fill: fill('fifteenMin:BTC:1', UP, 'BUY', '0.47', size, T0 + 1) });
    expect(m.state()).toBe('entering');
    m.send({ type: 'FILL', ts: T0 + 2, fill: fill('fifteenMin:BTC:2', DOWN, 'BUY', '0.48', size, T0 + 2) });
    expect(m.state()).toBe('holding');
    // A complete pair pays 1 at resolution: no take-profit, stop-loss or forced exit.
    expect(m.send(quoteEvent(T0 + 5_000, quote({ ask: '0.9', bid: '0.89' }, { ask: '0.2', bid: '0.1' })))).toEqual([]);
    expect(m.send(tick(END - 60_000, quote({ ask: '0.9', bid: '0.89' }, { ask: '0.2', bid: '0.1' })))).toEqual([]);
    m.send(tick(END, null));
    expect(m.state()).toBe('cooldown');
  });

  it('does not buy when the pair with fees costs 1 - minEdge or more', () => {
    expect(pairCost('0.48', '0.49').gte(0.99)).toBe(true);
    const m = run();
    expect(m.send(quoteEvent(T0, quote({ ask: '0.48', bid: '0.46' }, { ask: '0.49', bid: '0.47' })))).toEqual([]);
    expect(m.state()).toBe('watching');
  });

  it('decides on each quote\'s own asks and fees when one instance sees the pair sum change and come back', () => {
    const p = params();
    const noEdge = quote({ ask: '0.48', bid: '0.46' }, { ask: '0.49', bid: '0.47' });
    const edge = quote({ ask: '0.47', bid: '0.45', askSize: '100' }, { ask: '0.48', bid: '0.46', askSize: '100' });
    const noAsk = quote({ ask: '1', bid: '0.46' }, { ask: '0.48', bid: '0.46' });
    expect(pairPlan(p, noEdge, T0, 0)).toEqual({ ok: false, reason: 'no_sum_to_one_edge' });
    expect(pairPlan(p, edge, T0, 0).ok).toBe(true);
    expect(pairPlan(p, noEdge, T0, 0)).toEqual({ ok: false, reason: 'no_sum_to_one_edge' });
    expect(pairPlan(p, noAsk, T0, 0)).toEqual({ ok: false, reason: 'no_ask' });
    // The same asks with other fees: the sum is not the one remembered for these asks.
    const feeless = { ...edge, up: { ...edge.up, buyFeePerShare: '0' }, down: { ...edge.down, buyFeePerShare: '0' } };
    const dear = { ...edge, up: { ...edge.up, buyFeePerShare: '0.03' }, down: { ...edge.down, buyFeePerShare: '0.03' } };
    expect(pairPlan(p, feeless, T0, 0).ok).toBe(true);
    expect(pairPlan(p, dear, T0, 0)).toEqual({ ok: false, reason: 'no_sum_to_one_edge' });
    // Another minEdge with the same asks and fees.
    expect(pairPlan(params({ sumToOneMinEdge: 0.2 }), edge, T0, 0)).toEqual({ ok: false, reason: 'no_sum_to_one_edge' });
    const m = run(p);
    expect(m.send(quoteEvent(T0, noEdge))).toEqual([]);
    expect(m.send(quoteEvent(T0 + 1, noEdge))).toEqual([]);
    expect(m.send(quoteEvent(T0 + 2, edge)).map((o) => o.type === 'order_intent' && o.price)).toEqual(['0.47', '0.48']);
  });

  it('sizes the pair to the thinner best-ask level, and skips it below the minimum size', () => {
    const m = run();
    const [o] = m.send(quoteEvent(T0, quote({ ask: '0.47', bid: '0.45', askSize: '5.3' }, { ask: '0.48', bid: '0.46', askSize: '100' })));
    expect(o.type === 'order_intent' && o.size).toBe('5.26');
    const thin = run();
    expect(thin.send(quoteEvent(T0, quote({ ask: '0.47', bid: '0.45', askSize: '4.99' }, { ask: '0.48', bid: '0.46', askSize: '100' })))).toEqual([]);
  });

  it('unwinds the filled side when the other side of the pair is rejected', () => {
    const m = run();
    const q = quote({ ask: '0.47', bid: '0.45', askSize: '100' }, { ask: '0.48', bid: '0.46', askSize: '100' });
    m.send(quoteEvent(T0, q));
    m.send({ type: 'FILL', ts: T0 + 1, fill: fill('fifteenMin:BTC:1', UP, 'BUY', '0.47', '5.26', T0 + 1) });
    m.send({ type: 'REJECTED', ts: T0 + 2, rejection: rejection('fifteenMin:BTC:2', T0 + 2) });
    expect(m.state()).toBe('holding');
    const held = bought('0.47', '5.26').shares.round(2, Big.roundDown).toFixed();
    expect(m.send(quoteEvent(T0 + 3, q))).toEqual([
      { type: 'order_intent', orderId: 'fifteenMin:BTC:3', marketId: '1043573', tokenId: UP, outcome: 'Up', side: 'SELL', price: '0.45', size: held, orderType: 'market', reason: 'unwind_incomplete_pair', groupId: null },
    ]);
  });
});

describe('fifteenMin machine: LLM decisions', () => {
  const llm = () => run(params({ useLlm: true }));

  it('asks for a decision on a confirmed signal and waits in deciding', () => {
    const m = llm();
    const out = m.send({ ...signal(T0, entryQuote), portfolio: { balance: '1000', dailyPnl: '-3.2' } } as FifteenMinEvent);
    expect(m.state()).toBe('deciding');
    expect(out).toEqual([
      {
        type: 'llm_request',
        key: 'BTC|directional_trend|0.52|0.50',
        opportunity: 'directional_trend',
        ruleAction: 'buy_yes',
        context: {
          question: 'Bitcoin Up or Down - December 28, 8:45PM-9:00PM ET',
          asset: 'BTC',
          yesPrice: '0.52',
          noPrice: '0.50',
          minutesToResolution: 14,
          binancePrice: '61556.04',
          momentum: 0.0012,
          volumeConfirmed: true,
          balance: '1000',
          openPositions: 0,
          dailyPnl: '-3.2',
        },
      },
    ]);
  });

  it('buys Down on buy_no, whatever the signal said', () => {
    const m = llm();
    m.send(signal(T0, entryQuote));
    const out = m.send({ type: 'DECISION', ts: T0 + 800, key: 'BTC|directional_trend|0.52|0.50', action: 'buy_no', executed: true, reason: 'buy_no at confidence 72', openPositions: 0 });
    expect(out).toMatchObject([{ side: 'BUY', tokenId: DOWN, price: '0.50', size: sharesFor('0.50') }]);
    expect(m.state()).toBe('entering');
  });

  it('buys Up on buy_yes', () => {
    const m = llm();
    m.send(signal(T0, entryQuote, 'bearish'));
    expect(m.send({ type: 'DECISION', ts: T0 + 1, key: 'BTC|directional_trend|0.52|0.50', action: 'buy_yes', executed: true, reason: 'x', openPositions: 0 })).toMatchObject([{ tokenId: UP }]);
  });

  it.each([
    ['skip', true],
    ['buy_yes', false],
    ['buy_both', true],
  ] as const)('goes back to watching on %s (executed %s)', (action, executed) => {
    const m = llm();
    m.send(signal(T0, entryQuote));
    expect(m.send({ type: 'DECISION', ts: T0 + 1, key: 'BTC|directional_trend|0.52|0.50', action, executed, reason: 'r', openPositions: 0 })).toEqual([]);
    expect(m.state()).toBe('watching');
    expect(m.ctx().counts.decisionsSkipped).toBe(1);
  });

  it('ignores a decision for another request and gives up after decisionTimeoutMs', () => {
    const m = llm();
    m.send(signal(T0, entryQuote));
    m.send({ type: 'DECISION', ts: T0 + 1, key: 'BTC|directional_trend|0.40|0.60', action: 'buy_yes', executed: true, reason: 'r', openPositions: 0 });
    expect(m.state()).toBe('deciding');
    m.send(tick(T0 + 9_999, entryQuote));
    expect(m.state()).toBe('deciding');
    m.send(tick(T0 + 10_000, entryQuote));
    expect(m.state()).toBe('watching');
    expect(m.ctx().lastSkip).toBe('decision: timed out');
  });

  it('acts on the rule alone when useLlm is off', () => {
    const m = run(params({ useLlm: false }));
    expect(m.send(signal(T0, entryQuote)).map((o) => o.type)).toEqual(['order_intent']);
  });
});

describe('fifteenMin machine: the Chainlink oracle', () => {
  it('keeps the last value at or before the window start as the start price', () => {
    const m = run();
    m.send({ type: 'ORACLE', ts: START - 1_500, value: '87000.5' });
    m.send({ type: 'ORACLE', ts: START + 800, value: '87010.25' });
    m.send({ type: 'ORACLE', ts: START + 1_800, value: '87020' });
    expect(m.ctx().oracle).toEqual({ last: { ts: START + 1_800, value: '87020' }, windowStart: START, startPrice: '87000.5' });
    m.send({ type: 'ORACLE', ts: END, value: '86999' });
    expect(m.ctx().oracle).toEqual({ last: { ts: END, value: '86999' }, windowStart: END, startPrice: '86999' });
  });

  it('does not guess a start price it never saw', () => {
    const m = run();
    m.send({ type: 'ORACLE', ts: START + 30_000, value: '87010' });
    expect(m.ctx().oracle.startPrice).toBeNull();
  });
});

describe('fifteenMin machine: determinism', () => {
  const events: FifteenMinEvent[] = [
    { type: 'ORACLE', ts: START - 500, value: '87000.5' },
    signal(T0 - 1, entryQuote, 'bullish', false),
    signal(T0, entryQuote),
    { type: 'FILL', ts: T0 + 5, fill: fill('fifteenMin:BTC:1', UP, 'BUY', '0.52', '9.61', T0 + 5) },
    quoteEvent(T0 + 10_000, at('0.58')),
    quoteEvent(T0 + 11_000, at('0.62')),
    { type: 'FILL', ts: T0 + 11_001, fill: fill('fifteenMin:BTC:2', UP, 'SELL', '0.62', '5', T0 + 11_001, true) },
    quoteEvent(T0 + 12_500, at('0.6')),
    { type: 'FILL', ts: T0 + 12_501, fill: fill('fifteenMin:BTC:3', UP, 'SELL', '0.6', '4.28', T0 + 12_501) },
    signal(T0 + 80_000, entryQuote, 'bearish'),
  ];
  const replay = (evs: FifteenMinEvent[]) => {
    const m = run();
    const outs = evs.map((e) => m.send(e));
    return { outs, m };
  };

  it('gives the same outputs for the same events', () => {
    const a = replay(events);
    const b = replay(events);
    expect(JSON.stringify(a.outs)).toBe(JSON.stringify(b.outs));
    expect(a.outs.flat().length).toBe(4);
    expect(a.m.state()).toBe('entering');
  });

  it('continues identically after persist -> restore mid-position', () => {
    const whole = replay(events);
    const first = replay(events.slice(0, 5));
    expect(first.m.state()).toBe('holding');
    const persisted = JSON.parse(JSON.stringify(first.m.actor.getPersistedSnapshot()));
    // Driven on as the wrapper would: the order ids go on from the orders the first actor sent.
    const sent = first.outs.flat().filter((o) => o.type === 'order_intent').length;
    const restored = handOrderIds(createActor(fifteenMinMachine, { input: params(), snapshot: persisted }), 'fifteenMin', 'BTC', { BTC: sent });
    const out: FifteenMinOutput[] = [];
    restored.on('*', (e) => out.push(e as FifteenMinOutput));
    restored.start();
    const rest = events.slice(5).map((e) => {
      const from = out.length;
      restored.send(e);
      return out.slice(from);
    });
    expect(JSON.stringify([...first.outs, ...rest])).toBe(JSON.stringify(whole.outs));
    expect(restored.getSnapshot().context).toEqual(whole.m.ctx());
  });
});

describe('fifteenMin machine: orders with no answer (orderTimeoutMs)', () => {
  const TIMEOUT = params().orderTimeoutMs;
  const size = sharesFor('0.52');
  const lateOrder = { orderId: 'fifteenMin:BTC:1', marketId: '1043573', tokenId: UP, outcome: 'Up', side: 'BUY', requested: size, open: size, kind: 'directional', windowEnd: END };

  function unanswered() {
    const m = run();
    m.send(signal(T0, entryQuote));
    return m;
  }

  it('gives up an unanswered entry exactly orderTimeoutMs after it was sent, and cools down', () => {
    expect(TIMEOUT).toBe(30_000);
    const m = unanswered();
    m.send(tick(T0 + TIMEOUT - 1, entryQuote));
    expect(m.state()).toBe('entering');
    expect(m.ctx().late).toEqual([]);
    m.send(tick(T0 + TIMEOUT, entryQuote));
    expect(m.state()).toBe('cooldown');
    expect(m.ctx().entry).toBeNull();
    expect(m.ctx().cooldownUntil).toBe(T0 + TIMEOUT + params().cooldownMs);
    expect(m.ctx().late).toEqual([lateOrder]);
  });

  it('holds the shares of a fill that comes after the give-up, with the usual exits counted from that fill', () => {
    const m = run(params({ maxHoldMs: 300_000 }));
    m.send(signal(T0, entryQuote));
    m.send(tick(T0 + TIMEOUT, entryQuote));
    const lateTs = T0 + TIMEOUT + 5_000;
    m.send({ type: 'FILL', ts: lateTs, fill: fill('fifteenMin:BTC:1', UP, 'BUY', '0.52', size, lateTs) });
    expect(m.state()).toBe('holding');
    const { shares, cost } = bought('0.52', size);
    expect(m.ctx().position).toEqual({
      kind: 'directional',
      marketId: '1043573',
      windowEnd: END,
      since: lateTs,
      holdings: [{ marketId: '1043573', tokenId: UP, outcome: 'Up', shares: shares.toFixed(), cost: cost.toFixed() }],
      exitReason: null,
      lastExitAttempt: null,
    });
    expect(m.ctx().late).toEqual([]);
    expect(m.send(tick(lateTs + 299_999, at('0.58')))).toEqual([]);
    expect(m.send(tick(lateTs + 300_000, at('0.58')))).toMatchObject([{ side: 'SELL', tokenId: UP, price: '0.58', size: shares.round(2, Big.roundDown).toFixed(), reason: 'max_hold' }]);
  });

  it('holds what a given-up entry filled in time; the rest, filled late, joins the position', () => {
    const m = unanswered();
    m.send({ type: 'FILL', ts: T0 + 1, fill: fill('fifteenMin:BTC:1', UP, 'BUY', '0.52', '4', T0 + 1) });
    m.send(tick(T0 + TIMEOUT, entryQuote));
    expect(m.state()).toBe('holding');
    expect(m.ctx().late).toEqual([{ ...lateOrder, open: new Big(size).minus(4).toFixed() }]);
    const first = bought('0.52', '4');
    expect(m.ctx().position?.holdings.map((h) => h.shares)).toEqual([first.shares.toFixed()]);
    m.send({ type: 'FILL', ts: T0 + TIMEOUT + 100, fill: fill('fifteenMin:BTC:1', UP, 'BUY', '0.52', '5.61', T0 + TIMEOUT + 100) });
    const rest = bought('0.52', '5.61');
    expect(m.ctx().position).toMatchObject({ since: T0, holdings: [{ tokenId: UP, shares: first.shares.plus(rest.shares).toFixed(), cost: first.cost.plus(rest.cost).toFixed() }] });
    expect(m.ctx().late).toEqual([]);
  });

  it('unwinds a pair whose second leg never answers, and sells that leg too when it fills late', () => {
    const m = run();
    const q = quote({ ask: '0.47', bid: '0.45', askSize: '100' }, { ask: '0.48', bid: '0.46', askSize: '100' });
    const size2 = new Big(5).div('0.95').round(2, Big.roundDown).toFixed();
    expect(m.send(quoteEvent(T0, q))).toMatchObject([{ tokenId: UP, size: size2 }, { tokenId: DOWN, size: size2 }]);
    m.send({ type: 'FILL', ts: T0 + 1, fill: fill('fifteenMin:BTC:1', UP, 'BUY', '0.47', size2, T0 + 1) });
    m.send(tick(T0 + TIMEOUT - 1, q));
    expect(m.state()).toBe('entering');
    m.send(tick(T0 + TIMEOUT, q));
    expect(m.state()).toBe('holding');
    expect(m.ctx().position).toMatchObject({ kind: 'pair', exitReason: 'unwind_incomplete_pair', holdings: [{ tokenId: UP }] });
    const upShares = bought('0.47', size2).shares;
    const up = upShares.round(2, Big.roundDown).toFixed();
    expect(m.send(quoteEvent(T0 + TIMEOUT + 1, q))).toMatchObject([{ side: 'SELL', tokenId: UP, price: '0.45', size: up, reason: 'unwind_incomplete_pair' }]);
    // The Down leg fills while the Up sell is out: its shares join the position.
    m.send({ type: 'FILL', ts: T0 + TIMEOUT + 2, fill: fill('fifteenMin:BTC:2', DOWN, 'BUY', '0.48', size2, T0 + TIMEOUT + 2) });
    expect(m.state()).toBe('exiting');
    m.send({ type: 'FILL', ts: T0 + TIMEOUT + 3, fill: fill('fifteenMin:BTC:3', UP, 'SELL', '0.45', up, T0 + TIMEOUT + 3) });
    expect(m.state()).toBe('holding');
    const down = bought('0.48', size2).shares;
    // What is left of Up is under a hundredth of a share (not sellable); Down is still to sell.
    expect(m.ctx().position?.holdings.map((h) => [h.tokenId, h.shares])).toEqual([
      [UP, upShares.minus(up).toFixed()],
      [DOWN, down.toFixed()],
    ]);
    expect(m.send(quoteEvent(T0 + TIMEOUT + 1_000, q))).toEqual([]); // exitRetryMs after the last sell
    expect(m.send(quoteEvent(T0 + TIMEOUT + 1_001, q))).toMatchObject([{ side: 'SELL', tokenId: DOWN, price: '0.46', size: down.round(2, Big.roundDown).toFixed(), reason: 'unwind_incomplete_pair' }]);
    m.send({ type: 'FILL', ts: T0 + TIMEOUT + 1_002, fill: fill('fifteenMin:BTC:4', DOWN, 'SELL', '0.46', down.round(2, Big.roundDown).toFixed(), T0 + TIMEOUT + 1_002) });
    expect(m.state()).toBe('cooldown');
    expect(m.ctx().lastExit).toEqual({ ts: T0 + TIMEOUT + 1_002, reason: 'unwind_incomplete_pair' });
  });

  it('gives up an unanswered exit and sells again; a late fill of the first sell is taken off the position', () => {
    const { m } = enterUp();
    const { shares } = bought('0.52', size);
    const sellSize = shares.round(2, Big.roundDown).toFixed();
    const sentAt = T0 + 11_000;
    m.send(quoteEvent(sentAt, at('0.62')));
    m.send(tick(sentAt + TIMEOUT - 1, at('0.62')));
    expect(m.state()).toBe('exiting');
    m.send(tick(sentAt + TIMEOUT, at('0.62')));
    expect(m.state()).toBe('holding');
    expect(m.ctx().late).toMatchObject([{ orderId: 'fifteenMin:BTC:2', side: 'SELL', open: sellSize }]);
    expect(m.send(quoteEvent(sentAt + TIMEOUT + 1, at('0.61')))).toMatchObject([{ side: 'SELL', price: '0.61', size: sellSize, reason: 'take_profit' }]);
    // The first sell fills after all; the venue then refuses the second (the shares are gone).
    m.send({ type: 'FILL', ts: sentAt + TIMEOUT + 2, fill: fill('fifteenMin:BTC:2', UP, 'SELL', '0.62', sellSize, sentAt + TIMEOUT + 2) });
    expect(m.ctx().position?.holdings.map((h) => h.shares)).toEqual([shares.minus(sellSize).toFixed()]);
    m.send({ type: 'REJECTED', ts: sentAt + TIMEOUT + 3, rejection: rejection('fifteenMin:BTC:3', sentAt + TIMEOUT + 3, 'exchange_rejected') });
    expect(m.state()).toBe('cooldown');
    expect(m.ctx().position).toBeNull();
    expect(m.ctx().lastExit).toEqual({ ts: sentAt + TIMEOUT + 3, reason: 'take_profit' });
  });

  it('forgets a given-up order the venue reports as ended', () => {
    const m = unanswered();
    m.send(tick(T0 + TIMEOUT, entryQuote));
    m.send({ type: 'REJECTED', ts: T0 + TIMEOUT + 10, rejection: rejection('fifteenMin:BTC:1', T0 + TIMEOUT + 10, 'exchange_cancelled') });
    expect(m.ctx().late).toEqual([]);
    expect(m.state()).toBe('cooldown');
  });

  it('waits for an answer as long as the timeout says', () => {
    const m = run(params({ orderTimeoutMs: 120_000 }));
    m.send(signal(T0, entryQuote));
    m.send(tick(T0 + 119_999, entryQuote));
    expect(m.state()).toBe('entering');
    m.send(tick(T0 + 120_000, entryQuote));
    expect(m.state()).toBe('cooldown');
  });
});
