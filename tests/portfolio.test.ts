import Big from 'big.js';
import fc from 'fast-check';
import { makeEvent, type AnyEvent, type FillEvent } from '../events/types';
import { PaperBroker } from '../actors/execution/paperBroker';
import { Portfolio, UNKNOWN_STRATEGY } from '../actors/execution/portfolio';
import { book, context, crypto7, fillEvent, intent, levels, marketInfo } from './support/execution';

const D1 = Date.UTC(2026, 2, 1, 10, 0, 0);
const b = (s: string | number) => new Big(s);
const round6 = (x: Big) => x.round(6, Big.roundHalfUp);

describe('portfolio reconciles with the fills, to the last decimal', () => {
  it('cash = start - buys + sells - sell fees + payouts; buy fees come out of the shares', () => {
    const market = marketInfo({ ...crypto7, tokenIds: ['yes1', 'no1'] });
    const yes = book('yes1', D1, levels(['0.40', '10'], ['0.42', '20']), levels(['0.38', '15']));
    const no = book('no1', D1, levels(['0.55', '30']));
    const broker = new PaperBroker();
    const p = new Portfolio('1000');
    const fills: FillEvent[] = [];
    const run = (i: ReturnType<typeof intent>, tokenBook: typeof yes) => {
      const r = broker.execute(i, context(market, tokenBook), i.ts);
      if (r.type !== 'fill') throw new Error(r.detail);
      fills.push(r);
      p.apply(r);
    };
    run(intent({ ts: D1, tokenId: 'yes1', price: '0.42', size: '25' }), yes);
    run(intent({ ts: D1 + 1, tokenId: 'no1', price: '0.55', size: '20' }), no);
    run(intent({ ts: D1 + 2, tokenId: 'yes1', side: 'SELL', price: '0.38', size: '10' }), yes);
    p.apply(makeEvent('market_resolved', D1 + 3, { market: 'm1', winningTokenId: 'yes1', winningOutcome: 'Yes' }));

    // by hand: buy yes 10 x 0.40 + 15 x 0.42 = 10.3 (avg 0.412); fee 10 x 0.07 x 0.4 x 0.6 + 15 x 0.07 x 0.42 x 0.58
    const buyYesFee = b('0.168').plus('0.25578');
    const yesShares = b('25').minus(round6(buyYesFee.div('0.412')));
    // buy no 20 x 0.55 = 11; fee 20 x 0.07 x 0.55 x 0.45 = 0.3465, taken in shares; the position resolves to 0
    // sell yes 10 x 0.38 = 3.8; fee 10 x 0.07 x 0.38 x 0.62 = 0.16492 in USDC
    const sellFee = b('10').times('0.07').times('0.38').times('0.62');
    const payout = yesShares.minus(10);
    const cash = b('1000').minus('10.3').minus('11').plus('3.8').minus(sellFee).plus(payout);

    expect(fills.map((f) => f.fee)).toEqual([buyYesFee.toFixed(), '0.3465', sellFee.toFixed()]);
    expect(p.cash().toFixed()).toBe(cash.toFixed());
    expect(p.realised().toFixed()).toBe(cash.minus(1000).toFixed());
    expect(p.positions()).toEqual([]);
    expect(p.heat().toFixed()).toBe('0');
    const json = p.toJSON();
    expect(json.totals).toEqual({ bought: '21.3', sold: '3.8', sellFees: sellFee.toFixed(), buyFeeValue: buyYesFee.plus('0.3465').toFixed(), payouts: payout.toFixed() });
    // yes made money, no lost its 11: both are s1's positions in market m1, so one round trip with one
    // P&L (everything realised), which is a loss
    expect(cash.minus(1000).lt(0)).toBe(true);
    expect(json.roundTrips).toEqual({ wins: 0, losses: 1 });
    expect(json.lossStreak).toBe(1);
  });

  it('removes cost at the average on partial sells, and the round trip realises exactly proceeds - cost', () => {
    const p = Portfolio.fromEvents('100', [
      fillEvent({ ts: D1, price: '0.40', size: '10' }),
      fillEvent({ ts: D1, price: '0.42', size: '20' }),
      fillEvent({ ts: D1 + 1, side: 'SELL', price: '0.5', size: '10' }),
    ]);
    // cost 4 + 8.4 = 12.4 for 30 shares; a third of it leaves with the first sell
    expect(p.position('s1', 'yes1')).toMatchObject({ shares: '20', cost: b('12.4').minus(b('12.4').div(3).round(10, Big.roundHalfUp)).toFixed() });
    expect(p.realised().toFixed()).toBe(b('5').minus(b('12.4').div(3).round(10, Big.roundHalfUp)).toFixed());
    p.apply(fillEvent({ ts: D1 + 2, side: 'SELL', price: '0.5', size: '20' }));
    expect(p.realised().toFixed()).toBe('2.6'); // 15 - 12.4, whatever the rounding in between
    expect(p.cash().toFixed()).toBe('102.6');
    expect(p.roundTrips).toEqual({ wins: 1, losses: 0 });
  });

  it('closes a round trip when only unsellable dust is left after the buy fee', () => {
    // 10 shares at 0.5 with a fee of 0.175 USDC = 0.35 shares withheld: 9.65 held, all sold at 0.4
    const p = Portfolio.fromEvents('100', [fillEvent({ ts: D1, price: '0.5', size: '10', fee: '0.175' }), fillEvent({ ts: D1 + 1, side: 'SELL', price: '0.4', size: '9.65', fee: '0' })]);
    expect(p.positions()).toEqual([]);
    expect(p.lossStreak).toBe(1);
    const dusty = Portfolio.fromEvents('100', [fillEvent({ ts: D1, price: '0.3', size: '10', fee: '0.1' }), fillEvent({ ts: D1 + 1, side: 'SELL', price: '0.4', size: '9.66', fee: '0' })]);
    // 0.1 / 0.3 = 0.333333 withheld: 9.666667 held, 0.006667 left after the sell
    expect(dusty.position('s1', 'yes1')?.shares).toBe('0.006667');
    expect(dusty.roundTrips).toEqual({ wins: 1, losses: 0 });
  });

  it('marks equity to given prices, at cost where no price is given', () => {
    const p = Portfolio.fromEvents('100', [fillEvent({ tokenId: 'a', marketId: 'ma', price: '0.4', size: '10' }), fillEvent({ tokenId: 'b', marketId: 'mb', price: '0.2', size: '10' })]);
    const marks: Record<string, string> = { a: '0.55' };
    expect(p.equity((t) => marks[t] ?? null).toFixed()).toBe(b('94').plus('5.5').plus('2').toFixed());
    expect(p.capital().toFixed()).toBe('100');
  });
});

describe('portfolio by day, by strategy, and from the exchange', () => {
  it('books realised P&L on the UTC day of the event that realised it', () => {
    const lastMs = Date.UTC(2026, 2, 1, 23, 59, 59, 999);
    const p = Portfolio.fromEvents('100', [
      fillEvent({ ts: D1, tokenId: 'a', price: '0.5', size: '10' }),
      fillEvent({ ts: lastMs, tokenId: 'a', side: 'SELL', price: '0.4', size: '5' }),
      fillEvent({ ts: lastMs + 1, tokenId: 'a', side: 'SELL', price: '0.7', size: '5' }),
    ]);
    expect(p.toJSON().dailyPnl).toEqual({ '2026-03-01': '-0.5', '2026-03-02': '1' });
    expect(p.capitalAtDayStart('2026-03-02').toFixed()).toBe('99.5');
  });

  it('keeps positions per (strategy, token)', () => {
    const p = Portfolio.fromEvents('100', [fillEvent({ strategy: 'flash', size: '10' }), fillEvent({ strategy: 'arb', size: '4' })]);
    expect(p.shares('flash', 'yes1').toFixed()).toBe('10');
    expect(p.shares('arb', 'yes1').toFixed()).toBe('4');
    expect(p.marketExposure('m1').toFixed()).toBe('7');
  });

  it('books exchange fills under the strategy and market of their order intent', () => {
    const i = intent({ ts: D1, strategy: 'negrisk', marketId: 'm5', tokenId: 't5', price: '0.3', size: '10' });
    const p = Portfolio.fromEvents('100', [
      i,
      makeEvent('exchange_fill', D1 + 5, { orderId: i.orderId, tokenId: 't5', side: 'BUY', price: '0.3', size: '10', fee: '0.147' }),
      makeEvent('exchange_fill', D1 + 6, { orderId: 'not-ours', tokenId: 't6', side: 'BUY', price: '0.5', size: '2', fee: '0' }),
    ]);
    // 0.147 / 0.3 = 0.49 shares withheld
    expect(p.position('negrisk', 't5')).toEqual({ strategy: 'negrisk', tokenId: 't5', marketId: 'm5', shares: '9.51', cost: '3' });
    expect(p.position(UNKNOWN_STRATEGY, 't6')?.shares).toBe('2');
    p.apply(makeEvent('market_resolved', D1 + 10, { market: 'm5', winningTokenId: 't5', winningOutcome: 'Yes' }));
    // Exchange shares are on chain: the payout is due at the resolution and reaches cash with its confirmed redemption.
    expect([p.cash().toFixed(), p.redeemableOf('t5').toFixed()]).toEqual(['96', '9.51']);
    p.apply(makeEvent('redemption', D1 + 11, { intentId: 'redeem:m5', conditionId: 'm5', tokenId: 't5', status: 'confirmed', txHash: '0x1', rawTx: null, payout: '9.51', detail: '' }));
    expect(p.cash().toFixed()).toBe(b('100').minus(3).minus(1).plus('9.51').toFixed());
  });
});

describe('portfolio remembers only orders that can still fill', () => {
  it('forgets an order once it is rejected: a long run of refused orders leaves nothing behind', () => {
    const p = new Portfolio('100');
    for (let n = 0; n < 5_000; n++) {
      const i = intent({ ts: D1 + n, strategy: 'flash', orderId: `flash:${n}`, tokenId: `t${n % 7}` });
      p.apply(i);
      p.apply(makeEvent('risk_rejection', D1 + n, { orderId: i.orderId, strategy: 'flash', reason: 'consecutive_losses_halt', detail: 'halted' }));
    }
    expect(p.rememberedOrders).toBe(0);
    // An order that was not rejected keeps its group for its fill (a negRisk set is one round trip).
    const leg = intent({ ts: D1, strategy: 'negrisk', orderId: 'negrisk:1', marketId: 'm5', tokenId: 't5', price: '0.3', size: '10', groupId: 'g1' });
    p.apply(leg);
    expect(p.rememberedOrders).toBe(1);
    p.apply(makeEvent('exchange_fill', D1 + 5, { orderId: leg.orderId, tokenId: 't5', side: 'BUY', price: '0.3', size: '10', fee: '0' }));
    expect(p.position('negrisk', 't5')?.marketId).toBe('m5');
  });
});

describe('portfolio survives a restart by replaying the log', () => {
  const day2 = D1 + 86_400_000;
  const i1 = intent({ ts: D1, strategy: 'live', marketId: 'm9', tokenId: 't9', size: '20' });
  const log: AnyEvent[] = [
    fillEvent({ ts: D1, strategy: 'flash', tokenId: 'a', marketId: 'ma', price: '0.31', size: '16.13', fee: '0.03447' }),
    fillEvent({ ts: D1 + 10, strategy: 'arb', tokenId: 'b', marketId: 'mb', price: '0.47', size: '10', fee: '0.01' }),
    i1,
    makeEvent('exchange_fill', D1 + 20, { orderId: i1.orderId, tokenId: 't9', side: 'BUY', price: '0.5', size: '20', fee: '0.35' }),
    fillEvent({ ts: D1 + 30, strategy: 'flash', tokenId: 'a', marketId: 'ma', side: 'SELL', price: '0.29', size: '8', fee: '0.01441' }),
    makeEvent('risk_control', D1 + 40, { action: 'kill', detail: 'operator' }),
    makeEvent('market_resolved', day2, { market: 'mb', winningTokenId: 'b-no', winningOutcome: 'No' }),
    makeEvent('risk_control', day2 + 1, { action: 'resume', detail: 'operator' }),
    makeEvent('trade', day2 + 2, { venue: 'binance', symbol: 'BTCUSDT', tradeId: 1, price: '1', qty: '1', buyerMaker: false }),
    fillEvent({ ts: day2 + 3, strategy: 'flash', tokenId: 'a', marketId: 'ma', side: 'SELL', price: '0.35', size: '7', fee: '0.01' }),
  ];

  it('the replayed fold equals the incremental one byte for byte, at every point', () => {
    const live = new Portfolio('500');
    log.forEach((e, n) => {
      live.apply(e);
      const restarted = Portfolio.fromEvents('500', log.slice(0, n + 1));
      expect(JSON.stringify(restarted)).toBe(JSON.stringify(live));
    });
    const json = live.toJSON();
    expect(json.killed).toBe(false);
    expect(Object.keys(json.positions)).toEqual(['flash/a', 'live/t9']);
    expect(json.roundTrips.losses).toBe(1); // arb's b lost at the resolution
  });

  it('serialises with sorted keys, whatever order positions were opened in', () => {
    const [x, y] = [fillEvent({ ts: D1, tokenId: 'x', marketId: 'mx' }), fillEvent({ ts: D1, tokenId: 'y', marketId: 'my' })];
    const one = JSON.stringify(Portfolio.fromEvents('100', [x, y]));
    const other = JSON.stringify(Portfolio.fromEvents('100', [y, x]));
    expect(one).toBe(other);
    const keys = Object.keys(JSON.parse(one) as Record<string, unknown>);
    expect(keys).toEqual([...keys].sort());
  });
});

describe('portfolio identities on random fill sequences', () => {
  it('cash and shares reconcile with the events, and capital = start + realised', () => {
    const step = fc.record({
      token: fc.constantFrom('a', 'b', 'c'),
      buy: fc.boolean(),
      cents: fc.integer({ min: 1, max: 99 }),
      hundredths: fc.integer({ min: 1, max: 5000 }),
      feeBp: fc.integer({ min: 0, max: 200 }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.constantFrom('a', 'b', 'c'), (steps, winner) => {
        const held = new Map<string, Big>();
        const events: AnyEvent[] = [];
        let cash = b('1000');
        steps.forEach((s, n) => {
          const price = b(s.cents).div(100);
          let size = b(s.hundredths).div(100);
          const have = held.get(s.token) ?? b(0);
          if (!s.buy) size = size.gt(have) ? have.round(2, Big.roundDown) : size;
          if (size.eq(0)) return;
          const fee = price.times(size).times(s.feeBp).div(10_000).round(5, Big.roundDown);
          events.push(fillEvent({ ts: D1 + n, tokenId: s.token, marketId: 'm', side: s.buy ? 'BUY' : 'SELL', price: price.toFixed(), size: size.toFixed(), fee: fee.toFixed() }));
          if (s.buy) {
            cash = cash.minus(price.times(size));
            held.set(s.token, have.plus(size).minus(fee.div(price).round(6, Big.roundHalfUp)));
          } else {
            cash = cash.plus(price.times(size)).minus(fee);
            held.set(s.token, have.minus(size));
          }
        });
        const p = Portfolio.fromEvents('1000', events);
        for (const [token, shares] of held) expect(p.shares('s1', token).toFixed()).toBe(shares.toFixed());
        expect(p.cash().toFixed()).toBe(cash.toFixed());
        expect(p.capital().toFixed()).toBe(b('1000').plus(p.realised()).toFixed());
        p.apply(makeEvent('market_resolved', D1 + 1000, { market: 'm', winningTokenId: winner, winningOutcome: winner }));
        const payout = held.get(winner) ?? b(0);
        expect(p.cash().toFixed()).toBe(cash.plus(payout).toFixed());
        expect(p.heat().toFixed()).toBe('0');
        expect(p.realised().toFixed()).toBe(p.cash().minus(1000).toFixed());
      }),
      { numRuns: 200, seed: 20260301 },
    );
  });
});

describe('portfolio: on-chain shares pay out when their redemption is confirmed', () => {
  const resolved = (ts: number) => makeEvent('market_resolved', ts, { market: 'm1', winningTokenId: 'yes1', winningOutcome: 'Yes' });
  const redemption = (ts: number, status: 'submitted' | 'confirmed' | 'failed', payout: string) =>
    makeEvent('redemption', ts, { intentId: 'redeem:0xc1', conditionId: '0xc1', tokenId: 'yes1', status, txHash: '0xabc', rawTx: null, payout, detail: '' });
  const bought = () => {
    const p = new Portfolio('1000');
    p.apply(makeEvent('order_intent', D1, { orderId: 'o1', strategy: 's', marketId: 'm1', tokenId: 'yes1', outcome: 'Yes', side: 'BUY', price: '0.4', size: '10', orderType: 'limit', reason: '', groupId: null }));
    p.apply(makeEvent('exchange_fill', D1 + 1, { orderId: 'o1', tokenId: 'yes1', side: 'BUY', price: '0.4', size: '10', fee: '0', tradeId: 't1' }));
    return p;
  };

  it('the resolution realises the P&L and makes the payout due (capital, not cash); only a confirmed redemption pays it, once', () => {
    const p = bought();
    p.apply(resolved(D1 + 2));
    expect([p.cash().toString(), p.capital().toString(), p.realised().toString(), p.redeemable(), p.positions()]).toEqual(['996', '1006', '6', [{ tokenId: 'yes1', payout: '10' }], []]);
    p.apply(redemption(D1 + 3, 'submitted', '0'));
    p.apply(redemption(D1 + 4, 'failed', '0'));
    expect([p.cash().toString(), p.redeemableOf('yes1').toString()]).toEqual(['996', '10']);
    p.apply(redemption(D1 + 5, 'confirmed', '10'));
    expect([p.cash().toString(), p.capital().toString(), p.realised().toString(), p.redeemable()]).toEqual(['1006', '1006', '6', []]);
    expect(p.toJSON().redeemable).toEqual({});
  });

  it('a chain payout other than what the log expected settles the difference under external', () => {
    const p = bought();
    p.apply(resolved(D1 + 2));
    p.apply(redemption(D1 + 3, 'confirmed', '9.5'));
    expect([p.cash().toString(), p.realised().toString(), p.realisedByStrategy().get(UNKNOWN_STRATEGY)?.toString()]).toEqual(['1005.5', '5.5', '-0.5']);
  });

  it('paper shares pay at the resolution and the JSON has no redeemable key (paper outputs unchanged)', () => {
    const p = new Portfolio('1000');
    p.apply(fillEvent({ orderId: 'a', strategy: 's', marketId: 'm1', tokenId: 'yes1', side: 'BUY', price: '0.4', size: '10', fee: '0', ts: D1 }));
    p.apply(resolved(D1 + 1));
    expect([p.cash().toString(), p.redeemable()]).toEqual(['1006', []]);
    expect('redeemable' in p.toJSON()).toBe(false);
  });
});
