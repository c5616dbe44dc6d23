import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultConfig } from '../actors/config/load';
import { runBacktest } from '../actors/backtest/run';
import { SystemClock } from '../events/clock';

const ROOT = resolve(__dirname, '..');
const DEMO = resolve(ROOT, 'data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');
const wall = new SystemClock();

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-bt-load-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function backtestChild(reportDir: string): { pid: number; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [resolve(ROOT, 'bin/pma.js'), 'backtest', DEMO, '--report', reportDir], { cwd: ROOT, stdio: 'ignore' });
  return { pid: child.pid!, exited: new Promise((done) => child.on('exit', (code) => done(code))) };
}

it('two pma backtests at once, one of them stopped (SIGSTOP) and continued (SIGCONT) three times, write the same bytes as a quiet run', async () => {
  await runBacktest({ ticks: [DEMO], config: defaultConfig(), reportDir: join(dir, 'quiet') });
  const a = backtestChild(join(dir, 'a'));
  const b = backtestChild(join(dir, 'b'));
  let pauses = 0;
  for (let i = 0; i < 3; i++) {
    await wall.sleep(700);
    try {
      process.kill(b.pid, 'SIGSTOP');
    } catch {
      break; // already finished
    }
    await wall.sleep(400);
    process.kill(b.pid, 'SIGCONT');
    pauses++;
  }
  expect(await a.exited).toBe(0);
  expect(await b.exited).toBe(0);
  expect(pauses).toBeGreaterThan(0);
  for (const run of ['a', 'b']) {
    for (const f of ['events.jsonl', 'report.json']) expect(readFileSync(join(dir, run, f)).equals(readFileSync(join(dir, 'quiet', f)))).toBe(true);
  }
}, 240_000);
