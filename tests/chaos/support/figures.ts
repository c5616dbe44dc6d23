import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** All chaos figures of a run, one `name: value` per line under a `# test` header; tests/chaos/run.ts prints it. */
export const FIGURES_FILE = resolve(__dirname, '../../artifacts/chaos-figures.txt');

/**
 * Prints a test's figures (one `name: value` per line) and appends them to the figures file.
 * Values are written as given: counts as integers, times in ms, ratios rounded by the caller.
 */
export function reportFigures(test: string, figures: Record<string, number | string>): void {
  const lines = Object.entries(figures).map(([k, v]) => `${k}: ${v}`);
  const block = [`# ${test}`, ...lines, ''].join('\n');
  mkdirSync(dirname(FIGURES_FILE), { recursive: true });
  appendFileSync(FIGURES_FILE, block);
  process.stdout.write(block);
}

/** The p-th percentile (0-100) of numbers, nearest rank; NaN for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** `CHAOS_LONG=1` selects the minutes-long versions. */
export const LONG = process.env.CHAOS_LONG === '1';
