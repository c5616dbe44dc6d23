import type { HistoryImportSummary } from './types';

function counts(record: Record<string, number | undefined>): string {
  const entries = Object.entries(record).filter(([, n]) => (n ?? 0) > 0);
  if (entries.length === 0) return 'none';
  return entries
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0) || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

const time = (ms: number): string => `${new Date(ms).toISOString()} (${ms})`;

/** What `pma import` prints for Polymarket history: rows and events per file, events by type, skips, markets. */
export function formatHistorySummary(s: HistoryImportSummary): string {
  const lines = [`import: ${s.files.length} file(s) -> ${s.out}`];
  for (const f of s.files) lines.push(`  ${f.file} [${f.format}]: ${f.rows} rows; events: ${counts(f.events)}; skipped: ${counts(f.skipped)}`);
  lines.push(`events written: ${s.eventsWritten} (${counts(s.eventsByType)})`);
  lines.push(`skipped: ${counts(s.skipped)}`);
  const derived = s.markets.filter((m) => m.derivedIds).length;
  const byPrices = counts(Object.fromEntries(['books', 'trades', 'none'].map((p) => [p, s.markets.filter((m) => m.prices === p).length])));
  lines.push(`markets: ${s.markets.length} (prices recorded: ${byPrices}; token ids derived: ${derived})`);
  for (const m of s.markets.slice(0, 10)) lines.push(`  ${m.slug}: ${m.prices === 'none' ? 'no prices' : `recorded ${m.prices === 'books' ? 'books' : 'trades only'}`}${m.derivedIds ? ', derived ids' : ''}`);
  if (s.markets.length > 10) lines.push(`  ... ${s.markets.length - 10} more`);
  lines.push(s.firstTs === null || s.lastTs === null ? 'time range: (no events)' : `time range: ${time(s.firstTs)} .. ${time(s.lastTs)}`);
  return lines.join('\n') + '\n';
}
