/**
 * Replay benchmark (docs/benchmarks.md):
 * - throughput of the full pipeline (tick-file read and parse -> windows -> signals -> log write) in
 *   trades per CPU second, against the ceiling of any replay of the same file: reading its lines
 *   with the same streaming reader and `JSON.parse` of each, nothing else; best of 5 interleaved rounds;
 * - peak resident memory of a 1-million- and a 10-million-trade replay, each in its own child process.
 * Tick files are real trades shifted in time, built in a temp dir and deleted afterwards.
 * Sizes can be lowered while developing: PMA_BENCH_REPLAY_SMALL, PMA_BENCH_REPLAY_BIG (trades).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultConfig } from '../actors/config/load';
import { replayTickFile } from '../actors/replay';
import { bareParse, cpuSeconds } from './measure';
import { baseTrades, writeShiftedTicks } from './replayTicks';

export const name = 'replay';

const ROUNDS = 5;


/** Peak RSS (MiB) of a child process replaying `ticks`. */
function childPeakRss(ticks: string, out: string, expectTrades: number): number {
  const runTs = resolve(__dirname, '../bin/run-ts.js');
  const child = spawnSync(process.execPath, [runTs, resolve(__dirname, 'replayChild.ts'), ticks, out], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`replay child failed (${child.status}): ${child.stderr}`);
  const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as { trades: number; maxRssKb: number };
  if (result.trades !== expectTrades) throw new Error(`replay child saw ${result.trades} trades, expected ${expectTrades}`);
  return result.maxRssKb / 1024;
}

export async function run(): Promise<Record<string, number | string>> {
  const small = Number(process.env.PMA_BENCH_REPLAY_SMALL ?? 1_000_000);
  const big = Number(process.env.PMA_BENCH_REPLAY_BIG ?? 10_000_000);
  const signals = defaultConfig().signals;
  const dir = mkdtempSync(join(tmpdir(), 'pma-bench-replay-'));
  try {
    const { trades: base, source } = baseTrades();
    const smallTicks = join(dir, 'small.ticks.jsonl');
    writeShiftedTicks(smallTicks, base, small);

    let bestBare = 0;
    let bestReplay = 0;
    let signalCount = 0;
    for (let round = 0; round < ROUNDS; round++) {
      let start = cpuSeconds();
      const parsed = await bareParse(smallTicks);
      bestBare = Math.max(bestBare, parsed / (cpuSeconds() - start));
      start = cpuSeconds();
      const summary = await replayTickFile({ ticks: smallTicks, out: join(dir, 'small.out.jsonl'), signals });
      bestReplay = Math.max(bestReplay, summary.trades / (cpuSeconds() - start));
      signalCount = summary.derived;
    }
    rmSync(join(dir, 'small.out.jsonl'));

    const rssSmall = childPeakRss(smallTicks, join(dir, 'small.out.jsonl'), small);
    rmSync(join(dir, 'small.out.jsonl'));
    rmSync(smallTicks);
    const bigTicks = join(dir, 'big.ticks.jsonl');
    writeShiftedTicks(bigTicks, base, big);
    const rssBig = childPeakRss(bigTicks, join(dir, 'big.out.jsonl'), big);

    return {
      replay_base_trades: `${base.length} (${source})`,
      // counts as strings: the runner rounds numbers to 4 significant digits
      replay_bench_trades: String(small),
      replay_signals: String(signalCount),
      replay_trades_per_s: Math.round(bestReplay),
      bare_parse_per_s: Math.round(bestBare),
      replay_parse_ratio: bestReplay / bestBare,
      rss_1m_mb: rssSmall,
      rss_10m_mb: rssBig,
      rss_small_trades: String(small),
      rss_big_trades: String(big),
      rss_ratio_10m_1m: rssBig / rssSmall,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
