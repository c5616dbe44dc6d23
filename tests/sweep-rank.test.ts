import { defaultConfig } from '../actors/config/load';
import { parseGrid } from '../actors/sweep/grid';
import type { Figure } from '../actors/sweep/job';
import { metricKey, rankRows } from '../actors/sweep/rank';

/** Ranking a sweep's runs by a metric: profit factor among them (the report's `performance.total.profitFactor`). */
const row = (run: number, figures: Record<string, Figure>) => ({ run, figures });

describe('sweep ranking', () => {
  it('accepts "metric": "profitFactor" and ranks by the report figure, highest first', () => {
    expect(parseGrid({ metric: 'profitFactor', parameters: { 'signals.threshold': [0.001] } }, defaultConfig()).metric).toBe('profitFactor');
    expect(metricKey('profitFactor')).toBe('performance.total.profitFactor');
    const rows = [
      row(0, { 'performance.total.profitFactor': 0.8, 'performance.total.avgWin': '2.0000', 'performance.total.avgLoss': '-2.5000' }),
      row(1, { 'performance.total.profitFactor': 1.75, 'performance.total.avgWin': '3.5000', 'performance.total.avgLoss': '-2.0000' }),
      row(2, { 'performance.total.profitFactor': 1.2, 'performance.total.avgWin': '1.2000', 'performance.total.avgLoss': '-1.0000' }),
    ];
    expect(rankRows(rows, 'profitFactor').map((r) => r.run)).toEqual([1, 2, 0]);
  });

  it('puts wins without losses (unbounded profit factor) first and runs without round trips last', () => {
    const rows = [
      row(0, { 'performance.total.profitFactor': null, 'performance.total.avgWin': null, 'performance.total.avgLoss': null }),
      row(1, { 'performance.total.profitFactor': 1.5, 'performance.total.avgWin': '1.5000', 'performance.total.avgLoss': '-1.0000' }),
      row(2, { 'performance.total.profitFactor': null, 'performance.total.avgWin': '0.4000', 'performance.total.avgLoss': null }),
      // Break-even trips only: no gross profit, no loss: undefined, not unbounded.
      row(3, { 'performance.total.profitFactor': null, 'performance.total.avgWin': '0.0000', 'performance.total.avgLoss': null }),
      row(4, { 'performance.total.profitFactor': null, 'performance.total.avgWin': '0.9000', 'performance.total.avgLoss': null }),
    ];
    expect(rankRows(rows, 'profitFactor').map((r) => r.run)).toEqual([2, 4, 1, 0, 3]);
  });

  it('keeps lower-is-better for max drawdown and ties by run number', () => {
    const rows = [row(0, { 'total.maxDrawdown': '5.00' }), row(1, { 'total.maxDrawdown': '1.00' }), row(2, { 'total.maxDrawdown': '1.00' }), row(3, { 'total.maxDrawdown': null })];
    expect(rankRows(rows, 'maxDrawdown').map((r) => r.run)).toEqual([1, 2, 0, 3]);
  });
});
