import { counts, time } from '../../binance/importers/summary';
import type { HistoryImportSummary } from './types';

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
