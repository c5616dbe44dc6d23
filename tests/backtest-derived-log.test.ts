import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultConfig } from '../actors/config/load';
import { runBacktest } from '../actors/backtest/run';
import { mergeDerivedLog } from '../actors/backtest/derivedLog';
import { fileSha256 } from '../actors/tickCache';

const ROOT = resolve(__dirname, '..');
const DEMO = resolve(ROOT, 'data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-derived-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('derived-only backtest output', () => {
  it('writes the derived events and a reference to the inputs; pma merge-log rebuilds the full log byte for byte (also for a --from/--to window)', async () => {
    const ticks = join(dir, 'demo.ticks.jsonl.gz');
    copyFileSync(DEMO, ticks);
    for (const [name, window] of [['whole', {}], ['window', { from: 1723161600000, to: 1723161780000 }]] as const) {
      await runBacktest({ ticks: [ticks], config: defaultConfig(), reportDir: join(dir, `${name}-full`), ...window });
      await runBacktest({ ticks: [ticks], config: defaultConfig(), reportDir: join(dir, `${name}-derived`), events: 'derived', ...window });
      const full = readFileSync(join(dir, `${name}-full`, 'events.jsonl'));
      const derived = readFileSync(join(dir, `${name}-derived`, 'events.derived.jsonl'), 'utf8');
      const refs = JSON.parse(readFileSync(join(dir, `${name}-derived`, 'events.inputs.json'), 'utf8'));
      expect(refs).toEqual({ format: 'pma-derived-log', version: 1, inputs: [{ file: ticks, sha256: await fileSha256(ticks), bytes: 363583 }], from: 'from' in window ? window.from : null, to: 'to' in window ? window.to : null });
      // No trade copied in; far smaller than the full log.
      expect(derived).not.toContain('"type":"trade"');
      expect(derived.length).toBeLessThan(full.length / 3);
      expect(readFileSync(join(dir, `${name}-derived`, 'report.json')).equals(readFileSync(join(dir, `${name}-full`, 'report.json')))).toBe(true);
      const merged = pmaMerge(join(dir, `${name}-derived`), join(dir, `${name}-merged.jsonl`));
      expect(merged.status).toBe(0);
      expect(readFileSync(join(dir, `${name}-merged.jsonl`)).equals(full)).toBe(true);
    }
  }, 240_000);

  it('refuses to rebuild from a tick file whose bytes changed, naming the file and the field', async () => {
    const ticks = join(dir, 'changing.ticks.jsonl.gz');
    copyFileSync(DEMO, ticks);
    await runBacktest({ ticks: [ticks], config: defaultConfig(), reportDir: join(dir, 'changing'), events: 'derived' });
    writeFileSync(ticks, 'other bytes');
    await expect(mergeDerivedLog(join(dir, 'changing', 'events.derived.jsonl'), join(dir, 'changing', 'events.inputs.json'), join(dir, 'x.jsonl'))).rejects.toThrow(/events\.inputs\.json: field 'inputs\[0\]\.sha256': .*changing\.ticks\.jsonl\.gz has sha256/);
    const cli = pmaMerge(join(dir, 'changing'), join(dir, 'y.jsonl'));
    expect(cli.status).toBe(2);
    expect(cli.stderr).toMatch(/field 'inputs\[0\]\.sha256'/);
  }, 120_000);
});

describe('pma merge-log where the tick files are not where the backtest read them', () => {
  it('names the relative path and the way out (--ticks); with --ticks it rebuilds the log byte for byte; a wrong count of files is refused', async () => {
    const work = join(dir, 'elsewhere');
    mkdirSync(work);
    copyFileSync(DEMO, join(work, 'demo.ticks.jsonl.gz'));
    // The backtest ran in `work`, given the tick file by a relative path.
    const run = spawnSync(process.execPath, [resolve(ROOT, 'bin/pma.js'), 'backtest', 'demo.ticks.jsonl.gz', '--events', 'derived', '--report', 'derived'], { cwd: work, encoding: 'utf8' });
    expect(run.status).toBe(0);
    await runBacktest({ ticks: [join(work, 'demo.ticks.jsonl.gz')], config: defaultConfig(), reportDir: join(dir, 'elsewhere-full') });

    // From another folder the relative path names nothing.
    const lost = pmaMerge(join(work, 'derived'), join(dir, 'elsewhere-merged.jsonl'));
    expect(lost.status).toBe(2);
    expect(lost.stderr).toContain(`${join(work, 'derived', 'events.inputs.json')}: field 'inputs[0].file': demo.ticks.jsonl.gz not found (a relative path`);
    expect(lost.stderr).toContain('--ticks');
    expect(lost.stderr).toContain('nothing written');
    expect(existsSync(join(dir, 'elsewhere-merged.jsonl'))).toBe(false);

    const given = pmaMerge(join(work, 'derived'), join(dir, 'elsewhere-merged.jsonl'), '--ticks', join(work, 'demo.ticks.jsonl.gz'));
    expect(given.status).toBe(0);
    expect(readFileSync(join(dir, 'elsewhere-merged.jsonl')).equals(readFileSync(join(dir, 'elsewhere-full', 'events.jsonl')))).toBe(true);

    const two = pmaMerge(join(work, 'derived'), join(dir, 'elsewhere-two.jsonl'), '--ticks', join(work, 'demo.ticks.jsonl.gz'), DEMO);
    expect(two.status).toBe(2);
    expect(two.stderr).toContain("field '--ticks': 2 file(s) given;");
    expect(existsSync(join(dir, 'elsewhere-two.jsonl'))).toBe(false);
  }, 240_000);

  it('a merge that fails part way leaves the output file as it was', async () => {
    const ticks = join(dir, 'gap.ticks.jsonl.gz');
    copyFileSync(DEMO, ticks);
    await runBacktest({ ticks: [ticks], config: defaultConfig(), reportDir: join(dir, 'gap'), events: 'derived' });
    // A derived line past every input: the inputs cannot fill the gap before it.
    appendFileSync(join(dir, 'gap', 'events.derived.jsonl'), '{"v":1,"seq":99999999,"ts":1723161600000,"type":"timer","name":"due"}\n');
    const out = join(dir, 'gap-merged.jsonl');
    writeFileSync(out, 'the previous log\n');
    const r = pmaMerge(join(dir, 'gap'), out);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("field 'seq': seq 99999999 follows a gap the referenced inputs do not fill");
    expect(r.stderr).toContain(`${out} left as it was`);
    expect(readFileSync(out, 'utf8')).toBe('the previous log\n');
    expect(existsSync(`${out}.partial`)).toBe(false);
  }, 120_000);
});

function pmaMerge(reportDir: string, out: string, ...more: string[]) {
  return spawnSync(process.execPath, [resolve(ROOT, 'bin/pma.js'), 'merge-log', reportDir, '--out', out, ...more], { cwd: ROOT, encoding: 'utf8' });
}
