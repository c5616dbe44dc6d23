/**
 * Backtest benchmark (docs/backtest.md, docs/benchmarks.md): `pma backtest` throughput on a big tick
 * file of real trades shifted in time (the shared hftbacktest BTCUSDT/ETHUSDT recordings, else the demo
 * tick file's trades; bench/replayTicks.ts: seq 1..N, ts non-decreasing, trade ids increasing per symbol), in tick-file events per CPU second, against bare `JSON.parse` of the same
 * lines in the same child process: `backtest_parse_ratio` = backtest rate / parse rate.
 * The file and the report folder live in a temp dir, deleted afterwards.
 * Size (trades) can be lowered while developing: PMA_BENCH_BACKTEST_TRADES (default 10 million).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readEventBatches } from '../events/log';
import type { TradeEvent } from '../events/types';
import type { BacktestChildResult } from './backtestChild';
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

function runChild(ticks: string, reportDir: string): BacktestChildResult {
  const runTs = resolve(__dirname, '../bin/run-ts.js');
  const child = spawnSync(process.execPath, [runTs, resolve(__dirname, 'backtestChild.ts'), ticks, reportDir], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`backtest child failed (${child.status}): ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as BacktestChildResult;
}

export async function run(): Promise<Record<string, number | string>> {
  const size = Number(process.env.PMA_BENCH_BACKTEST_TRADES ?? 10_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'pma-bench-backtest-'));
  try {
    const { trades: base, source } = await realTrades();
    const ticks = join(dir, 'big.ticks.jsonl');
    const bytes = writeShiftedTicks(ticks, base, size);
    const r = runChild(ticks, join(dir, 'report'));
    if (r.lines !== size || r.trades !== size) throw new Error(`backtest bench: parsed ${r.lines} lines and replayed ${r.trades} trades of ${size}`);
    const backtestPerS = r.trades / r.backtestCpuS;
    const parsePerS = r.lines / r.parseCpuS;
    return {
      backtest_base_trades: `${base.length} (${source})`,
      backtest_bench_trades: size,
      backtest_file_mb: bytes / (1 << 20),
      backtest_input_events: r.inputs,
      backtest_derived_events: r.derived,
      backtest_events_per_s: Math.round(backtestPerS),
      backtest_bare_parse_per_s: Math.round(parsePerS),
      backtest_parse_ratio: backtestPerS / parsePerS,
      backtest_wall_s: r.backtestWallS,
      backtest_peak_rss_mb: r.maxRssKb / 1024,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
