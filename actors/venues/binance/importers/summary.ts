import type { ImportSummary } from './types';

/**
 * Adds `n` to `record[key]` where the key comes from the data (a line's kind, a symbol): an own property even
 * when the key is `valueOf`, `constructor` or `__proto__`, which a plain `record[key] ?? 0` would misread.
 */
export function addCount(record: Record<string, number>, key: string, n = 1): void {
  const before = Object.hasOwn(record, key) ? record[key] : 0;
  Object.defineProperty(record, key, { value: before + n, writable: true, enumerable: true, configurable: true });
}

/** `k n, ...` by count (largest first), or `none`: the importers' summary lines. */
export function counts(record: Record<string, number | undefined>): string {
  const entries = Object.entries(record).filter(([, n]) => (n ?? 0) > 0);
  if (entries.length === 0) return 'none';
  return entries
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0) || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

export function time(ms: number): string {
  return `${new Date(ms).toISOString()} (${ms})`;
}

/** The human summary `pma import` prints: lines per kind, trades written, skips by reason, time range. */
export function formatImportSummary(s: ImportSummary): string {
  const lines: string[] = [];
  lines.push(`import: ${s.files.length} file(s) -> ${s.out}`);
  for (const f of s.files) {
    lines.push(`  ${f.file} [${f.format}]: ${f.lines} lines (${counts(f.kinds)}); ${f.trades} trades; skipped: ${counts(f.skipped)}`);
  }
  lines.push(`lines by kind: ${counts(s.linesByKind)}`);
  lines.push(`trades written: ${s.tradesWritten} (${counts(s.tradesBySymbol)})`);
  lines.push(`skipped: ${counts(s.skipped)}`);
  lines.push(s.firstTs === null || s.lastTs === null ? 'time range: (no trades)' : `time range: ${time(s.firstTs)} .. ${time(s.lastTs)}`);
  return lines.join('\n') + '\n';
}
