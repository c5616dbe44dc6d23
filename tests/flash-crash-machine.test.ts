import Big from 'big.js';
import { createActor } from 'xstate';
import { handOrderIds } from './support/handOrderIds';
import { flashCrashMachine, type FlashCrashEvent, type FlashCrashOrder } from '../machines/flashCrash';
import { afterPrice, isCrash, pushSample, toMicros, windowHigh, type PriceSample } from '../machines/flashCrashWindow';
import { END_TS, UP_TOKEN, fill, input, orderIdOf, quote, rejection, start } from './flash-crash.support';

const T0 = END_TS - 600_000; // ten minutes before the end of the window

/** Shares for $5 at a price, floored to hundredths: computed here without the machine's helpers. */
const sharesFor = (usd: string, price: string) => new Big(usd).div(price).round(2, Big.roundDown).toString();

/** 0.80 -> 0.64 within 5 s: exactly the default 20 % drop. Entry at the ask 0.65, bid 0.64. */
function crash(m: ReturnType<typeof start>, at = T0) {
  m.price(at, 0.8, quote('0.81', '0.80'));
  m.price(at + 2_000, 0.79, quote('0.80', '0.79'));
  m.price(at + 5_000, 0.64, quote('0.65', '0.64'));
}

describe('flash-crash price window', () => {
  it('compares drops exactly: 20 % of 0.82 is 0.164, and 0.70 -> 0.40 is an absolute 0.30', () => {
    const rule = { dropRelative: 0.2, dropAbsolute: null };
    expect(isCrash(toMicros(0.82), toMicros(0.656), rule)).toBe(true);
    expect(isCrash(toMicros(0.82), toMicros(0.657), rule)).toBe(false);
    // In floats 0.7 - 0.4 = 0.29999999999999993, which a naive check would miss.
    expect(0.7 - 0.4 >= 0.3).toBe(false);
    expect(isCrash(toMicros(0.7), toMicros(0.4), { dropRelative: 0.9, dropAbsolute: 0.3 })).toBe(true);
    expect(isCrash(toMicros(0.7), toMicros(0.41), { dropRelative: 0.9, dropAbsolute: 0.3 })).toBe(false);
  });

  it('keeps the lookback high and stays bounded however many prices arrive', () => {
    let w: PriceSample[] = [];
    let maxLen = 0;
    // A saw-tooth over a 0.01 tick, one sample every 7 ms for 70 s.
    const prices: { ts: number; micros: number }[] = [];
    for (let i = 0; i < 10_000; i++) prices.push({ ts: i * 7, micros: 10_000 * (1 + ((i * 37) % 99)) });
    for (const s of prices) {
      w = pushSample(w, s, 10_000);
      maxLen = Math.max(maxLen, w.length);
      if (s.ts % 997 === 0) {
        const inWindow = prices.filter((p) => p.ts >= s.ts - 10_000 && p.ts <= s.ts).map((p) => p.micros);
        expect(windowHigh(w)).toBe(Math.max(...inWindow));
      }
    }
    expect(maxLen).toBeLessThanOrEqual(99);
  });

  it('gives the window after a price and the crash it is, the old window left as it was', () => {
    const rule = { lookbackMs: 10_000, dropRelative: 0.2, dropAbsolute: null };
    const before = afterPrice([], 1_000, 0.82, rule).window;
    const kept = [...before];
    expect(afterPrice(before, 2_000, 0.7, rule)).toEqual({ window: [{ ts: 1_000, micros: 820_000 }, { ts: 2_000, micros: 700_000 }], crash: null });
    expect(afterPrice(before, 3_000, 0.656, rule)).toEqual({ window: [{ ts: 1_000, micros: 820_000 }, { ts: 3_000, micros: 656_000 }], crash: { ts: 3_000, high: 820_000, price: 656_000 } });
    // Past the lookback the old high is gone: no crash from it.
    expect(afterPrice(before, 11_001, 0.6, rule)).toEqual({ window: [{ ts: 11_001, micros: 600_000 }], crash: null });
    expect(before).toEqual(kept);
  });
});

describe('flash-crash machine: entry', () => {
  it('does not enter on a 19 % drop', () => {
    const m = start();
    m.price(T0, 0.8);
    m.price(T0 + 5_000, 0.65); // -18.75 %
    expect(m.state()).toBe('watching');
    expect(m.orders).toEqual([]);
  });

  it('buys the crashed token at the best ask, $5 worth on the tick, when the drop reaches 20 %', () => {
    const m = start();
    crash(m);
    expect(m.state()).toBe('entering');
    expect(m.orders).toHaveLength(1);
    expect(m.orders[0]).toMatchObject({ side: 'BUY', price: '0.65', size: sharesFor('5', '0.65'), tokenId: input().tokenId, outcome: 'Up', orderType: 'market', groupId: null });
    expect(m.orders[0].reason).toContain('0.8 -> 0.64 (-20.0%)');
  });

  it('forgets a high older than the lookback', () => {
    const m = start();
    m.price(T0, 0.8);
    m.price(T0 + 10_001, 0.64); // the 0.80 is 10.001 s old
    expect(m.state()).toBe('watching');
  });

  it('uses the absolute drop when it is set', () => {
    const m = start({ dropRelative: 0.5, dropAbsolute: 0.3 });
    m.price(T0, 0.7);
    m.price(T0 + 1_000, 0.41);
    expect(m.state()).toBe('watching');
    m.price(T0 + 2_000, 0.4);
    expect(m.state()).toBe('entering');
  });

  it('raises the size to the market minimum when $ trade size buys fewer shares', () => {
    const m = start({ tradeUsd: '1' });
    crash(m);
    expect(m.orders[0].size).toBe('5');
  });

  it.each([
    ['the book is stale', { stale: true }],
    ['the market is closed', { open: false }],
    ['the market ends within exitBeforeEndMs', { endTs: T0 + 5_000 + 120_000 }],
  ])('does not enter when %s', (_why, over) => {
    const m = start();
    m.price(T0, 0.8, quote('0.81', '0.80', over));
    m.price(T0 + 5_000, 0.64, quote('0.65', '0.64', over));
    expect(m.state()).toBe('watching');
    expect(m.orders).toEqual([]);
  });

  it('enters when the end is just over exitBeforeEndMs away', () => {
    const m = start();
    const over = { endTs: T0 + 5_000 + 120_001 };
    m.price(T0, 0.8, quote('0.81', '0.80', over));
    m.price(T0 + 5_000, 0.64, quote('0.65', '0.64', over));
    expect(m.state()).toBe('entering');
  });
});

describe('flash-crash machine: exits', () => {
  const size = sharesFor('5', '0.65'); // 7.69
  const cost = new Big(size).times('0.65');

  function holding(over = {}) {
    const m = start({ stopLossUsd: '0.25', ...over });
    crash(m);
    m.actor.send({ type: 'FILL', ts: T0 + 5_100, fill: m.fill(T0 + 5_100, 'BUY', '0.65', size) });
    return m;
  }

  it('takes profit once P&L at the bid reaches $0.10', () => {
    const m = holding();
    expect(m.state()).toBe('holding');
    const at66 = new Big(size).times('0.66').minus(cost); // 0.0769: not yet
    expect(at66.lt('0.10')).toBe(true);
    m.price(T0 + 6_000, 0.66, quote('0.67', '0.66'));
    expect(m.state()).toBe('holding');
    const at67 = new Big(size).times('0.67').minus(cost);
    expect(at67.gte('0.10')).toBe(true);
    m.price(T0 + 7_000, 0.67, quote('0.68', '0.67'));
    expect(m.state()).toBe('exiting');
    expect(m.orders[1]).toMatchObject({ side: 'SELL', price: '0.67', size });
    expect(m.orders[1].reason).toMatch(/^take_profit/);
    m.actor.send({ type: 'FILL', ts: T0 + 7_100, fill: m.fill(T0 + 7_100, 'SELL', '0.67', size) });
    expect(m.state()).toBe('cooldown');
    expect(m.ctx().realisedPnl).toBe(at67.toString());
    expect(m.ctx().cooldownUntil).toBe(T0 + 7_100 + input().cooldownMs);
  });

  it('stops out once P&L at the bid falls $0.25 (configured) below its value when the entry filled', () => {
    const m = holding();
    // Bought at the ask 0.65, marked at the bid 0.64: the entry's own spread is the baseline.
    const base = new Big(size).times('0.64').minus(cost);
    expect(m.ctx().entryPnl).toBe(base.toString());
    m.price(T0 + 6_000, 0.61, quote('0.62', '0.61')); // -0.3076, only 0.2307 below the baseline
    expect(new Big(size).times('0.61').minus(cost).gt(base.minus('0.25'))).toBe(true);
    expect(m.state()).toBe('holding');
    m.price(T0 + 7_000, 0.6, quote('0.61', '0.60')); // -0.3845, 0.3076 below the baseline
    expect(new Big(size).times('0.60').minus(cost).lte(base.minus('0.25'))).toBe(true);
    expect(m.state()).toBe('exiting');
    expect(m.orders[1].reason).toMatch(/^stop_loss/);
  });

  it('with the default $0.05 stop, the spread the entry paid does not stop it out; a one-tick fall after it does', () => {
    const m = start();
    crash(m);
    // Bought at the ask 0.65, marked at the bid 0.64: -0.0769, worse than -0.05, but that is the entry's own spread.
    m.actor.send({ type: 'FILL', ts: T0 + 5_100, fill: m.fill(T0 + 5_100, 'BUY', '0.65', size) });
    expect(m.state()).toBe('holding');
    // The bid falls a tick: 7.69 x -0.01 = -0.0769 below the baseline, beyond the $0.05 stop.
    m.price(T0 + 6_000, 0.63, quote('0.64', '0.63'));
    expect(m.state()).toBe('exiting');
    expect(m.orders[1]).toMatchObject({ side: 'SELL', price: '0.63' });
    expect(m.orders[1].reason).toMatch(/^stop_loss/);
  });

  it('sells after the maximum holding time, seen on a TICK', () => {
    const m = holding();
    const q = quote('0.66', '0.65');
    m.actor.send({ type: 'TICK', ts: T0 + 5_100 + input().maxHoldMs - 1, quote: q });
    expect(m.state()).toBe('holding');
    m.actor.send({ type: 'TICK', ts: T0 + 5_100 + input().maxHoldMs, quote: q });
    expect(m.state()).toBe('exiting');
    expect(m.orders[1].reason).toMatch(/^max_hold/);
  });

  it('sells when the market comes within exitBeforeEndMs of its end', () => {
    const m = holding({ maxHoldMs: 3_600_000 });
    m.actor.send({ type: 'TICK', ts: END_TS - 120_001, quote: quote('0.66', '0.65') });
    expect(m.state()).toBe('holding');
    m.actor.send({ type: 'TICK', ts: END_TS - 120_000, quote: quote('0.66', '0.65') });
    expect(m.state()).toBe('exiting');
    expect(m.orders[1].reason).toMatch(/^end_of_market/);
  });

  it('keeps the last mark on a TICK that carries none, and never sells on a stale book', () => {
    const m = holding();
    m.actor.send({ type: 'TICK', ts: T0 + 6_000, quote: quote(null, null) });
    expect(m.ctx().mark).toEqual({ price: '0.64', net: '0.64' });
    m.price(T0 + 7_000, 0.7, quote('0.71', '0.70', { stale: true }));
    expect(m.state()).toBe('holding');
    m.price(T0 + 8_000, 0.7, quote('0.71', '0.70'));
    expect(m.state()).toBe('exiting');
  });

  it('counts the taker fee: take-profit at the bid net of the exit fee', () => {
    // A fee-enabled market (rate 0.07): net per share = p - 0.07 p (1 - p), computed here.
    const net = (p: string) => new Big(p).minus(new Big('0.07').times(p).times(new Big(1).minus(p))).toString();
    const feeQuote = (ask: string, bid: string) => ({ ...quote(ask, bid), mark: { price: bid, net: net(bid) } });
    const m = start({ stopLossUsd: '0.50' });
    m.price(T0, 0.8, feeQuote('0.81', '0.80'));
    m.price(T0 + 5_000, 0.64, feeQuote('0.65', '0.64'));
    // The buy fee (0.07 x 7.69 x 0.65 x 0.35 = 0.12246325, floored to 0.12246) is taken in shares.
    const buyFee = new Big('0.07').times(size).times('0.65').times('0.35').round(5, Big.roundDown);
    m.actor.send({ type: 'FILL', ts: T0 + 5_100, fill: m.fill(T0 + 5_100, 'BUY', '0.65', size, { fee: buyFee.toString() }) });
    const shares = new Big(size).minus(buyFee.div('0.65').round(6, Big.roundHalfUp));
    expect(m.ctx().shares).toBe(shares.toString());
    const pnlAt = (bid: string) => shares.times(net(bid)).minus(cost);
    // 0.68 would be a take-profit without fees, not with them.
    expect(new Big(size).times('0.68').minus(cost).gte('0.10')).toBe(true);
    expect(pnlAt('0.68').lt('0.10')).toBe(true);
    m.price(T0 + 6_000, 0.68, feeQuote('0.69', '0.68'));
    expect(m.state()).toBe('holding');
    expect(pnlAt('0.72').gte('0.10')).toBe(true);
    m.price(T0 + 7_000, 0.72, feeQuote('0.73', '0.72'));
    expect(m.state()).toBe('exiting');
    expect(m.orders[1]).toMatchObject({ side: 'SELL', size: shares.round(2, Big.roundDown).toString() });
  });
});

describe('flash-crash machine: rejections, partial fills, timeouts', () => {
  it('cools down after the entry is rejected, then watches again', () => {
    const m = start();
    crash(m);
    m.actor.send({ type: 'REJECTED', ts: T0 + 5_050, rejection: m.rejection(T0 + 5_050) });
    expect(m.state()).toBe('cooldown');
    expect(m.ctx().lastRejection).toBe('max_per_trade: order value 5 over 5% of capital');
    m.price(T0 + 5_050 + input().cooldownMs - 1, 0.64);
    expect(m.state()).toBe('cooldown');
    m.price(T0 + 5_050 + input().cooldownMs, 0.64);
    expect(m.state()).toBe('watching');
  });

  it('holds what a partial entry fill bought and sells exactly that', () => {
    const m = start({ stopLossUsd: '0.25' });
    crash(m);
    m.actor.send({ type: 'FILL', ts: T0 + 5_100, fill: m.fill(T0 + 5_100, 'BUY', '0.65', '6.2', { partial: true }) });
    expect(m.state()).toBe('holding');
    m.price(T0 + 9_000, 0.7, quote('0.71', '0.70')); // 6.2 x 0.05 = 0.31
    expect(m.orders[1]).toMatchObject({ side: 'SELL', size: '6.2', price: '0.7' });
  });

  it('after a partial exit fill, holds the rest and sells it again after exitRetryMs', () => {
    const m = start({ stopLossUsd: '0.25' });
    crash(m);
    m.actor.send({ type: 'FILL', ts: T0 + 5_100, fill: m.fill(T0 + 5_100, 'BUY', '0.65', '12', { partial: true }) });
    m.price(T0 + 9_000, 0.7, quote('0.71', '0.70'));
    expect(m.orders[1].size).toBe('12');
    m.actor.send({ type: 'FILL', ts: T0 + 9_100, fill: m.fill(T0 + 9_100, 'SELL', '0.7', '6', { partial: true }) });
    expect(m.state()).toBe('holding');
    expect(m.ctx().shares).toBe('6');
    m.price(T0 + 9_100 + input().exitRetryMs - 1, 0.7, quote('0.71', '0.70'));
    expect(m.state()).toBe('holding');
    m.price(T0 + 9_100 + input().exitRetryMs, 0.7, quote('0.71', '0.70'));
    expect(m.state()).toBe('exiting');
    expect(m.orders[2]).toMatchObject({ side: 'SELL', size: '6' });
    m.actor.send({ type: 'FILL', ts: T0 + 15_000, fill: m.fill(T0 + 15_000, 'SELL', '0.7', '6') });
    expect(m.state()).toBe('cooldown');
    // Bought 12 at 0.65, sold 12 at 0.70.
    expect(m.ctx().realisedPnl).toBe(new Big(12).times('0.05').toString());
  });

  it('leaves a remainder under the minimum size to resolution', () => {
    const m = start({ stopLossUsd: '0.25' });
    crash(m);
    m.actor.send({ type: 'FILL', ts: T0 + 5_100, fill: m.fill(T0 + 5_100, 'BUY', '0.65', '7.69') });
    m.price(T0 + 9_000, 0.7, quote('0.71', '0.70'));
    m.actor.send({ type: 'FILL', ts: T0 + 9_100, fill: m.fill(T0 + 9_100, 'SELL', '0.7', '4', { partial: true }) });
    expect(m.state()).toBe('cooldown');
    expect(m.ctx().abandonedShares).toBe('3.69');
    expect(m.ctx().shares).toBe('0');
  });

  it('after an exit rejection, holds and retries after exitRetryMs', () => {
    const m = start({ stopLossUsd: '0.25' });
    crash(m);
    m.actor.send({ type: 'FILL', ts: T0 + 5_100, fill: m.fill(T0 + 5_100, 'BUY', '0.65', '7.69') });
    m.price(T0 + 9_000, 0.7, quote('0.71', '0.70'));
    m.actor.send({ type: 'REJECTED', ts: T0 + 9_000, rejection: m.rejection(T0 + 9_000, 'kill_switch', 'trading halted') });
    expect(m.state()).toBe('holding');
    m.price(T0 + 9_000 + input().exitRetryMs, 0.7, quote('0.71', '0.70'));
    expect(m.state()).toBe('exiting');
    expect(m.orders).toHaveLength(3);
  });

  it('gives up an entry with no answer after orderTimeoutMs and cools down', () => {
    const m = start();
    crash(m);
    m.actor.send({ type: 'TICK', ts: T0 + 5_000 + input().orderTimeoutMs - 1, quote: quote('0.65', '0.64') });
    expect(m.state()).toBe('entering');
    m.actor.send({ type: 'TICK', ts: T0 + 5_000 + input().orderTimeoutMs, quote: quote('0.65', '0.64') });
    expect(m.state()).toBe('cooldown');
  });

  it('books a late fill of a given-up entry without answering the entry sent after it', () => {
    const m = start();
    crash(m);
    const size = sharesFor('5', '0.65'); // 7.69
    m.actor.send({ type: 'TICK', ts: T0 + 5_000 + input().orderTimeoutMs, quote: quote('0.65', '0.64') });
    expect(m.state()).toBe('cooldown');
    // the cooldown is over at T0 + 95 000: a second crash sends entry 2
    crash(m, T0 + 100_000);
    expect(m.state()).toBe('entering');
    expect(m.orders).toHaveLength(2);
    expect(m.ctx().order).toMatchObject({ orderId: orderIdOf(2), side: 'BUY', requested: size });

    // Entry 1 fills after all: 7.69 at 0.65 with a fee of 0.05 USDC, paid in shares (0.05 / 0.65 = 0.076923).
    m.actor.send({ type: 'FILL', ts: T0 + 105_100, fill: fill(T0 + 105_100, 'BUY', '0.65', size, { orderId: orderIdOf(1), fee: '0.05' }) });
    expect(m.state()).toBe('entering');
    expect(m.ctx().order).toMatchObject({ orderId: orderIdOf(2), filled: '0', status: 'sent' });
    expect(m.ctx().shares).toBe('7.613077');
    expect(m.ctx().cost).toBe('4.9985');
    expect(m.ctx().openedAt).toBe(T0 + 105_100);

    m.actor.send({ type: 'FILL', ts: T0 + 105_200, fill: fill(T0 + 105_200, 'BUY', '0.65', size, { orderId: orderIdOf(2) }) });
    expect(m.state()).toBe('holding');
    expect(m.ctx().order).toBeNull();
    expect(m.ctx().shares).toBe('15.303077');
    expect(m.ctx().cost).toBe('9.997');
    expect(m.ctx().openedAt).toBe(T0 + 105_100);
    expect(m.orders).toHaveLength(2);
  });

  it('a rejection of a given-up entry does not answer the entry sent after it', () => {
    const m = start();
    crash(m);
    m.actor.send({ type: 'TICK', ts: T0 + 5_000 + input().orderTimeoutMs, quote: quote('0.65', '0.64') });
    crash(m, T0 + 100_000);
    m.actor.send({ type: 'REJECTED', ts: T0 + 105_100, rejection: rejection(T0 + 105_100, 'kill_switch', 'trading halted', orderIdOf(1)) });
    expect(m.state()).toBe('entering');
    expect(m.ctx().order).toMatchObject({ orderId: orderIdOf(2), status: 'sent' });
    m.actor.send({ type: 'REJECTED', ts: T0 + 105_200, rejection: m.rejection(T0 + 105_200, 'kill_switch', 'trading halted') });
    expect(m.state()).toBe('cooldown');
  });

  it('books a late fill of a given-up exit without answering the retry sell out after it', () => {
    const m = start({ stopLossUsd: '0.25' });
    crash(m);
    m.actor.send({ type: 'FILL', ts: T0 + 5_100, fill: m.fill(T0 + 5_100, 'BUY', '0.65', '12', { partial: true }) });
    m.price(T0 + 9_000, 0.7, quote('0.71', '0.70')); // take profit: 12 x 0.05 = 0.60
    expect(m.ctx().order).toMatchObject({ orderId: orderIdOf(2), side: 'SELL', requested: '12' });
    m.actor.send({ type: 'TICK', ts: T0 + 9_000 + input().orderTimeoutMs, quote: quote('0.71', '0.70') });
    expect(m.state()).toBe('holding');
    m.price(T0 + 39_000 + input().exitRetryMs, 0.7, quote('0.71', '0.70'));
    expect(m.state()).toBe('exiting');
    expect(m.ctx().order).toMatchObject({ orderId: orderIdOf(3), side: 'SELL', requested: '12' });

    // Sell 2 sells 5 after all: 5 x 0.70 = 3.50 against 5/12 of the 7.80 cost (3.25).
    m.actor.send({ type: 'FILL', ts: T0 + 44_100, fill: fill(T0 + 44_100, 'SELL', '0.7', '5', { orderId: orderIdOf(2), partial: true }) });
    expect(m.state()).toBe('exiting');
    expect(m.ctx().order).toMatchObject({ orderId: orderIdOf(3), filled: '0', status: 'sent' });
    expect(m.ctx().shares).toBe('7');
    expect(m.ctx().cost).toBe('4.55');
    expect(m.ctx().realisedPnl).toBe('0.25');
    expect(m.ctx().openedAt).toBe(T0 + 5_100);

    // Sell 3 gets what is left: 7 x 0.70 = 4.90 against 4.55.
    m.actor.send({ type: 'FILL', ts: T0 + 44_200, fill: fill(T0 + 44_200, 'SELL', '0.7', '7', { orderId: orderIdOf(3), partial: true }) });
    expect(m.state()).toBe('cooldown');
    expect(m.ctx().order).toBeNull();
    expect(m.ctx().shares).toBe('0');
    expect(m.ctx().realisedPnl).toBe('0.6');
    expect(m.orders).toHaveLength(3);
  });

  it('a market cooldown from the other token blocks entries until it ends', () => {
    const m = start();
    m.actor.send({ type: 'MARKET_COOLDOWN', ts: T0 - 1, until: T0 + 30_000 });
    expect(m.state()).toBe('cooldown');
    crash(m);
    expect(m.orders).toEqual([]);
    m.price(T0 + 30_000, 0.64);
    expect(m.state()).toBe('watching');
  });

  it('stops on resolution', () => {
    const m = start();
    crash(m);
    m.actor.send({ type: 'RESOLVED', ts: T0 + 6_000 });
    expect(m.state()).toBe('resolved');
  });
});

describe('flash-crash machine: determinism', () => {
  const script: FlashCrashEvent[] = [
    { type: 'PRICE', ts: T0, price: 0.8, source: 'book', quote: quote('0.81', '0.80') },
    { type: 'PRICE', ts: T0 + 4_000, price: 0.63, source: 'last_trade', quote: quote('0.64', '0.63') },
    { type: 'FILL', ts: T0 + 4_100, fill: fill(T0 + 4_100, 'BUY', '0.64', '7.81', { orderId: orderIdOf(1), partial: true }) },
    { type: 'PRICE', ts: T0 + 6_000, price: 0.65, source: 'book', quote: quote('0.66', '0.65') },
    { type: 'TICK', ts: T0 + 8_000, quote: quote(null, null) },
    { type: 'PRICE', ts: T0 + 9_000, price: 0.7, source: 'book', quote: quote('0.71', '0.70') },
    { type: 'FILL', ts: T0 + 9_100, fill: fill(T0 + 9_100, 'SELL', '0.7', '7.81', { orderId: orderIdOf(2) }) },
    { type: 'PRICE', ts: T0 + 100_000, price: 0.7, source: 'snapshot', quote: quote('0.71', '0.70') },
  ];

  function run(events: FlashCrashEvent[], snapshot?: unknown, sent = 0) {
    const actor = handOrderIds(createActor(flashCrashMachine, { input: input({ stopLossUsd: '0.25' }), ...(snapshot ? { snapshot: snapshot as never } : {}) }), 'flashCrash', UP_TOKEN, { [UP_TOKEN]: sent });
    const out: { order?: FlashCrashOrder; state: string }[] = [];
    actor.on('order_intent', (order) => out.push({ order, state: String(actor.getSnapshot().value) }));
    actor.start();
    for (const e of events) {
      actor.send(e);
      out.push({ state: String(actor.getSnapshot().value) });
    }
    return { out, actor };
  }

  it('gives the same orders and states for the same events, twice', () => {
    const a = run(script).out;
    const b = run(script).out;
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.filter((x) => x.order).map((x) => x.order!.side)).toEqual(['BUY', 'SELL']);
    expect(a[a.length - 1].state).toBe('watching');
  });

  it('continues identically after persist -> restore in mid-position', () => {
    const whole = run(script).out;
    const first = run(script.slice(0, 4));
    expect(String(first.actor.getSnapshot().value)).toBe('holding');
    const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()));
    const second = run(script.slice(4), persisted, first.out.filter((x) => x.order).length).out;
    expect(JSON.stringify([...first.out, ...second])).toBe(JSON.stringify(whole));
  });
});
