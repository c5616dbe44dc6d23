import { defaultConfig } from '../actors/config/load';
import { parseGrid } from '../actors/sweep/grid';
import { localPool } from '../actors/sweep/localPool';
import { rankRows } from '../actors/sweep/rank';
import { runSweep, type SweepOutcome } from '../actors/sweep/sweep';
import { makeFolds, parseWalkForward } from '../actors/sweep/walkForward';
import { DEMO, SLICE } from './support/pmaCli';

describe('walk-forward folds', () => {
  it('rolls train/test windows by the test length, inside the range', () => {
    const h = 3_600_000;
    expect(makeFolds(parseWalkForward('6h/2h'), 0, 12 * h - 1)).toEqual([
      { index: 0, train: { from: 0, to: 6 * h - 1 }, test: { from: 6 * h, to: 8 * h - 1 } },
      { index: 1, train: { from: 2 * h, to: 8 * h - 1 }, test: { from: 8 * h, to: 10 * h - 1 } },
      { index: 2, train: { from: 4 * h, to: 10 * h - 1 }, test: { from: 10 * h, to: 12 * h - 1 } },
    ]);
  });

  it('cuts the range into N + 1 parts for N folds, the last test window reaching the end', () => {
    expect(makeFolds(parseWalkForward('2'), 100, 399)).toEqual([
      { index: 0, train: { from: 100, to: 199 }, test: { from: 200, to: 299 } },
      { index: 1, train: { from: 200, to: 299 }, test: { from: 300, to: 399 } },
    ]);
  });

  it('refuses specs it cannot read and data too short for one fold, saying why', () => {
    expect(() => parseWalkForward('6h')).toThrow('--walk-forward: expected TRAIN/TEST durations such as 6h/2h (units ms, s, m, h, d) or a number of folds such as 3, got "6h"');
    expect(() => parseWalkForward('6x/2h')).toThrow(/got "6x\/2h"/);
    expect(() => makeFolds(parseWalkForward('6h/2h'), 0, 7 * 3_600_000)).toThrow(/is shorter than one train window and one test window/);
  });
});

describe('a walk-forward sweep on the demo ticks', () => {
  let outcome: SweepOutcome;
  beforeAll(async () => {
    const base = defaultConfig();
    const grid = parseGrid({ metric: 'netPnl', parameters: { 'signals.threshold': [0.0005, 0.002] } }, base);
    const executor = localPool(2);
    try {
      outcome = await runSweep({ grid, gridSource: 'grid', base, ticks: [DEMO], from: SLICE.from, to: SLICE.to, walkForward: parseWalkForward('2'), executor });
    } finally {
      await executor.close();
    }
  }, 300_000);

  it('runs every combination on each train window, then each fold’s best on the next window, side by side', () => {
    const { runs, walkForward } = outcome.results;
    expect(runs.map((r) => [r.phase, r.fold])).toEqual([['train', 0], ['train', 0], ['train', 1], ['train', 1], ['test', 0], ['test', 1]]);
    expect(walkForward!.folds).toHaveLength(2);
    for (const f of walkForward!.folds) {
      const best = rankRows(runs.filter((r) => r.phase === 'train' && r.fold === f.fold), 'netPnl')[0];
      const test = runs[f.testRun];
      expect(f.trainRun).toBe(best.run);
      expect(test).toMatchObject({ phase: 'test', fold: f.fold, from: f.test.from, to: f.test.to, parameters: best.parameters });
      expect(runs[f.trainRun]).toMatchObject({ from: f.train.from, to: f.train.to });
      expect(f.inSample).toBe(best.figures['total.netPnl']);
      expect(f.outOfSample).toBe(test.figures['total.netPnl']);
      expect(Number(f.gap)).toBeCloseTo(Number(f.outOfSample) - Number(f.inSample), 9);
      expect(f.test.from).toBe(f.train.to + 1);
    }
    // The test window of fold 0 is the train window of fold 1.
    expect(walkForward!.folds[1].train).toEqual(walkForward!.folds[0].test);
  });
});
