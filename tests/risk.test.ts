import { makeEvent, type OrderIntentEvent } from '../events/types';
import { validateEvent } from '../events/validate';
import { configSchema } from '../actors/config/schema';
import { PendingOrders, withPendingOrders } from '../actors/execution/pendingOrders';
import { Portfolio } from '../actors/execution/portfolio';
import { RISK_REASONS, checkGroup, checkOrder, riskLimits, riskRejection, type RiskLimits, type RiskVerdict } from '../actors/execution/risk';
import type { MarketContext } from '../actors/execution/marketContext';
import { book, context, fillEvent, intent, levels, looseLimits, marketInfo } from './support/execution';

const DAY = Date.UTC(2026, 0, 15, 12, 0, 0);
const NOW = DAY;

/** A liquid book for token yes1 of market m1, updated at NOW. */
function liquid(over: Parameters<typeof marketInfo>[0] = {}, ts = NOW): MarketContext {
  return context(marketInfo(over), book('yes1', ts, levels(['0.5', '100000']), levels(['0.49', '100000'])));
}

function reason(v: RiskVerdict): string {
  return v.ok ? 'ok' : v.reason;
}

/** `market` null: no snapshot names the token. */
function check(i: OrderIntentEvent, limits: RiskLimits, p = new Portfolio('1000'), market: MarketContext | null = liquid()): string {
  return reason(checkOrder(i, p, market ?? undefined, limits, NOW));
}

describe('risk limits, each at, just below and just above its bound', () => {
  it('max order value (inclusive bound)', () => {
    const limits = looseLimits({ maxOrderUsd: '20' });
    expect(check(intent({ size: '40' }), limits)).toBe('ok'); // 0.5 x 40 = 20
    expect(check(intent({ size: '39.99' }), limits)).toBe('ok');
    expect(check(intent({ size: '40.01' }), limits)).toBe('max_order_value'); // 20.005
  });

  it('max share of capital per trade (5 % of 1000 = 50)', () => {
    const limits = looseLimits({ maxPerTradePct: 0.05 });
    expect(check(intent({ size: '100' }), limits)).toBe('ok');
    expect(check(intent({ size: '99.99' }), limits)).toBe('ok');
    expect(check(intent({ size: '100.01' }), limits)).toBe('max_trade_share');
  });

  it('max share of capital per market (10 %), counting what is already held there', () => {
    const limits = looseLimits({ maxPerMarketPct: 0.1 });
    const p = Portfolio.fromEvents('1000', [fillEvent({ price: '0.5', size: '120' })]); // 60 at cost in m1
    expect(check(intent({ size: '80' }), limits, p)).toBe('ok'); // 60 + 40 = 100
    expect(check(intent({ size: '79.99' }), limits, p)).toBe('ok');
    expect(check(intent({ size: '80.01' }), limits, p)).toBe('max_market_share');
    // another market is not affected by m1's exposure
    const other = context(marketInfo({ id: 'm2', tokenIds: ['yes2', 'no2'] }), book('yes2', NOW, levels(['0.5', '1000'])));
    expect(check(intent({ marketId: 'm2', tokenId: 'yes2', size: '200' }), limits, p, other)).toBe('ok');
  });

  it('total exposure (heat, 30 %) across markets', () => {
    const limits = looseLimits({ maxHeatPct: 0.3 });
    const p = Portfolio.fromEvents('1000', [
      fillEvent({ marketId: 'm7', tokenId: 'a', price: '0.5', size: '300' }), // 150
      fillEvent({ marketId: 'm8', tokenId: 'b', price: '0.25', size: '400' }), // 100
    ]);
    expect(p.heat().toFixed()).toBe('250');
    expect(check(intent({ size: '100' }), limits, p)).toBe('ok'); // 250 + 50 = 300
    expect(check(intent({ size: '99.99' }), limits, p)).toBe('ok');
    expect(check(intent({ size: '100.01' }), limits, p)).toBe('max_heat');
  });

  it('cash: no buy above the cash left (reachable only with a heat limit above 100 %)', () => {
    const limits = looseLimits({ maxHeatPct: 2 });
    const p = Portfolio.fromEvents('1000', [fillEvent({ marketId: 'm9', tokenId: 'c', price: '0.9', size: '1000' })]); // cash 100
    expect(check(intent({ size: '200' }), limits, p)).toBe('ok');
    expect(check(intent({ size: '200.01' }), limits, p)).toBe('insufficient_cash');
  });
});

describe('daily drawdown halt (10 %), by UTC day of event time', () => {
  const limits = looseLimits({ maxDailyDrawdownPct: 0.1 });
  /** A round trip on another token that loses `loss` (bought at 0.5, resolved worthless) on DAY. */
  function losing(cost: string) {
    const size = String(Number(cost) * 2);
    return [
      fillEvent({ ts: DAY - 3_600_000, marketId: 'mx', tokenId: 'lose', price: '0.5', size }),
      makeEvent('market_resolved', DAY - 60_000, { market: 'mx', winningTokenId: 'win', winningOutcome: 'No' }),
    ];
  }

  it('trades on below the bound and halts at and above it', () => {
    expect(check(intent(), limits, Portfolio.fromEvents('1000', losing('99.99')))).toBe('ok');
    expect(check(intent(), limits, Portfolio.fromEvents('1000', losing('100')))).toBe('daily_drawdown_halt');
    expect(check(intent(), limits, Portfolio.fromEvents('1000', losing('100.01')))).toBe('daily_drawdown_halt');
  });

  it('lifts on the next UTC day, measured against that day’s starting capital', () => {
    const p = Portfolio.fromEvents('1000', losing('100'));
    const lastMsOfDay = Date.UTC(2026, 0, 15, 23, 59, 59, 999);
    const nextDay = Date.UTC(2026, 0, 16, 0, 0, 0);
    const fresh = (ts: number) => liquid({}, ts);
    expect(reason(checkOrder(intent(), p, fresh(lastMsOfDay), limits, lastMsOfDay))).toBe('daily_drawdown_halt');
    expect(reason(checkOrder(intent(), p, fresh(nextDay), limits, nextDay))).toBe('ok');
    expect(p.capitalAtDayStart('2026-01-16').toFixed()).toBe('900');
  });

  it('still lets a halted system sell what it holds', () => {
    const p = Portfolio.fromEvents('1000', [fillEvent({ ts: DAY - 7_200_000, price: '0.5', size: '10' }), ...losing('100')]);
    expect(check(intent({ side: 'BUY' }), limits, p)).toBe('daily_drawdown_halt');
    expect(check(intent({ side: 'SELL', price: '0.49', size: '10' }), limits, p)).toBe('ok');
  });
});

describe('consecutive losses halt', () => {
  const limits = looseLimits({ maxConsecutiveLosses: 3 });
  let n = 0;
  /** One closed round trip on its own token: bought at 0.5, sold at `exit`. */
  function trip(exit: string) {
    const token = `t${n++}`;
    return [
      fillEvent({ tokenId: token, marketId: `m-${token}`, price: '0.5', size: '10' }),
      fillEvent({ tokenId: token, marketId: `m-${token}`, side: 'SELL', price: exit, size: '10' }),
    ];
  }

  it('halts after N losing round trips in a row, not before', () => {
    expect(check(intent(), limits, Portfolio.fromEvents('1000', [...trip('0.4'), ...trip('0.4')]))).toBe('ok');
    const p = Portfolio.fromEvents('1000', [...trip('0.4'), ...trip('0.4'), ...trip('0.4')]);
    expect(p.lossStreak).toBe(3);
    expect(check(intent(), limits, p)).toBe('consecutive_losses_halt');
  });

  it('a winning round trip breaks the streak', () => {
    const p = Portfolio.fromEvents('1000', [...trip('0.4'), ...trip('0.4'), ...trip('0.6'), ...trip('0.4')]);
    expect(p.lossStreak).toBe(1);
    expect(check(intent(), limits, p)).toBe('ok');
  });

  it('with lossStreakReset daily, lifts on the UTC day after the last loss (and stays all day of it)', () => {
    const daily = looseLimits({ maxConsecutiveLosses: 3, lossStreakReset: 'daily' });
    const fresh = (ts: number) => liquid({}, ts);
    const p = Portfolio.fromEvents('1000', [...trip('0.4'), ...trip('0.4'), ...trip('0.4')]);
    const lossTs = fillEvent({}).ts; // the trips' fills: 2023-11-14 22:13:20 UTC
    const lastMsOfDay = Date.UTC(2023, 10, 14, 23, 59, 59, 999);
    const nextDay = lastMsOfDay + 1;
    expect(p.lossDay).toBe('2023-11-14');
    expect(new Date(lossTs).toISOString().slice(0, 10)).toBe('2023-11-14');
    expect(reason(checkOrder(intent(), p, fresh(lastMsOfDay), daily, lastMsOfDay))).toBe('consecutive_losses_halt');
    expect(reason(checkOrder(intent(), p, fresh(nextDay), daily, nextDay))).toBe('ok');
    expect(reason(checkOrder(intent(), p, fresh(nextDay), { ...daily, lossStreakReset: 'never' }, nextDay))).toBe('consecutive_losses_halt');
  });

  it('counts a hedged pair (both outcomes of one market) as one round trip with one P&L', () => {
    // Up bought at 0.45, Down at 0.50 (sum 0.95): the market resolves Up; Down alone lost 5, the pair made 0.5
    const pair = [
      fillEvent({ tokenId: 'up', marketId: 'pair-m', price: '0.45', size: '10' }),
      fillEvent({ tokenId: 'down', marketId: 'pair-m', price: '0.50', size: '10' }),
      makeEvent('market_resolved', NOW, { market: 'pair-m', winningTokenId: 'up', winningOutcome: 'Up' }),
    ];
    const p = Portfolio.fromEvents('1000', [...trip('0.4'), ...trip('0.4'), ...pair]);
    expect(p.roundTrips).toEqual({ wins: 1, losses: 2 });
    expect(p.lossStreak).toBe(0);
  });

  it('stays halted until a reset_losses risk_control, and lets sells through meanwhile', () => {
    const events = [fillEvent({ price: '0.5', size: '10' }), ...trip('0.4'), ...trip('0.4'), ...trip('0.4')];
    const p = Portfolio.fromEvents('1000', events);
    expect(check(intent(), limits, p)).toBe('consecutive_losses_halt');
    expect(check(intent({ side: 'SELL', price: '0.49', size: '10' }), limits, p)).toBe('ok');
    p.apply(makeEvent('risk_control', NOW, { action: 'reset_losses', detail: 'operator' }));
    expect(check(intent(), limits, p)).toBe('ok');
  });
});

describe('kill switch', () => {
  it('from the config stops every order, exits included', () => {
    const p = Portfolio.fromEvents('1000', [fillEvent({ price: '0.5', size: '10' })]);
    const limits = looseLimits({ killSwitch: true });
    expect(check(intent(), limits, p)).toBe('kill_switch');
    expect(check(intent({ side: 'SELL', price: '0.49', size: '10' }), limits, p)).toBe('kill_switch');
  });

  it('from risk_control events: kill, then resume', () => {
    const p = new Portfolio('1000');
    p.apply(makeEvent('risk_control', NOW, { action: 'kill', detail: 'operator' }));
    expect(check(intent(), looseLimits(), p)).toBe('kill_switch');
    p.apply(makeEvent('risk_control', NOW, { action: 'resume', detail: 'operator' }));
    expect(check(intent(), looseLimits(), p)).toBe('ok');
  });
});

describe('the market’s own rules', () => {
  const limits = looseLimits();

  it('price on the tick and within [tick, 1 - tick]', () => {
    expect(check(intent({ price: '0.5' }), limits)).toBe('ok');
    expect(check(intent({ price: '0.505' }), limits)).toBe('off_tick');
    expect(check(intent({ price: '0.01' }), limits)).toBe('ok');
    expect(check(intent({ price: '0.99' }), limits)).toBe('ok');
    expect(check(intent({ price: '0.005' }), limits)).toBe('price_out_of_range');
    expect(check(intent({ price: '0.995' }), limits)).toBe('price_out_of_range');
    expect(check(intent({ price: '1' }), limits)).toBe('price_out_of_range');
    const fine = liquid({ tickSize: '0.001' });
    expect(check(intent({ price: '0.505' }), limits, undefined, fine)).toBe('ok');
    expect(check(intent({ price: '0.999' }), limits, undefined, fine)).toBe('ok');
    expect(check(intent({ price: '0.5055' }), limits, undefined, fine)).toBe('off_tick');
  });

  it('size at least the minimum, in hundredths of a share', () => {
    expect(check(intent({ size: '5' }), limits)).toBe('ok');
    expect(check(intent({ size: '4.99' }), limits)).toBe('below_min_size');
    expect(check(intent({ size: '5.01' }), limits)).toBe('ok');
    expect(check(intent({ size: '5.001' }), limits)).toBe('size_precision');
    expect(check(intent({ size: '0' }), limits)).toBe('invalid_order');
    expect(check(intent({ size: '1e3' }), limits)).toBe('invalid_order');
  });

  it('closed, unknown and fee-less markets', () => {
    expect(check(intent(), limits, undefined, liquid({ acceptingOrders: false }))).toBe('market_closed');
    expect(check(intent(), limits, undefined, liquid({ closed: true }))).toBe('market_closed');
    expect(check(intent(), limits, new Portfolio('1000'), null)).toBe('unknown_market');
    expect(check(intent(), limits, undefined, liquid({ feesEnabled: true, feeSchedule: null }))).toBe('fee_schedule_invalid');
  });

  it('stale market data: older than the limit, or a feed marked stale', () => {
    const at = (dataTs: number) => context(marketInfo(), book('yes1', dataTs, levels(['0.5', '100'])), dataTs);
    expect(check(intent(), limits, undefined, at(NOW - 10_000))).toBe('ok');
    expect(check(intent(), limits, undefined, at(NOW - 10_001))).toBe('stale_market_data');
    expect(check(intent(), limits, undefined, context(marketInfo(), null, null))).toBe('stale_market_data');
    expect(check(intent(), limits, undefined, { ...liquid(), stale: true })).toBe('stale_market_data');
  });

  it('no liquidity on the side the order would take', () => {
    const noAsks = context(marketInfo(), book('yes1', NOW, [], levels(['0.49', '100'])));
    expect(check(intent({ side: 'BUY' }), limits, undefined, noAsks)).toBe('no_liquidity');
    const snapshotOnly = context(marketInfo(), null, NOW, { quote: { bid: '0.49', ask: null } });
    expect(check(intent({ side: 'BUY' }), limits, undefined, snapshotOnly)).toBe('no_liquidity');
    expect(check(intent({ side: 'BUY' }), limits, undefined, { ...snapshotOnly, quote: { bid: '0.49', ask: '0.51' } })).toBe('ok');
  });

  it('no selling of shares the strategy does not hold', () => {
    const p = Portfolio.fromEvents('1000', [fillEvent({ strategy: 's1', price: '0.5', size: '10' })]);
    expect(check(intent({ strategy: 's1', side: 'SELL', size: '10' }), limits, p)).toBe('ok');
    expect(check(intent({ strategy: 's1', side: 'SELL', size: '10.01' }), limits, p)).toBe('insufficient_position');
    expect(check(intent({ strategy: 's2', side: 'SELL', size: '5' }), limits, p)).toBe('insufficient_position');
  });

  it('no selling of shares that SELLs of the strategy sent and not ended already offer', () => {
    const p = Portfolio.fromEvents('1000', [fillEvent({ strategy: 's1', price: '0.5', size: '10' })]);
    const sell = (orderId: string, strategy: string, tokenId: string, size: string) => intent({ orderId, strategy, tokenId, side: 'SELL', size });
    // Another strategy's SELL of the token and s1's SELL of another token reserve nothing of s1's yes1.
    const pending = PendingOrders.fromEvents([sell('r1', 's1', 'yes1', '4'), sell('r2', 's2', 'yes1', '10'), sell('r3', 's1', 'no1', '10')]);
    const state = withPendingOrders(p, pending);
    const verdict = (size: string) => {
      const v = checkOrder(intent({ strategy: 's1', side: 'SELL', size }), state, liquid(), limits, NOW);
      return v.ok ? 'ok' : `${v.reason}: ${v.detail}`;
    };
    expect(verdict('6')).toBe('ok');
    expect(verdict('6.01')).toBe('insufficient_position: sell of 6.01 above the 6 unreserved of the 10 shares s1 holds of yes1; 4 reserved by 1 SELL order sent and not ended');
    // More reserved than held (the position shrank under an open SELL): nothing is free, never a negative figure.
    pending.apply(sell('r4', 's1', 'yes1', '8'));
    expect(verdict('5')).toBe('insufficient_position: sell of 5 above the 0 unreserved of the 10 shares s1 holds of yes1; 12 reserved by 2 SELL orders sent and not ended');
  });
});

describe('groups: all legs or none', () => {
  const legA = () => intent({ groupId: 'g', marketId: 'mA', tokenId: 'a', size: '60' }); // 30
  const legB = () => intent({ groupId: 'g', marketId: 'mB', tokenId: 'b', size: '60' }); // 30
  const markets = (tokenId: string) => context(marketInfo({ id: `m${tokenId.toUpperCase()}`, tokenIds: [tokenId, `${tokenId}-no`] }), book(tokenId, NOW, levels(['0.5', '1000'])));

  it('passes every leg when the group fits', () => {
    const verdicts = checkGroup([legA(), legB()], new Portfolio('1000'), markets, looseLimits({ maxHeatPct: 0.06 }), NOW);
    expect(verdicts.map(reason)).toEqual(['ok', 'ok']);
  });

  it('rejects every leg when the legs fit alone but not together', () => {
    const limits = looseLimits({ maxHeatPct: 0.059 }); // 59: each leg (30) fits, both (60) do not
    expect(reason(checkOrder(legA(), new Portfolio('1000'), markets('a'), limits, NOW))).toBe('ok');
    expect(reason(checkOrder(legB(), new Portfolio('1000'), markets('b'), limits, NOW))).toBe('ok');
    const [a, b] = [legA(), legB()];
    const verdicts = checkGroup([a, b], new Portfolio('1000'), markets, limits, NOW);
    expect(verdicts.map(reason)).toEqual(['group_rejected', 'max_heat']);
    expect(verdicts[0].ok ? '' : verdicts[0].detail).toContain(b.orderId);
  });

  it('rejects every leg when one breaks a market rule', () => {
    const verdicts = checkGroup([legA(), { ...legB(), price: '0.505' }], new Portfolio('1000'), markets, looseLimits(), NOW);
    expect(verdicts.map(reason)).toEqual(['group_rejected', 'off_tick']);
  });
});

describe('wiring', () => {
  it('takes its limits from the config defaults', () => {
    const limits = riskLimits(configSchema.parse({}));
    expect(limits).toEqual({
      maxOrderUsd: '50',
      maxPerTradePct: 0.05,
      maxPerMarketPct: 0.1,
      maxHeatPct: 0.3,
      maxDailyDrawdownPct: 0.1,
      maxConsecutiveLosses: 3,
      lossStreakReset: 'daily',
      killSwitch: false,
      maxDataAgeMs: 10_000,
    });
  });

  it('turns a failed verdict into a risk_rejection event with a stable reason', () => {
    const i = intent({ price: '0.505' });
    const v = checkOrder(i, new Portfolio('1000'), liquid(), looseLimits(), NOW);
    if (v.ok) throw new Error('expected a rejection');
    const e = riskRejection(i, v, NOW);
    expect(e).toMatchObject({ type: 'risk_rejection', ts: NOW, orderId: i.orderId, strategy: 's1', reason: 'off_tick' });
    expect(RISK_REASONS).toContain(e.reason);
  });
});

describe('risk_control input events', () => {
  it('are validated from a log line, naming the field when the action is unknown', () => {
    const line = { v: 1, seq: 7, ts: NOW, type: 'risk_control', action: 'kill', detail: 'operator' };
    expect(validateEvent(line, { file: 'events.jsonl', line: 7 })).toEqual(line);
    expect(() => validateEvent({ ...line, action: 'pause' }, { file: 'events.jsonl', line: 7 })).toThrow("events.jsonl:7: field 'action': expected one of kill, resume, reset_losses");
  });
});
