import Big from 'big.js';
import type { Grid } from './grid';
import type { Figure } from './job';

/** The figure key a grid's metric ranks by. */
export function metricKey(metric: Grid['metric']): string {
  if (metric === 'sharpe') return 'sharpe';
  if (metric === 'profitFactor') return 'performance.total.profitFactor';
  return `total.${metric}`;
}

/** Metrics where less is better. */
const LOWER_IS_BETTER = new Set<Grid['metric']>(['maxDrawdown']);

const value = (f: Figure | undefined): Big | null => (f === null || f === undefined || f === '' ? null : new Big(f));

/**
 * A run's metric as a rank key: a number, `Infinity`, or null (undefined: ranked last). The report's
 * profit factor is null without losing round trips; with winning ones (gross profit > 0) it is
 * unbounded, the best there is, not undefined.
 */
function rankValue(figures: Record<string, Figure>, metric: Grid['metric']): Big | typeof Infinity | null {
  const v = value(figures[metricKey(metric)]);
  if (v !== null || metric !== 'profitFactor') return v;
  const avgWin = value(figures['performance.total.avgWin']);
  return avgWin !== null && avgWin.gt(0) && value(figures['performance.total.avgLoss']) === null ? Infinity : null;
}

const compare = (x: Big | number, y: Big | number): number => (x === y ? 0 : x === Infinity ? 1 : y === Infinity ? -1 : (x as Big).cmp(y as Big));

/** Orders rows best first by the metric (undefined values last, ties by run number so the order is fixed). */
export function rankRows<T extends { run: number; figures: Record<string, Figure> }>(rows: T[], metric: Grid['metric']): T[] {
  const sign = LOWER_IS_BETTER.has(metric) ? 1 : -1;
  const keyed = rows.map((row) => ({ row, v: rankValue(row.figures, metric) }));
  return keyed
    .sort((a, b) => {
      if (a.v === null || b.v === null) return a.v === b.v ? a.row.run - b.row.run : a.v === null ? 1 : -1;
      return sign * compare(a.v, b.v) || a.row.run - b.row.run;
    })
    .map((k) => k.row);
}
