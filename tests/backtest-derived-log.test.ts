import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

function pmaMerge(reportDir: string, out: string) {
  return spawnSync(process.execPath, [resolve(ROOT, 'bin/pma.js'), 'merge-log', reportDir, '--out', out], { cwd: ROOT, encoding: 'utf8' });
}
