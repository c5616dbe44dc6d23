import type { BacktestReport, SeriesPoint, StrategyBlock } from '../backtest/reportTypes';
import type { Figure } from './job';

const EQUITY_POINTS = 200;

/** A block's scalar figures under a prefix (`total.netPnl`, `total.signals.confirmed.count`, ...). */
function flatten(prefix: string, value: unknown, out: Record<string, Figure>): void {
  if (value === null || typeof value === 'string' || typeof value === 'number') out[prefix] = value;
  else if (typeof value === 'boolean') out[prefix] = value ? 1 : 0;
  else if (typeof value === 'object' && !Array.isArray(value)) for (const [k, v] of Object.entries(value)) flatten(`${prefix}.${k}`, v, out);
}

/**
 * Sharpe ratio of the equity curve's point-to-point returns (mean / sample standard deviation, not
 * annualised: the points are evenly thinned over the run, so runs of the same data compare). A
 * statistic for ranking, not money: floats are fine here.
 */
export function sharpe(equity: SeriesPoint[]): number | null {
  const r: number[] = [];
  for (let i = 1; i < equity.length; i++) if (equity[i - 1].value !== 0) r.push(equity[i].value / equity[i - 1].value - 1);
  if (r.length < 2) return null;
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1));
  return sd === 0 ? null : Number((mean / sd).toFixed(6));
}

/** Every figure of a backtest report a sweep records, by dotted key. Rejections are per reason: only keys a run has appear. */
export function reportFigures(report: BacktestReport): Record<string, Figure> {
  const out: Record<string, Figure> = {};
  flatten('events', report.events, out);
  flatten('llm', report.llm, out);
  flatten('total', report.total, out);
  for (const name of Object.keys(report.strategies).sort()) flatten(`strategies.${name}`, report.strategies[name] as StrategyBlock, out);
  flatten('performance.total', report.performance.total, out);
  for (const name of Object.keys(report.performance.strategies).sort()) flatten(`performance.strategies.${name}`, report.performance.strategies[name], out);
  out.sharpe = sharpe(report.charts.equity);
  out.simulatedMarkets = report.simulated.markets.length;
  return out;
}

/** The equity curve thinned to at most EQUITY_POINTS points (every k-th, and the last). */
export function thinEquity(equity: SeriesPoint[]): SeriesPoint[] {
  if (equity.length <= EQUITY_POINTS) return equity;
  const k = Math.ceil(equity.length / EQUITY_POINTS);
  const out = equity.filter((_, i) => i % k === 0);
  if (out[out.length - 1] !== equity[equity.length - 1]) out.push(equity[equity.length - 1]);
  return out;
}
