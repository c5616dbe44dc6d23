import Big from 'big.js';
import type { Grid } from './grid';
import type { Figure } from './job';

/** The figure key a grid's metric ranks by. */
export const metricKey = (metric: Grid['metric']): string => (metric === 'sharpe' ? 'sharpe' : `total.${metric}`);

/** Metrics where less is better. */
const LOWER_IS_BETTER = new Set<Grid['metric']>(['maxDrawdown']);

const value = (f: Figure | undefined): Big | null => (f === null || f === undefined || f === '' ? null : new Big(f));

/** Orders rows best first by the metric (undefined values last, ties by run number so the order is fixed). */
export function rankRows<T extends { run: number; figures: Record<string, Figure> }>(rows: T[], metric: Grid['metric']): T[] {
  const key = metricKey(metric);
  const sign = LOWER_IS_BETTER.has(metric) ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = value(a.figures[key]);
    const y = value(b.figures[key]);
    if (x === null || y === null) return x === y ? a.run - b.run : x === null ? 1 : -1;
    return sign * x.cmp(y) || a.run - b.run;
  });
}
