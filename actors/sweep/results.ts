import { renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepOutcome, SweepResults, SweepRow } from './sweep';
import { renderSweepHtml } from './html';

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Every figure key of the rows, in first-seen order (rows come in plan order, so this is fixed). */
export function figureKeys(rows: SweepRow[]): string[] {
  const keys = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.figures)) keys.add(k);
  return [...keys];
}

/** results.csv: one line per run; parameters and figures one column each, the inputs as name=sha256. */
export function resultsCsv(results: SweepResults): string {
  const params = results.parameters.map((p) => p.key);
  const figures = figureKeys(results.runs);
  const head = ['run', 'hash', 'phase', 'fold', 'from', 'to', ...params, ...figures, 'inputs', 'error'];
  const lines = [head.map(csvCell).join(',')];
  for (const r of results.runs) {
    const cells = [r.run, r.hash, r.phase, r.fold, r.from, r.to, ...params.map((k) => r.parameters[k]), ...figures.map((k) => r.figures[k]), r.inputs.map((i) => `${i.name}=${i.sha256}`).join(' '), r.error];
    lines.push(cells.map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}

/** Writes a file whole or not at all (a temp file, then rename): a kill mid-write leaves the old file or none. */
export function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** Writes DIR/results.json, DIR/results.csv and DIR/sweep.html; the same results give the same bytes. */
export function writeSweepOutputs(dir: string, outcome: SweepOutcome): string[] {
  mkdirSync(dir, { recursive: true });
  const files = { 'results.json': JSON.stringify(outcome.results, null, 2) + '\n', 'results.csv': resultsCsv(outcome.results), 'sweep.html': renderSweepHtml(outcome) };
  for (const [name, text] of Object.entries(files)) writeAtomic(join(dir, name), text);
  return Object.keys(files).map((f) => join(dir, f));
}
