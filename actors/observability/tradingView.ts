import { haltsInForce, type RiskLimits } from '../execution/risk';
import type { TradingSystem } from '../system';
import type { TradingView } from './metrics';

/** The portfolio and the halts in force, for `/metrics` and the status line: equity marked at the best bids. */
export function tradingView(system: Pick<TradingSystem, 'portfolio' | 'markets'>, limits: RiskLimits, now: number): TradingView {
  const p = system.portfolio;
  const realised: Record<string, number> = {};
  for (const [strategy, v] of [...p.realisedByStrategy()].sort(([a], [b]) => (a < b ? -1 : 1))) realised[strategy] = Number(v);
  const positions: Record<string, number> = {};
  for (const pos of p.positions()) positions[pos.strategy] = (positions[pos.strategy] ?? 0) + 1;
  return {
    equity: Number(p.equity((tokenId) => system.markets.bestBid(tokenId))),
    cash: Number(p.cash()),
    exposure: Number(p.heat()),
    realised,
    positions,
    halts: [...haltsInForce(p, limits, now)],
  };
}
