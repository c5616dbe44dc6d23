/**
 * Backtest benchmark (docs/backtest.md, docs/benchmarks.md): `pma backtest` throughput on a big tick
 * file of real trades shifted in time (the shared hftbacktest BTCUSDT/ETHUSDT recordings, else the demo
 * tick file's trades; bench/replayTicks.ts: seq 1..N, ts non-decreasing, trade ids increasing per symbol), in tick-file events per CPU second, against bare `JSON.parse` of the same
 * lines in the same child process (the mean CPU time of a parse before the backtest and one after it):
 * `backtest_parse_ratio` = backtest rate / parse rate, for all three
 * strategies and (`backtest_parse_ratio_flash_crash`) for the flash-crash strategy alone;
 * `backtest_columnar_events_per_s` and `columnar_vs_parse_ratio`: the same backtest (all three) read
 * from the columnar tick cache (`pma cache`) against bare `JSON.parse` of the JSON tick file, and
 * (`backtest_columnar_derived_events_per_s`, `columnar_derived_vs_parse_ratio`) the same with `--events derived`;
 * `backtest_peak_rss_mb` at the full size and at a tenth of it (`backtest_rss_ratio_full_tenth`);
 * `backtest_sys_cpu_share` / `bare_parse_sys_cpu_share`: how much of each CPU time was the kernel's, and
 * `backtest_parse_ratio_user_cpu`: `backtest_parse_ratio` on user CPU time alone.
 * The file, the cache and the report folders live in a temp dir, deleted afterwards.
 * Size (trades) can be lowered while developing: PMA_BENCH_BACKTEST_TRADES (default 10 million).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readEventBatches } from '../events/log';
import type { TradeEvent } from '../events/types';
import { buildTickCache, knownSha256 } from '../actors/tickCache';
import { cpuSeconds } from './measure';
import type { BacktestChildResult, StrategyMix } from './backtestChild';
import { baseTrades, writeShiftedTicks, type BaseTrade } from './replayTicks';

export const name = 'backtest';

const SHARED_SPOT = resolve(__dirname, '../../shared/data/binance/hftbacktest/spot');
const DEMO = resolve(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');

/** The shared hftbacktest recordings when present, else the trades of the demo tick file (the same slice of them). */
async function realTrades(): Promise<{ trades: BaseTrade[]; source: string }> {
  if (existsSync(SHARED_SPOT)) return baseTrades();
  const trades: BaseTrade[] = [];
  for await (const batch of readEventBatches(DEMO)) {
    for (const { event } of batch) {
      if (event.type !== 'trade') continue;
      const t = event as TradeEvent;
      trades.push({ symbol: t.symbol, ts: t.ts, tradeId: t.tradeId, price: t.price, qty: t.qty, buyerMaker: t.buyerMaker });
    }
  }
  return { trades, source: 'data/ demo tick file' };
}

/** One child run (it measures its own CPU time, parse and backtest in the same process). */
function runChild(ticks: string, reportDir: string, mix: StrategyMix = 'all', tickCache = '-', events: 'full' | 'derived' = 'full'): Promise<BacktestChildResult> {
  const runTs = resolve(__dirname, '../bin/run-ts.js');
  const child = spawn(process.execPath, [runTs, resolve(__dirname, 'backtestChild.ts'), ticks, reportDir, mix, tickCache, events], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise((done, fail) => {
    child.on('exit', (code) => {
      if (code !== 0) fail(new Error(`backtest child failed (${code}): ${stderr}`));
      else done(JSON.parse(stdout.trim().split('\n').pop()!) as BacktestChildResult);
    });
  });
}

export async function run(): Promise<Record<string, number | string>> {
  const size = Number(process.env.PMA_BENCH_BACKTEST_TRADES ?? 10_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'pma-bench-backtest-'));
  try {
    const { trades: base, source } = await realTrades();
    const ticks = join(dir, 'big.ticks.jsonl');
    const bytes = writeShiftedTicks(ticks, base, size);
    const cacheDir = join(dir, 'cache');
    const start = cpuSeconds();
    await buildTickCache([ticks], cacheDir);
    const cacheBuildCpuS = cpuSeconds() - start;
    const tenth = Math.round(size / 10);
    const smallTicks = join(dir, 'tenth.ticks.jsonl');
    writeShiftedTicks(smallTicks, base, tenth);
    // One child at a time: four at once on this machine's two cores inflated each one's CPU time unevenly
    // (docs/benchmarks.md, "The eleventh session"): a backtest's working set suffers more from a neighbour than a bare parse's.
    const r = await runChild(ticks, join(dir, 'report'));
    const one = await runChild(ticks, join(dir, 'report-flash'), 'flash_crash');
    // As a user's later runs find it: the file's hash noted in the cache folder (a note within 2 s of the
    // file's last write is not trusted, and this one was written right after the file).
    await knownSha256(ticks, cacheDir);
    const col = await runChild(ticks, join(dir, 'report-columnar'), 'all', cacheDir);
    const colDerived = await runChild(ticks, join(dir, 'report-columnar-derived'), 'all', cacheDir, 'derived');
    const small = await runChild(smallTicks, join(dir, 'report-tenth'));
    if (r.lines !== size || r.trades !== size) throw new Error(`backtest bench: parsed ${r.lines} lines and replayed ${r.trades} trades of ${size}`);
    if (!col.fromCache || col.trades !== size || !colDerived.fromCache || colDerived.trades !== size) throw new Error('backtest bench: a columnar run did not read the cache');
    const perS = (x: BacktestChildResult) => x.trades / x.backtestCpuS;
    const parse = (x: BacktestChildResult) => x.lines / x.parseCpuS;
    return {
      backtest_base_trades: `${base.length} (${source})`,
      backtest_bench_trades: size,
      backtest_file_mb: bytes / (1 << 20),
      backtest_input_events: r.inputs,
      backtest_derived_events: r.derived,
      backtest_events_per_s: Math.round(perS(r)),
      backtest_bare_parse_per_s: Math.round(parse(r)),
      // The bare parse after the backtest against the one before it (1: the machine's speed held).
      bare_parse_after_vs_before: r.parseCpuSBefore / r.parseCpuSAfter,
      backtest_parse_ratio: perS(r) / parse(r),
      backtest_parse_ratio_all_three: perS(r) / parse(r),
      backtest_events_per_s_flash_crash: Math.round(perS(one)),
      backtest_parse_ratio_flash_crash: perS(one) / parse(one),
      backtest_wall_s: r.backtestWallS,
      // The kernel's share of each CPU time: the backtest writes its log (as many bytes again as it reads) into the page cache.
      backtest_sys_cpu_share: r.backtestSysS / r.backtestCpuS,
      bare_parse_sys_cpu_share: r.parseSysS / r.parseCpuS,
      // The same ratio on user CPU alone: the code's speed without the kernel's page supply (this VM hands out fresh page-cache memory at ~3 s/GB).
      backtest_parse_ratio_user_cpu: (r.trades / (r.backtestCpuS - r.backtestSysS)) / (r.lines / (r.parseCpuS - r.parseSysS)),
      backtest_cache_build_cpu_s: cacheBuildCpuS,
      backtest_columnar_events_per_s: Math.round(perS(col)),
      columnar_vs_parse_ratio: perS(col) / parse(col),
      // Each ratio's denominator is its own child's bare parse, which drifts with the machine (the after/before pair shows how much).
      columnar_bare_parse_per_s: Math.round(parse(col)),
      columnar_bare_parse_after_vs_before: col.parseCpuSBefore / col.parseCpuSAfter,
      backtest_columnar_wall_s: col.backtestWallS,
      // The fastest configuration a user can choose: from the cache, writing only the derived events (--events derived).
      backtest_columnar_derived_events_per_s: Math.round(perS(colDerived)),
      columnar_derived_vs_parse_ratio: perS(colDerived) / parse(colDerived),
      columnar_derived_bare_parse_per_s: Math.round(parse(colDerived)),
      backtest_peak_rss_mb: r.maxRssKb / 1024,
      backtest_peak_rss_mb_tenth: small.maxRssKb / 1024,
      backtest_rss_ratio_full_tenth: r.maxRssKb / small.maxRssKb,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
