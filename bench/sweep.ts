/**
 * Sweep benchmark (docs/sweeps.md, docs/benchmarks.md): one grid of backtests timed by wall clock three
 * ways, each executor warmed up first (processes started, tick file fetched) so only the sweep is timed:
 * - `sweep_speedup_2_workers` = wall time with 1 local worker process / with 2 (goal >= 1.7 on 2 cores);
 * - `sweep_nats_overhead` = wall time with 2 `pma worker`s through a real nats-server -js on loopback /
 *   with 2 local workers (goal <= 1.15). Skipped, saying so, without /usr/sbin/nats-server.
 * The data: PMA_BENCH_SWEEP_TRADES (default 400 000) real trades shifted in time (bench/replayTicks.ts, as the
 * backtest bench), about 5 hours of BTCUSDT+ETHUSDT: a sweep a trader runs covers hours to weeks. Until the
 * fifth session the grid ran on the demo tick file (14 000 inputs a run, 0.3 s): each worker process's JIT
 * warm-up and background compiling (about 3 s, docs/benchmarks.md "Sweep") were then most of what the figure
 * measured, and the faster the backtest got the lower the figure went. That case is still reported, as
 * `sweep_speedup_2_workers_demo_file` (32 runs of the demo file, local only).
 * Runs: PMA_BENCH_SWEEP_RUNS (default 16, a multiple of 8): `signals.threshold` (4 values) x
 * `flashCrash.dropRelative` (2) x `signals.volumeMultiplier` (runs / 8, from the default 2 up). The third
 * parameter keeps the runs as costly as the ones a trader tries, instead of thresholds so high that nothing trades.
 * The machine is shared, so wall time also measures the other engineers' load: `*_cpu` figures are
 * the same ratios from the worker processes' CPU time (/proc): the busiest worker's CPU seconds stand
 * for the wall time the sweep would take with a free core per worker.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultConfig } from '../actors/config/load';
import type { Executor } from '../actors/sweep/executor';
import { parseGrid } from '../actors/sweep/grid';
import { localPool } from '../actors/sweep/localPool';
import { natsExecutor } from '../actors/sweep/natsExecutor';
import { runSweep } from '../actors/sweep/sweep';
import { monotonicMs } from '../events/clock';
import { mainThreadCpuSeconds, processCpuSeconds } from './measure';
import { hasNatsServer, startNatsServer } from '../tests/support/natsServer';
import { startPma } from '../tests/support/pmaCli';
import { baseTrades, writeShiftedTicks } from './replayTicks';

export const name = 'sweep';

const DEMO = resolve(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');
const DEMO_WARM_UP = { from: 1723161255342, to: 1723161265342 };

/** The tick file of a timed sweep and a 10 s slice of it that warms the workers up. */
interface SweepData {
  ticks: string;
  warmUp: { from: number; to: number };
}

/** CPU seconds of a process and its descendants (a `pma worker` runs its backtests in a child process). */
function treeCpuSeconds(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return processCpuSeconds(pid) + children.map(treeCpuSeconds).reduce((a, b) => a + b, 0);
}

interface Timing {
  seconds: number;
  /** CPU seconds of the busiest worker (process tree) during the timed sweep. */
  busiestCpuS: number;
  /** CPU seconds of the workers' threads other than their main ones (V8's compiler threads, libuv) during the timed sweep. */
  backgroundCpuS: number;
  json: string;
}

async function timed(executor: Executor, data: SweepData, runs: number, pids: () => number[]): Promise<Timing> {
  const base = defaultConfig();
  const volumeMultipliers = Array.from({ length: runs / 8 }, (_, i) => 2 + 0.5 * i);
  const parameters = { 'signals.threshold': [0.0005, 0.001, 0.0015, 0.002], 'flashCrash.dropRelative': [0.1, 0.2], 'signals.volumeMultiplier': volumeMultipliers };
  const grid = parseGrid({ metric: 'netPnl', parameters }, base);
  // Warm-up: a 10 s slice on every worker, so process start and tick transfer are not timed.
  const warm = parseGrid({ parameters: { 'signals.threshold': [0.0011, 0.0012] } }, base);
  await runSweep({ grid: warm, gridSource: 'warm-up', base, ticks: [data.ticks], ...data.warmUp, executor });
  const background = () => pids().reduce((sum, pid) => sum + processCpuSeconds(pid) - mainThreadCpuSeconds(pid), 0);
  const cpu0 = pids().map(treeCpuSeconds);
  const background0 = background();
  const start = monotonicMs();
  const outcome = await runSweep({ grid, gridSource: 'bench', base, ticks: [data.ticks], executor });
  const seconds = (monotonicMs() - start) / 1000;
  const busiestCpuS = Math.max(...pids().map((pid, i) => treeCpuSeconds(pid) - cpu0[i]));
  return { seconds, busiestCpuS, backgroundCpuS: background() - background0, json: JSON.stringify(outcome.results) };
}

async function local(workers: number, data: SweepData, runs: number): Promise<Timing> {
  const pool = localPool(workers);
  try {
    return await timed(pool, data, runs, () => pool.pids());
  } finally {
    await pool.close();
  }
}

async function nats(data: SweepData, runs: number): Promise<Timing> {
  const server = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'pma-bench-sweep-'));
  const workers = ['a', 'b'].map((w) => startPma(['worker', '--nats', server.url, '--cache', join(dir, w)]));
  try {
    const executor = await natsExecutor(server.url, 60_000);
    try {
      return await timed(executor, data, runs, () => workers.map((w) => w.child.pid!));
    } finally {
      await executor.close();
    }
  } finally {
    for (const w of workers) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.result));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function runsFrom(name: string, fallback: number): number {
  const runs = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(runs / 8) || runs < 8) throw new Error(`${name}: a multiple of 8, got ${process.env[name]}`);
  return runs;
}

export async function run(): Promise<Record<string, number | string>> {
  const runs = runsFrom('PMA_BENCH_SWEEP_RUNS', 16);
  const trades = Number(process.env.PMA_BENCH_SWEEP_TRADES ?? 400_000);
  const dir = mkdtempSync(join(tmpdir(), 'pma-bench-sweep-data-'));
  try {
    const { trades: base, source } = baseTrades();
    const ticks = join(dir, 'shifted.ticks.jsonl');
    writeShiftedTicks(ticks, base, trades);
    const data: SweepData = { ticks, warmUp: { from: base[0].ts, to: base[0].ts + 10_000 } };
    const demo = { ticks: DEMO, warmUp: DEMO_WARM_UP };
    const demoOne = await local(1, demo, 32);
    const demoTwo = await local(2, demo, 32);
    return { sweep_trades: `${trades} (${source}, shifted)`, ...(await figures(data, runs)), sweep_speedup_2_workers_demo_file: demoOne.seconds / demoTwo.seconds, sweep_speedup_2_workers_demo_file_cpu: demoOne.busiestCpuS / demoTwo.busiestCpuS };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function figures(data: SweepData, runs: number): Promise<Record<string, number | string>> {
  const one = await local(1, data, runs);
  const two = await local(2, data, runs);
  if (one.json !== two.json) throw new Error('sweep bench: 1 and 2 local workers gave different results');
  const figures: Record<string, number | string> = {
    sweep_runs: runs,
    // The machine is shared: the 1-minute load average (2 cores) says how much of it the bench had.
    sweep_load_average_1m: loadavg()[0],
    sweep_1_worker_s: one.seconds,
    sweep_2_workers_s: two.seconds,
    sweep_speedup_2_workers: one.seconds / two.seconds,
    sweep_speedup_2_workers_cpu: one.busiestCpuS / two.busiestCpuS,
    // What the lone worker's background threads (mostly V8 compiling) ran on the second core beside its main thread.
    sweep_1_worker_background_cpu_s: one.backgroundCpuS,
    sweep_2_workers_background_cpu_s: two.backgroundCpuS,
  };
  if (!hasNatsServer) return { ...figures, sweep_nats_overhead: 'skipped: /usr/sbin/nats-server not installed' };
  const viaNats = await nats(data, runs);
  if (viaNats.json !== two.json) throw new Error('sweep bench: NATS and local workers gave different results');
  return { ...figures, sweep_nats_2_workers_s: viaNats.seconds, sweep_nats_overhead: viaNats.seconds / two.seconds, sweep_nats_overhead_cpu: viaNats.busiestCpuS / two.busiestCpuS };
}
