import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, parseConfig } from '../actors/config/load';
import type { BacktestReport } from '../actors/backtest/reportTypes';
import { reportFigures } from '../actors/sweep/figures';
import { combinations, loadGrid, parseGrid } from '../actors/sweep/grid';
import type { SweepResults } from '../actors/sweep/sweep';
import { DEMO, ROOT, runPma, SLICE } from './support/pmaCli';

/**
 * `pma sweep` with local workers on a slice of the demo tick file: the same grid gives the same
 * bytes with 1 and 2 workers, and a run's row holds exactly what a plain `pma backtest` of that
 * config reports.
 */
const GRID = { metric: 'netPnl', parameters: { 'signals.threshold': [0.0005, 0.001], 'flashCrash.dropRelative': { from: 0.1, to: 0.2, step: 0.1 } } };
const RANGE = ['--from', String(SLICE.from), '--to', String(SLICE.to)];

describe('pma sweep with local workers', () => {
  let dir: string;
  let one: string;
  let two: string;
  let cached: string;
  let cachedRun: { code: number | null; stdout: string; stderr: string };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-sweep-'));
    writeFileSync(join(dir, 'grid.json'), JSON.stringify(GRID));
    [one, two, cached] = [join(dir, 'one'), join(dir, 'two'), join(dir, 'cached')];
    const [a, b, c] = await Promise.all([
      runPma(['sweep', '--grid', join(dir, 'grid.json'), DEMO, '--out', one, '--workers', '1', ...RANGE]),
      runPma(['sweep', '--grid', join(dir, 'grid.json'), DEMO, '--out', two, '--workers', '2', ...RANGE]),
      runPma(['sweep', '--grid', join(dir, 'grid.json'), DEMO, '--out', cached, '--workers', '2', '--tick-cache', join(dir, 'cols'), ...RANGE]),
    ]);
    cachedRun = c;
    expect(a).toMatchObject({ code: 0, stderr: '' });
    expect(b).toMatchObject({ code: 0, stderr: '' });
    expect(a.stdout).toContain('best 4 of 4 runs by netPnl');
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives byte-identical results.json, results.csv and sweep.html with 1 and 2 workers', () => {
    for (const f of ['results.json', 'results.csv', 'sweep.html']) expect({ f, same: readFileSync(join(one, f)).equals(readFileSync(join(two, f))) }).toEqual({ f, same: true });
  });

  it('--tick-cache: builds the columnar cache once, before the runs, and gives the same bytes', () => {
    expect(cachedRun).toMatchObject({ code: 0, stderr: '' });
    const cols = readdirSync(join(dir, 'cols')).filter((f) => f.endsWith('.cols'));
    expect(cols).toHaveLength(1);
    expect(cachedRun.stdout).toContain(`tick cache: wrote ${join(dir, 'cols', cols[0])} for ${DEMO}`);
    for (const f of ['results.json', 'results.csv', 'sweep.html']) expect({ f, same: readFileSync(join(one, f)).equals(readFileSync(join(cached, f))) }).toEqual({ f, same: true });
  });

  it('--tick-cache with --nats is refused before anything runs (workers build their own: pma worker --tick-cache)', async () => {
    const r = await runPma(['sweep', '--grid', join(dir, 'grid.json'), DEMO, '--out', join(dir, 'refused'), '--nats', 'nats://127.0.0.1:1', '--tick-cache', join(dir, 'cols-refused'), ...RANGE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('pma sweep: --tick-cache is for local workers: with --nats, start each `pma worker` with --tick-cache DIR\n');
  });

  it('has one row per combination, in grid order, with the parameters, figures and input hashes', () => {
    const results = JSON.parse(readFileSync(join(one, 'results.json'), 'utf8')) as SweepResults;
    expect(results.runs.map((r) => r.parameters)).toEqual([
      { 'signals.threshold': 0.0005, 'flashCrash.dropRelative': 0.1 },
      { 'signals.threshold': 0.0005, 'flashCrash.dropRelative': 0.2 },
      { 'signals.threshold': 0.001, 'flashCrash.dropRelative': 0.1 },
      { 'signals.threshold': 0.001, 'flashCrash.dropRelative': 0.2 },
    ]);
    expect(new Set(results.runs.map((r) => r.hash)).size).toBe(4);
    for (const r of results.runs) {
      expect(r.inputs).toEqual([{ name: DEMO, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
      expect(r.error).toBeNull();
      expect(r.figures['total.netPnl']).toMatch(/^-?\d+\.\d\d$/);
      expect(r.figures['events.inputs']).toBeGreaterThan(1000);
      expect(r.figures).toHaveProperty(['performance.total.profitFactor']);
    }
    // The threshold changes what the strategies see: the runs are not all the same.
    expect(new Set(results.runs.map((r) => r.figures['total.signals.confirmed.count'])).size).toBeGreaterThan(1);
    const csv = readFileSync(join(one, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(5);
    expect(csv[0].split(',').slice(0, 8)).toEqual(['run', 'hash', 'phase', 'fold', 'from', 'to', 'signals.threshold', 'flashCrash.dropRelative']);
  });

  it('a run row equals a plain `pma backtest` with the same config', async () => {
    const results = JSON.parse(readFileSync(join(one, 'results.json'), 'utf8')) as SweepResults;
    const row = results.runs[2];
    const config = { signals: { threshold: row.parameters['signals.threshold'] }, flashCrash: { dropRelative: row.parameters['flashCrash.dropRelative'] } };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const bt = await runPma(['backtest', DEMO, '--config', join(dir, 'config.json'), '--report', join(dir, 'bt'), ...RANGE]);
    expect(bt.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'bt', 'report.json'), 'utf8')) as BacktestReport;
    expect(row.figures).toEqual(reportFigures(report));
    expect(row.figures['total.netPnl']).toBe(report.total.netPnl);
    expect(row.inputs[0].sha256).toBe(report.inputs[0].sha256);
  }, 120_000);
});

describe('grid validation', () => {
  const base = defaultConfig();
  const bad = (grid: unknown) => {
    try {
      parseGrid(grid, base, 'grid.json');
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('the grid was accepted');
  };

  it('expands lists and inclusive ranges without float drift', () => {
    const grid = parseGrid({ metric: 'netPnl', parameters: { 'signals.threshold': [0.0005, 0.001], 'signals.volumeMultiplier': { from: 1.5, to: 2.5, step: 0.5 } } }, base);
    expect(grid.parameters).toEqual([
      { key: 'signals.threshold', values: [0.0005, 0.001] },
      { key: 'signals.volumeMultiplier', values: [1.5, 2, 2.5] },
    ]);
    expect(combinations(grid)).toHaveLength(6);
    expect(parseGrid({ parameters: { 'flashCrash.dropRelative': { from: 0.1, to: 0.3, step: 0.1 } } }, base).parameters[0].values).toEqual([0.1, 0.2, 0.3]);
  });

  it('the example grid of the README (data/sweep-grid.yaml) is valid', () => {
    const grid = loadGrid(join(ROOT, 'data/sweep-grid.yaml'), base);
    expect(grid.metric).toBe('netPnl');
    expect(grid.parameters.map((p) => [p.key, p.values])).toEqual([
      ['signals.threshold', [0.0005, 0.001]],
      ['flashCrash.dropRelative', [0.1, 0.2, 0.3]],
    ]);
  });

  it('names the key of every mistake', () => {
    expect(bad({ parameters: { 'signals.treshold': [1] } })).toBe('grid.json: unknown key signals.treshold (signals has: windowMs, threshold, volumeWindow, volumeAverageOf, volumeMultiplier)');
    expect(bad({ parameters: { 'nosuch.key': [1] } })).toMatch(/^grid\.json: unknown key nosuch\.key/);
    expect(bad({ parameters: { 'signals.threshold': ['high'] } })).toMatch(/^grid\.json: parameters: signals\.threshold: .*expected number/);
    expect(bad({ parameters: { 'flashCrash.tradeUsd': [5] } })).toMatch(/^grid\.json: parameters: flashCrash\.tradeUsd: .*expected string/);
    expect(bad({ parameters: { 'signals.volumeMultiplier': { from: 3, to: 2, step: 0.5 } } })).toBe('grid.json: parameters.signals.volumeMultiplier: empty range (from 3 is above to 2)');
    expect(bad({ parameters: { 'signals.threshold': [] } })).toBe('grid.json: parameters.signals.threshold: empty list of values');
    expect(bad({ parameters: { 'sweep.maxRuns': [5] } })).toMatch(/^grid\.json: parameters\.sweep\.maxRuns: the sweep section/);
    expect(bad({ metric: 'luck', parameters: { 'signals.threshold': [1] } })).toMatch(/^grid\.json: metric: .*allowed: "netPnl"/);
    expect(bad({ parameters: { 'signals.threshold': [1] }, extra: 1 })).toBe('grid.json: unknown key extra');
  });

  it('pma sweep exits 2 with the key named: unknown key, wrong type, too many runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pma-sweep-bad-'));
    try {
      const write = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
      const unknown = await runPma(['sweep', '--grid', write('unknown.yaml', 'metric: netPnl\nparameters:\n  signals.nope: [1, 2]\n'), DEMO, '--out', join(dir, 'out')]);
      expect(unknown).toMatchObject({ code: 2, stdout: '' });
      expect(unknown.stderr).toContain('unknown.yaml: unknown key signals.nope');
      const wrongType = await runPma(['sweep', '--grid', write('type.json', JSON.stringify({ parameters: { 'risk.killSwitch': [1] } })), DEMO, '--out', join(dir, 'out')]);
      expect(wrongType.code).toBe(2);
      expect(wrongType.stderr).toMatch(/type\.json: parameters: risk\.killSwitch: .*expected boolean/);
      const config = write('config.json', JSON.stringify(parseConfig({ sweep: { maxRuns: 5 } })));
      const many = await runPma(['sweep', '--grid', write('many.json', JSON.stringify(GRID).replace('"to":0.2', '"to":0.3')), DEMO, '--out', join(dir, 'out'), '--config', config]);
      expect(many.code).toBe(2);
      expect(many.stderr).toContain('many.json: the grid makes 6 runs (2 x 3), more than sweep.maxRuns = 5');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
