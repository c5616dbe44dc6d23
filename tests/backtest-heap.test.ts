import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BACKTEST_V8_FLAGS } from '../actors/backtest/heapSettings';
import { writeShiftedTicks, type BaseTrade } from '../bench/replayTicks';
import { pma, ROOT } from './support/installedPma';

/** `pma backtest`'s garbage-collector settings (docs/backtest.md, "Peak memory"): accepted by this Node, no limit a backtest can hit. */

const dir = mkdtempSync(join(tmpdir(), 'pma-heap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the backtest heap settings', () => {
  it('are flags this Node accepts (a renamed or dropped flag fails here, where setting it at run time would be silent)', () => {
    const r = spawnSync(process.execPath, [...BACKTEST_V8_FLAGS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok');
    expect(r.status).toBe(0);
  });

  it('set no limit: a process with them keeps 600 MB of live data', () => {
    const script =
      "require('./actors/backtest/heapSettings').useBacktestHeapSettings();" +
      'const keep = []; for (let i = 0; i < 600; i++) keep.push(new Array(131072).fill(i));' + // 600 x 1 MiB of small integers
      "process.stdout.write(String(keep.length) + ' ' + Math.round(process.memoryUsage().heapUsed / 1048576));";
    const r = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const [arrays, heapMb] = r.stdout.split(' ').map(Number);
    expect(arrays).toBe(600);
    expect(heapMb).toBeGreaterThan(600);
  }, 60_000);

  it('pma backtest with them completes 200 000 trades (the demo trades repeated in time)', async () => {
    const demo = gunzipSync(readFileSync(join(ROOT, 'data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz'))).toString('utf8');
    const base: BaseTrade[] = [];
    for (const line of demo.split('\n')) {
      if (!line.includes('"type":"trade"')) continue;
      const t = JSON.parse(line) as BaseTrade;
      base.push({ symbol: t.symbol, ts: t.ts, tradeId: t.tradeId, price: t.price, qty: t.qty, buyerMaker: t.buyerMaker });
    }
    const ticks = join(dir, 'big.ticks.jsonl');
    writeShiftedTicks(ticks, base, 200_000);
    const rssFile = join(dir, 'maxrss.txt');
    const r = await pma(['backtest', ticks, '--report', join(dir, 'report')], {
      env: { NODE_OPTIONS: `--require=${join(ROOT, 'tests/support/maxRss.js')}`, PMA_MAXRSS_FILE: rssFile },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'report', 'report.json'), 'utf8')) as { events: { trades: number } };
    expect(report.events.trades).toBe(200_000);
    expect(Number(readFileSync(rssFile, 'utf8'))).toBeLessThan(400_000); // kB; about 150 MB measured
  }, 180_000);
});
