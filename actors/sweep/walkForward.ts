import { mergeEventFiles } from '../../events/merge';
import { isInputType } from '../../events/types';
import { ConfigError } from '../config/load';

/** `--walk-forward`: fixed train/test window lengths, or a number of folds over the whole range. */
export type WalkForwardSpec = { kind: 'windows'; trainMs: number; testMs: number; text: string } | { kind: 'folds'; folds: number; text: string };

export interface Window {
  from: number;
  to: number;
}

export interface Fold {
  index: number;
  train: Window;
  test: Window;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function durationMs(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2]]) : null;
}

export function parseWalkForward(text: string): WalkForwardSpec {
  if (/^\d+$/.test(text) && Number(text) >= 1) return { kind: 'folds', folds: Number(text), text };
  const [train, test, extra] = text.split('/');
  const trainMs = train === undefined ? null : durationMs(train);
  const testMs = test === undefined ? null : durationMs(test);
  if (extra !== undefined || !trainMs || !testMs) throw new ConfigError(`--walk-forward: expected TRAIN/TEST durations such as 6h/2h (units ms, s, m, h, d) or a number of folds such as 3, got "${text}"`);
  return { kind: 'windows', trainMs, testMs, text };
}

/**
 * Rolling folds over [first, last] (inclusive ms): each trains on one window and tests on the
 * window right after it; the next fold moves on by the test length. With a number of folds N the
 * range is cut into N + 1 equal parts: fold i trains on part i and tests on part i + 1.
 */
export function makeFolds(spec: WalkForwardSpec, first: number, last: number): Fold[] {
  const folds: Fold[] = [];
  if (spec.kind === 'windows') {
    for (let start = first; start + spec.trainMs + spec.testMs - 1 <= last; start += spec.testMs) {
      const cut = start + spec.trainMs;
      folds.push({ index: folds.length, train: { from: start, to: cut - 1 }, test: { from: cut, to: cut + spec.testMs - 1 } });
    }
  } else {
    const part = Math.floor((last - first + 1) / (spec.folds + 1));
    if (part >= 1) {
      for (let i = 0; i < spec.folds; i++) {
        const cut = first + (i + 1) * part;
        folds.push({ index: i, train: { from: first + i * part, to: cut - 1 }, test: { from: cut, to: i === spec.folds - 1 ? last : cut + part - 1 } });
      }
    }
  }
  if (folds.length === 0) throw new ConfigError(`--walk-forward ${spec.text}: the data (${new Date(first).toISOString()} to ${new Date(last).toISOString()}) is shorter than one train window and one test window`);
  return folds;
}

/** The time of the first and last input event of the tick files inside [from, to] (either bound optional). */
export async function dataRange(paths: string[], from?: number, to?: number): Promise<Window> {
  if (from !== undefined && to !== undefined) return { from, to };
  let first: number | null = null;
  let last: number | null = null;
  const merged = mergeEventFiles(paths);
  for (let next = await merged.next(); !next.done; next = await merged.next()) {
    for (const { event } of next.value) {
      if (!isInputType(event.type) || (from !== undefined && event.ts < from) || (to !== undefined && event.ts > to)) continue;
      first ??= event.ts;
      last = event.ts;
    }
  }
  if (first === null || last === null) throw new ConfigError(`${paths.join(', ')}: no input events in the chosen time range`);
  return { from: from ?? first, to: to ?? last };
}
