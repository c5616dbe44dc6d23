/**
 * Child process of the backtest benchmark: `node bin/run-ts.js bench/backtestChild.ts TICKS REPORT_DIR`
 * reads TICKS with `JSON.parse` of each line (nothing else), then backtests it with the default
 * config, and prints one JSON line: CPU seconds of each, the event counts and peak resident memory.
 * Both measurements run in this one process, so they share its warm-up and its share of the machine.
 */
import { defaultConfig } from '../actors/config/load';
import { runBacktest } from '../actors/backtest/run';
import { SystemClock } from '../events/clock';
import { bareParse, cpuSeconds } from './measure';

export interface BacktestChildResult {
  lines: number;
  parseCpuS: number;
  trades: number;
  /** Input events replayed: the file's plus the simulated market's quotes and the synthetic timers. */
  inputs: number;
  derived: number;
  backtestCpuS: number;
  backtestWallS: number;
  maxRssKb: number;
}


async function main(): Promise<void> {
  const [ticks, reportDir] = process.argv.slice(2);
  let start = cpuSeconds();
  const lines = await bareParse(ticks);
  const parseCpuS = cpuSeconds() - start;

  const clock = new SystemClock();
  start = cpuSeconds();
  const wallStart = clock.now();
  const { report } = await runBacktest({ ticks: [ticks], config: defaultConfig(), reportDir });
  const result: BacktestChildResult = {
    lines,
    parseCpuS,
    trades: report.events.trades,
    inputs: report.events.inputs,
    derived: report.events.derived,
    backtestCpuS: cpuSeconds() - start,
    backtestWallS: (clock.now() - wallStart) / 1000,
    // resourceUsage().maxRSS is the peak resident set of this process, in KiB
    maxRssKb: process.resourceUsage().maxRSS,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
