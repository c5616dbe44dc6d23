/** The 15-minute strategy's LLM prompt figures (actors/system.ts `portfolioSummary`): the portfolio's cash and today's P&L, on event time. */
import { portfolioSummary } from '../actors/system';
import { Portfolio } from '../actors/execution/portfolio';
import { SimulatedClock } from '../events/clock';
import { utcDay } from '../domain/decimal';
import { fillEvent } from './support/execution';

const D1 = Date.UTC(2026, 2, 1, 23, 59, 0);

describe('portfolioSummary', () => {
  it('gives the cash and the P&L of the event-time UTC day, after every fill and across midnight', () => {
    const portfolio = new Portfolio('100');
    const clock = new SimulatedClock(D1);
    const summary = portfolioSummary(portfolio, clock);
    const expected = () => ({ balance: portfolio.cash().toString(), dailyPnl: portfolio.dayPnl(utcDay(clock.now())).toString() });
    expect(summary()).toEqual({ balance: '100', dailyPnl: '0' });
    portfolio.apply(fillEvent({ ts: D1, price: '0.40', size: '10' }));
    expect(summary()).toEqual(expected());
    expect(summary().balance).toBe('96');
    portfolio.apply(fillEvent({ ts: D1 + 1, side: 'SELL', price: '0.5', size: '10' }));
    const beforeMidnight = summary();
    expect(beforeMidnight).toEqual(expected());
    expect(beforeMidnight.dailyPnl).not.toBe('0');
    clock.advanceTo(D1 + 60_000);
    expect(summary()).toEqual({ balance: beforeMidnight.balance, dailyPnl: '0' });
    // Each call gives its own object.
    expect(summary()).not.toBe(summary());
  });
});
