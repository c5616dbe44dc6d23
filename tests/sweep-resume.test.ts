import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO, runPma, startPma } from './support/pmaCli';

/**
 * A local sweep stopped with SIGKILL in the middle and started again with the same arguments: the
 * runs finished before the kill are kept (not run again) and the outputs equal a straight sweep's
 * byte for byte.
 */
const GRID = { metric: 'netPnl', parameters: { 'signals.threshold': [0.0005, 0.001], 'flashCrash.dropRelative': [0.1, 0.2] } };
const RUNS = 4;

const finished = (dir: string): string[] => {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
};

describe('pma sweep (local) resumes a stopped sweep', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-sweep-resume-'));
    writeFileSync(join(dir, 'grid.json'), JSON.stringify(GRID));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the runs finished before a SIGKILL and ends with the same results as a straight run', async () => {
    const args = (out: string) => ['sweep', '--grid', join(dir, 'grid.json'), DEMO, '--out', join(dir, out), '--workers', '1'];
    const runs = join(dir, 'resumed', 'runs');
    const stopped = startPma(args('resumed'));
    while (finished(runs).length === 0 && stopped.child.exitCode === null) await new Promise((r) => setTimeout(r, 20));
    stopped.child.kill('SIGKILL');
    expect((await stopped.result).code).toBeNull();
    const kept = finished(runs);
    // Stopped in the middle: some runs done, not all (each run of the whole demo file takes about a second).
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBeLessThan(RUNS);
    const keptTimes = kept.map((f) => statSync(join(runs, f)).mtimeMs);

    const [resumed, straight] = await Promise.all([runPma(args('resumed')), runPma(args('straight'))]);
    expect(straight).toMatchObject({ code: 0, stderr: '' });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toBe(`pma sweep: ${kept.length} of ${RUNS} runs already done in ${runs}: kept, not run again\n`);
    // The kept runs were not run again (their files untouched); the rest were.
    expect(kept.map((f) => statSync(join(runs, f)).mtimeMs)).toEqual(keptTimes);
    expect(finished(runs)).toHaveLength(RUNS);
    for (const f of ['results.json', 'results.csv', 'sweep.html']) {
      expect({ f, same: readFileSync(join(dir, 'resumed', f)).equals(readFileSync(join(dir, 'straight', f))) }).toEqual({ f, same: true });
    }
    // Started again once finished: nothing runs, the same outputs.
    const again = await runPma(args('resumed'));
    expect(again.stderr).toBe(`pma sweep: ${RUNS} of ${RUNS} runs already done in ${runs}: kept, not run again\n`);
    expect(readFileSync(join(dir, 'resumed', 'results.json')).equals(readFileSync(join(dir, 'straight', 'results.json')))).toBe(true);
  }, 300_000);
});
