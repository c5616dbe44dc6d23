import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../actors/config/load';
import { RunnerExited } from '../../actors/sweep/runner';
import { startWorker } from '../../actors/sweep/worker';
import { NatsUnavailable } from '../../actors/venues/nats/queue';

interface WorkerCommandOptions {
  nats: string;
  cache?: string;
  tickCache?: string;
  config?: string;
}

/** `pma worker --nats URL [--cache DIR] [--tick-cache DIR]`: runs sweep jobs from NATS JetStream until stopped (SIGINT/SIGTERM). */
export function register(program: Command): void {
  program
    .command('worker')
    .description('Run backtests of `pma sweep --nats` runs from NATS JetStream, one at a time, until stopped (docs/sweeps.md). Start one per core on any machine.')
    .requiredOption('--nats <url>', 'NATS server with JetStream, e.g. nats://10.0.0.5:4222')
    .option('--cache <dir>', 'folder for tick files taken from the object store (kept between jobs)', join(tmpdir(), 'pma-worker-ticks'))
    .option('--tick-cache <dir>', 'build and read the columnar cache of each tick file in DIR (pma cache): faster runs, same results')
    .option('--config <file>', 'config for sweep.ackWaitMs when this worker creates the job consumer (the sweep sets it otherwise)')
    .addHelpText('after', '\nExample:\n  pma worker --nats nats://127.0.0.1:4222\n')
    .action(async (opts: WorkerCommandOptions) => {
      let config;
      try {
        config = loadConfig(opts.config);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`pma worker: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      let worker;
      try {
        worker = await startWorker({
          url: opts.nats,
          cacheDir: opts.cache!,
          tickCache: opts.tickCache,
          ackWaitMs: config.sweep.ackWaitMs,
          onStart: (job) => process.stdout.write(`run ${job.hash.slice(0, 12)}: started\n`),
          onJob: (job, result, recorded) => process.stdout.write(`run ${job.hash.slice(0, 12)}: ${result.error ? `error: ${result.error}` : `net P&L ${result.figures['total.netPnl']}`}${!recorded ? ' (already recorded by another worker)' : ' recorded'}\n`),
        });
      } catch (err) {
        if (!(err instanceof NatsUnavailable)) throw err;
        process.stderr.write(`pma worker: ${err.message}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`pma worker: taking sweep jobs from ${opts.nats}\n`);
      const stop = () => worker.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        await worker.done;
      } catch (err) {
        if (!(err instanceof RunnerExited)) throw err;
        process.stderr.write(`pma worker: ${err.message}; the job was not recorded (NATS hands it to a worker again after the ack wait)\n`);
        process.exitCode = 1;
      }
    });
}
