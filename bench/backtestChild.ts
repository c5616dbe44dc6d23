/**
 * Child process of the backtest benchmark:
 * `node bin/run-ts.js bench/backtestChild.ts TICKS REPORT_DIR [MIX] [TICK_CACHE_DIR|-] [EVENTS]`
 * reads TICKS with `JSON.parse` of each line (nothing else) before and again after it backtests it with the default
 * config (MIX `all`, or `flash_crash`: that strategy alone), from the columnar cache in
 * TICK_CACHE_DIR when given (`-`: none), writing the log as EVENTS says (`full`, the default, or `derived`), and prints one JSON line: CPU seconds of each, the event counts and
 * peak resident memory. Both measurements run in this one process, so they share its warm-up and
 * its share of the machine; the process has `pma backtest`'s garbage-collector settings from the start.
 */
import { defaultConfig, parseConfig } from '../actors/config/load';
import { runBacktest } from '../actors/backtest/run';
import { useBacktestHeapSettings } from '../actors/backtest/heapSettings';
import { SystemClock } from '../events/clock';
import { bareParse, cpuSeconds } from './measure';

export interface BacktestChildResult {
  lines: number;
  /** The bare parse's CPU seconds: the mean of one run before the backtest and one after it. */
  parseCpuS: number;
  parseCpuSBefore: number;
  parseCpuSAfter: number;
  /** Of parseCpuS, the kernel's (system CPU: reading the file). */
  parseSysS: number;
  trades: number;
  /** Input events replayed: the file's plus the simulated market's quotes and the synthetic timers. */
  inputs: number;
  derived: number;
  backtestCpuS: number;
  /** Of backtestCpuS, the kernel's (system CPU: reading the tick file, writing the log into the page cache). */
  backtestSysS: number;
  backtestWallS: number;
  maxRssKb: number;
  fromCache: boolean;
}

export type StrategyMix = 'all' | 'flash_crash';

function configOf(mix: StrategyMix) {
  if (mix === 'all') return defaultConfig();
  return parseConfig({ fifteenMin: { enabled: false }, negRisk: { enabled: false } });
}

async function main(): Promise<void> {
  const [ticks, reportDir, mix = 'all', cacheArg = '-', events = 'full'] = process.argv.slice(2);
  if (mix !== 'all' && mix !== 'flash_crash') throw new Error(`backtest child: unknown strategy mix ${mix}`);
  if (events !== 'full' && events !== 'derived') throw new Error(`backtest child: unknown events mode ${events}`);
  const tickCache = cacheArg === '-' ? undefined : cacheArg;
  useBacktestHeapSettings(); // as `pma backtest` runs
  const before = await timedParse(ticks);

  const clock = new SystemClock();
  const start = cpuSeconds();
  const sys = process.cpuUsage().system;
  const wallStart = clock.now();
  const { report, inputsFromCache } = await runBacktest({ ticks: [ticks], config: configOf(mix), reportDir, tickCache, events });
  const backtestCpuS = cpuSeconds() - start;
  const backtestSysS = (process.cpuUsage().system - sys) / 1e6;
  const backtestWallS = (clock.now() - wallStart) / 1000;
  // The machine's speed drifts by up to a quarter within minutes: a parse on each side of the backtest.
  const after = await timedParse(ticks);
  if (after.lines !== before.lines) throw new Error(`backtest child: parsed ${before.lines} lines, then ${after.lines}`);
  const result: BacktestChildResult = {
    lines: before.lines,
    parseCpuS: (before.cpuS + after.cpuS) / 2,
    parseCpuSBefore: before.cpuS,
    parseCpuSAfter: after.cpuS,
    parseSysS: (before.sysS + after.sysS) / 2,
    trades: report.events.trades,
    inputs: report.events.inputs,
    derived: report.events.derived,
    backtestCpuS,
    backtestSysS,
    backtestWallS,
    // resourceUsage().maxRSS is the peak resident set of this process, in KiB
    maxRssKb: process.resourceUsage().maxRSS,
    fromCache: inputsFromCache.length === 1,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

/** Lines a bare parse of the file took, in CPU seconds and the kernel's share of them. */
async function timedParse(ticks: string): Promise<{ lines: number; cpuS: number; sysS: number }> {
  const start = cpuSeconds();
  const sys = process.cpuUsage().system;
  const lines = await bareParse(ticks);
  return { lines, cpuS: cpuSeconds() - start, sysS: (process.cpuUsage().system - sys) / 1e6 };
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
