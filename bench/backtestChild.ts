/**
 * Child process of the backtest benchmark:
 * `node bin/run-ts.js bench/backtestChild.ts TICKS REPORT_DIR [MIX] [TICK_CACHE_DIR]`
 * reads TICKS with `JSON.parse` of each line (nothing else), then backtests it with the default
 * config (MIX `all`, or `flash_crash`: that strategy alone), from the columnar cache in
 * TICK_CACHE_DIR when given, and prints one JSON line: CPU seconds of each, the event counts and
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
  parseCpuS: number;
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
  const [ticks, reportDir, mix = 'all', tickCache] = process.argv.slice(2);
  if (mix !== 'all' && mix !== 'flash_crash') throw new Error(`backtest child: unknown strategy mix ${mix}`);
  useBacktestHeapSettings(); // as `pma backtest` runs
  let start = cpuSeconds();
  let sys = process.cpuUsage().system;
  const lines = await bareParse(ticks);
  const parseCpuS = cpuSeconds() - start;
  const parseSysS = (process.cpuUsage().system - sys) / 1e6;

  const clock = new SystemClock();
  start = cpuSeconds();
  sys = process.cpuUsage().system;
  const wallStart = clock.now();
  const { report, inputsFromCache } = await runBacktest({ ticks: [ticks], config: configOf(mix), reportDir, tickCache });
  const result: BacktestChildResult = {
    lines,
    parseCpuS,
    parseSysS,
    trades: report.events.trades,
    inputs: report.events.inputs,
    derived: report.events.derived,
    backtestCpuS: cpuSeconds() - start,
    backtestSysS: (process.cpuUsage().system - sys) / 1e6,
    backtestWallS: (clock.now() - wallStart) / 1000,
    // resourceUsage().maxRSS is the peak resident set of this process, in KiB
    maxRssKb: process.resourceUsage().maxRSS,
    fromCache: inputsFromCache.length === 1,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
