import { readFileSync } from 'node:fs';
import { defaultConfig } from '../actors/config/load';
import { sha256 } from '../actors/backtest/run';
import { configFor, parseGrid, combinations } from '../actors/sweep/grid';
import { makeJob, type RunJob } from '../actors/sweep/job';
import { runOne } from '../actors/sweep/runOne';
import { RUNNER_V8_FLAGS, RunnerExited, startRunner, type Runner } from '../actors/sweep/runner';
import { DEMO, SLICE } from './support/pmaCli';

/**
 * The worker process of local sweeps and of `pma worker` (actors/sweep/runner.ts): the same result
 * as the backtest run in this process, the sweep's V8 flags, Ctrl-C left to its parent (the job in
 * hand finishes), and a process killed in a run is an error of the runner, never a result.
 */
describe('a sweep worker process', () => {
  let runner: Runner;
  let slice: RunJob;
  let whole: RunJob;
  beforeAll(async () => {
    const base = defaultConfig();
    const inputs = [{ name: DEMO, sha256: await sha256(DEMO) }];
    const [params] = combinations(parseGrid({ parameters: { 'signals.threshold': [0.0005] } }, base));
    const config = configFor(base, params, 'grid');
    slice = makeJob(config, inputs, SLICE.from, SLICE.to);
    whole = makeJob(config, inputs, null, null);
    runner = startRunner();
  });
  afterAll(() => runner.close());

  it('runs with the sweep V8 flags and gives the result of the same backtest run here', async () => {
    const there = await runner.run(slice, [DEMO]);
    expect(JSON.stringify(there)).toBe(JSON.stringify(await runOne(slice, [DEMO])));
    expect(there.error).toBeUndefined();
    const argv = readFileSync(`/proc/${runner.pid}/cmdline`, 'utf8').split('\0');
    for (const flag of RUNNER_V8_FLAGS) expect(argv).toContain(flag);
  }, 120_000);

  it('finishes the job in hand through SIGINT and SIGTERM (its parent decides when it stops)', async () => {
    const result = runner.run(slice, [DEMO]);
    process.kill(runner.pid, 'SIGINT');
    process.kill(runner.pid, 'SIGTERM');
    expect(JSON.stringify(await result)).toBe(JSON.stringify(await runOne(slice, [DEMO])));
  }, 120_000);

  it('killed in a run, fails the run with RunnerExited naming the signal, and every later run too', async () => {
    const result = runner.run(whole, [DEMO]);
    process.kill(runner.pid, 'SIGKILL');
    await expect(result).rejects.toThrow(new RunnerExited('a sweep worker process exited (SIGKILL) in the middle of a run'));
    await expect(runner.run(slice, [DEMO])).rejects.toThrow(RunnerExited);
  }, 120_000);
});
