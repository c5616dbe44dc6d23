/**
 * Child process of the replay benchmark: `node bin/run-ts.js bench/replayChild.ts TICKS OUT` replays
 * TICKS with the default signal parameters and prints one JSON line with its peak resident memory.
 */
import { defaultConfig } from '../actors/config/load';
import { replayTickFile } from '../actors/replay';

async function main(): Promise<void> {
  const [ticks, out] = process.argv.slice(2);
  const summary = await replayTickFile({ ticks, out, signals: defaultConfig().signals });
  // resourceUsage().maxRSS is the peak resident set of this process, in KiB
  process.stdout.write(JSON.stringify({ trades: summary.trades, written: summary.written, maxRssKb: process.resourceUsage().maxRSS }) + '\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
