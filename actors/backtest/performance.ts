import Big from 'big.js';
import type { Decimal } from '../../events/types';
import type { MarketResult, Performance, RoundTripRow } from './reportTypes';

const DAYS_PER_YEAR = 365;
/** Fewer UTC days than this give no Sharpe or Sortino: a ratio of two or three daily returns means nothing. */
export const MIN_RATIO_DAYS = 5;

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Sharpe and Sortino of daily returns (annualised over 365 days), from the equity at the end of each UTC day. */
function dailyRatios(startingCapital: number, dayEndEquity: number[]): { sharpe: number | null; sortino: number | null } {
  const returns: number[] = [];
  let prev = startingCapital;
  for (const e of dayEndEquity) {
    returns.push(prev > 0 ? e / prev - 1 : 0);
    prev = e;
  }
  if (returns.length < MIN_RATIO_DAYS) return { sharpe: null, sortino: null };
  const m = mean(returns);
  const sd = Math.sqrt(returns.reduce((a, r) => a + (r - m) ** 2, 0) / (returns.length - 1));
  const downside = Math.sqrt(returns.reduce((a, r) => a + Math.min(0, r) ** 2, 0) / returns.length);
  const annual = Math.sqrt(DAYS_PER_YEAR);
  return { sharpe: sd > 0 ? (m / sd) * annual : null, sortino: downside > 0 ? (m / downside) * annual : null };
}

function streaks(trips: RoundTripRow[]): { win: number; loss: number } {
  let win = 0;
  let loss = 0;
  let w = 0;
  let l = 0;
  for (const t of trips) {
    if (new Big(t.pnl).lt(0)) {
      l++;
      w = 0;
    } else {
      w++;
      l = 0;
    }
    win = Math.max(win, w);
    loss = Math.max(loss, l);
  }
  return { win, loss };
}

const avg = (xs: Big[]): Decimal | null => (xs.length ? xs.reduce((a, b) => a.plus(b), new Big(0)).div(xs.length).toFixed(4) : null);

/**
 * The run's figures: return %, daily Sharpe/Sortino (from day-end equity), and from the round trips
 * (a loss is a trip with negative net P&L, as in the portfolio): profit factor, expectancy, average
 * win and loss, longest streaks.
 */
export function performanceOf(startingCapital: Decimal, endingEquity: Decimal, dayEndEquity: number[] | null, trips: RoundTripRow[]): Performance {
  const start = new Big(startingCapital);
  const pnls = trips.map((t) => new Big(t.pnl));
  const wins = pnls.filter((p) => p.gte(0));
  const losses = pnls.filter((p) => p.lt(0));
  const grossWin = wins.reduce((a, b) => a.plus(b), new Big(0));
  const grossLoss = losses.reduce((a, b) => a.plus(b), new Big(0)).abs();
  const ratios = dayEndEquity ? dailyRatios(Number(startingCapital), dayEndEquity) : { sharpe: null, sortino: null };
  const s = streaks(trips);
  return {
    returnPct: start.gt(0) ? Number(new Big(endingEquity).minus(start).div(start).times(100).toFixed(4)) : 0,
    sharpeDaily: ratios.sharpe,
    sortinoDaily: ratios.sortino,
    days: dayEndEquity?.length ?? 0,
    profitFactor: grossLoss.gt(0) ? Number(grossWin.div(grossLoss).toFixed(4)) : null,
    expectancy: avg(pnls),
    avgWin: avg(wins),
    avgLoss: avg(losses),
    longestWinStreak: s.win,
    longestLossStreak: s.loss,
  };
}

/** Round trips grouped by market (sorted by market), with their net P&L. */
export function resultsPerMarket(trips: RoundTripRow[]): MarketResult[] {
  const by = new Map<string, MarketResult & { pnl: Big }>();
  for (const t of trips) {
    let m = by.get(t.marketId);
    if (!m) by.set(t.marketId, (m = { market: t.market, marketId: t.marketId, strategies: [], roundTrips: 0, wins: 0, losses: 0, netPnl: '0', pnl: new Big(0) }));
    if (!m.strategies.includes(t.strategy)) m.strategies = [...m.strategies, t.strategy].sort();
    m.roundTrips++;
    if (new Big(t.pnl).lt(0)) m.losses++;
    else m.wins++;
    m.pnl = m.pnl.plus(t.pnl);
  }
  return [...by.values()]
    .sort((a, b) => (a.market < b.market ? -1 : a.market > b.market ? 1 : 0))
    .map(({ pnl, ...m }) => ({ ...m, netPnl: pnl.toFixed(2) }));
}
