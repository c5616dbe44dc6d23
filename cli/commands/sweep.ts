import { availableParallelism } from 'node:os';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../actors/config/load';
import type { Executor } from '../../actors/sweep/executor';
import { loadGrid } from '../../actors/sweep/grid';
import { localPool } from '../../actors/sweep/localPool';
import { natsExecutor } from '../../actors/sweep/natsExecutor';
import { NatsUnavailable } from '../../actors/venues/nats/queue';
import { rankRows } from '../../actors/sweep/rank';
import { resumable, runsDir } from '../../actors/sweep/resumable';
import { writeSweepOutputs } from '../../actors/sweep/results';
import { runSweep, type SweepResults } from '../../actors/sweep/sweep';
import { parseWalkForward } from '../../actors/sweep/walkForward';
import { buildTickCache } from '../../actors/tickCache';
import { parseTime } from './backtest';

interface SweepCommandOptions {
  grid: string;
  out: string;
  workers?: string;
  config?: string;
  walkForward?: string;
  nats?: string;
  from?: string;
  to?: string;
  tickCache?: string;
}

/** `[#####-----] 12/40 runs | ETA 30s` on a terminal's stderr (cli-progress); null when stderr is a pipe. */
function runsProgress(): { update(done: number, total: number): void; stop(): void } | null {
  if (!process.stderr.isTTY) return null;
  const bar = new SingleBar({ stream: process.stderr, format: '[{bar}] {value}/{total} runs | {duration_formatted} | ETA {eta_formatted}', barsize: 30, barCompleteChar: '#', barIncompleteChar: '-', hideCursor: true, clearOnComplete: true, etaBuffer: 10 });
  bar.start(1, 0);
  return {
    update(done, total) {
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => bar.stop(),
  };
}

function summary(r: SweepResults, top = 10): string[] {
  const params = r.parameters.map((p) => p.key);
  const rows = rankRows(r.runs.filter((x) => x.phase !== 'test'), r.metric).slice(0, top);
  const lines = [`best ${rows.length} of ${r.runs.length} runs by ${r.metric}:`, `  ${['run', ...params, r.metric, 'net P&L', 'max drawdown', 'round trips'].join('  ')}`];
  for (const x of rows) lines.push(`  ${[x.run, ...params.map((k) => x.parameters[k]), x.figures[r.metricKey] ?? '-', x.figures['total.netPnl'] ?? '-', x.figures['total.maxDrawdown'] ?? '-', x.figures['total.roundTrips'] ?? '-'].join('  ')}${x.error ? `  error: ${x.error}` : ''}`);
  if (r.walkForward) {
    lines.push(`walk-forward ${r.walkForward.spec}: fold  best parameters  in-sample  out-of-sample  gap`);
    for (const f of r.walkForward.folds) lines.push(`  ${f.fold}  ${params.map((k) => `${k}=${f.parameters[k]}`).join(' ')}  ${f.inSample ?? '-'}  ${f.outOfSample ?? '-'}  ${f.gap ?? '-'}`);
  }
  return lines;
}

/** `pma sweep --grid FILE TICKS... --out DIR [--workers N] [--config FILE] [--walk-forward TRAIN/TEST] [--nats URL]`. */
export function register(program: Command): void {
  program
    .command('sweep')
    .description(
      'Run a grid of parameters (dotted config keys, JSON or YAML) as deterministic backtests of the same tick files, on ' +
        'local worker processes or on `pma worker`s behind NATS JetStream; rank by a metric, optionally walk-forward. Writes ' +
        'DIR/results.json, DIR/results.csv and DIR/sweep.html (docs/sweeps.md).',
    )
    .argument('<ticks...>', 'tick files (event logs of input events, plain or gzip)')
    .requiredOption('--grid <file>', 'grid file: {"metric": "netPnl", "parameters": {"signals.threshold": [0.0005, 0.001], ...}}')
    .requiredOption('--out <dir>', 'folder for results.json, results.csv and sweep.html (created; files replaced); local sweeps keep each finished run in DIR/runs and resume from it')
    .option('--workers <n>', 'local worker processes (default: the cores)')
    .option('--config <file>', 'base config the grid applies over')
    .option('--walk-forward <spec>', 'TRAIN/TEST window lengths (e.g. 6h/2h) or a number of folds: best on each train window, reported on the next test window')
    .option('--nats <url>', 'publish the runs as jobs to NATS JetStream at this URL for `pma worker`s (resumable: finished runs are not run again)')
    .option('--from <time>', 'only events at or after this time (ms or ISO 8601)')
    .option('--to <time>', 'only events at or before this time (ms or ISO 8601)')
    .option('--tick-cache <dir>', 'local workers read the tick files from their columnar cache in DIR (pma cache), built first where missing; same results. With --nats, give it to each pma worker instead')
    .addHelpText('after', '\nExamples:\n  pma sweep --grid grid.json data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz --out out/sweep --workers 2\n  pma sweep --grid grid.json data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz --out out/sweep --tick-cache var/tick-cache\n')
    .action(async (ticks: string[], opts: SweepCommandOptions) => {
      let executor: Executor;
      let prepared;
      try {
        const base = loadConfig(opts.config);
        const grid = loadGrid(opts.grid, base);
        const workers = opts.workers === undefined ? availableParallelism() : Number(opts.workers);
        if (!Number.isInteger(workers) || workers < 1) throw new ConfigError(`--workers: expected a whole number of at least 1, got "${opts.workers}"`);
        const from = opts.from !== undefined ? parseTime(opts.from, '--from') : undefined;
        const to = opts.to !== undefined ? parseTime(opts.to, '--to') : undefined;
        if (from !== undefined && to !== undefined && from > to) throw new ConfigError(`--from (${opts.from}) is after --to (${opts.to})`);
        const walkForward = opts.walkForward !== undefined ? parseWalkForward(opts.walkForward) : undefined;
        if (opts.tickCache !== undefined && opts.nats) throw new ConfigError('--tick-cache is for local workers: with --nats, start each `pma worker` with --tick-cache DIR');
        prepared = { base, grid, from, to, walkForward };
        // Built once here, not by each worker at its first run; a bad line ends the sweep before any run (exit 2, file:line).
        if (opts.tickCache !== undefined) {
          for (const c of await buildTickCache(ticks, opts.tickCache)) process.stdout.write(`tick cache: ${c.built ? 'wrote' : 'kept'} ${c.cache} for ${c.file}\n`);
        }
        const keptLine = (kept: number, total: number) => process.stderr.write(`pma sweep: ${kept} of ${total} runs already done in ${runsDir(opts.out)}: kept, not run again\n`);
        executor = opts.nats ? await natsExecutor(opts.nats, base.sweep.ackWaitMs, (line) => process.stderr.write(`pma sweep: ${line}\n`)) : resumable(localPool(workers, opts.tickCache), runsDir(opts.out), keptLine);
      } catch (err) {
        if (!(err instanceof ConfigError || err instanceof NatsUnavailable)) throw err;
        process.stderr.write(`pma sweep: ${err.message}\n`);
        process.exitCode = err instanceof ConfigError ? 2 : 1;
        return;
      }
      const progress = runsProgress();
      try {
        const outcome = await runSweep({ ...prepared, gridSource: opts.grid, ticks, executor, onProgress: progress ? (d, t) => progress.update(d, t) : undefined });
        progress?.stop();
        const files = writeSweepOutputs(opts.out, outcome);
        process.stdout.write([...summary(outcome.results), `wrote ${files.join(', ')}`].join('\n') + '\n');
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`pma sweep: ${err.message}\n`);
        process.exitCode = 2;
      } finally {
        progress?.stop();
        await executor.close();
      }
    });
}
