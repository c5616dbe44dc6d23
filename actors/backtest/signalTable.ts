import { HORIZON_NAMES, type ClassQuality, type HorizonCounts, type HorizonQuality } from './signalHorizons';

/** The false-signal table of `pma signals` and report.html, as text cells: one row per class, episodes first. */
export interface SignalTable {
  header: string[];
  rows: string[][];
}

const LABEL: Record<(typeof HORIZON_NAMES)[number], string> = { '10s': '10 s', '30s': '30 s', '60s': '60 s', windowEnd: 'window end' };

function rate(c: HorizonCounts): string {
  return c.falseSignalRate === null ? 'n/a' : `${(c.falseSignalRate * 100).toFixed(1)} % of ${c.judged}`;
}

export function signalTable(q: HorizonQuality): SignalTable {
  const header = ['', 'count', ...HORIZON_NAMES.map((h) => `false @ ${LABEL[h]}`)];
  const row = (label: string, count: number, by: ClassQuality['byEpisode']) => [label, String(count), ...HORIZON_NAMES.map((h) => rate(by[h]))];
  return {
    header,
    rows: [
      row('confirmed episodes', q.confirmed.episodes, q.confirmed.byEpisode),
      row('unconfirmed episodes', q.unconfirmed.episodes, q.unconfirmed.byEpisode),
      row('confirmed signals', q.confirmed.signals, q.confirmed.bySignal),
      row('unconfirmed signals', q.unconfirmed.signals, q.unconfirmed.bySignal),
      ['volume confirmation reduces false episodes', '', ...HORIZON_NAMES.map((h) => (q.confirmationReducesFalseSignals[h] === null ? 'n/a' : q.confirmationReducesFalseSignals[h] ? 'yes' : 'no'))],
    ],
  };
}

/** The table as aligned plain text. */
export function signalTableText(t: SignalTable): string {
  const all = [t.header, ...t.rows];
  const widths = t.header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}
