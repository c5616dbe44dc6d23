import { millis } from '@nats-io/transport-node';
import { SystemClock, type TimerId } from '../../events/clock';
import { openSweepQueue, type SweepQueue } from '../venues/nats/queue';
import { fetchTicks } from '../venues/nats/ticks';
import type { RunJob, RunResult } from './job';
import { startRunner } from './runner';

export interface WorkerOptions {
  url: string;
  /** Where tick files from the object store are kept between jobs. */
  cacheDir: string;
  /** Where their columnar caches are built and read (`pma worker --tick-cache`); absent: the JSON files are read. */
  tickCache?: string;
  /** Ack wait of the shared consumer when this worker has to create it (the sweep sets it otherwise). */
  ackWaitMs: number;
  onStart?: (job: RunJob) => void;
  onJob?: (job: RunJob, result: RunResult, recorded: boolean) => void;
}

export interface Worker {
  /** Resolves once stopped (after the job in hand is finished). */
  done: Promise<void>;
  stop(): void;
}

/** Records a result unless one is already there (KV create): a run is recorded once however often it ran. */
async function record(q: SweepQueue, result: RunResult): Promise<boolean> {
  try {
    await q.results.create(result.hash, new TextEncoder().encode(JSON.stringify(result)));
    return true;
  } catch (err) {
    if ((await q.results.get(result.hash))?.operation === 'PUT') return false;
    throw err;
  }
}

/**
 * `pma worker`: pulls one job at a time from the sweep queue, runs it (the plain backtest, in a
 * child process with the V8 flags of a local sweep's workers: actors/sweep/runner.ts), records the
 * result and then acks. While a job runs it tells the server it is working (every third of the ack
 * wait); if the process dies, the job is redelivered to another worker after the ack wait. A job
 * whose result is already recorded is acked without running. If the child process dies in a run,
 * the worker stops with that error, the job unacked (redelivered after the ack wait, not recorded).
 */
export async function startWorker(o: WorkerOptions): Promise<Worker> {
  const q = await openSweepQueue(o.url, o.ackWaitMs, false);
  const ackWaitMs = millis((await q.consumer.info()).config.ack_wait ?? 0) || o.ackWaitMs;
  const runner = startRunner();
  const clock = new SystemClock();
  let stopping = false;
  /** A tick file the store cannot give is the run's error; the child process dying in the run is no result: it throws. */
  const runJob = async (job: RunJob): Promise<RunResult> => {
    let paths: string[];
    try {
      paths = await fetchTicks(q.ticks, job.ticks, o.cacheDir);
    } catch (err) {
      return { hash: job.hash, figures: {}, equity: [], error: (err as Error).message };
    }
    return runner.run(job, paths, o.tickCache);
  };
  const loop = async () => {
    while (!stopping) {
      const msg = await q.consumer.next({ expires: 2_000 });
      if (!msg) continue;
      const job = msg.json<RunJob>();
      if ((await q.results.get(job.hash))?.operation === 'PUT') {
        await msg.ackAck();
        continue;
      }
      o.onStart?.(job);
      let beat: TimerId;
      const working = () => {
        msg.working();
        beat = clock.setTimeout(working, Math.max(250, ackWaitMs / 3));
      };
      beat = clock.setTimeout(working, Math.max(250, ackWaitMs / 3));
      let result: RunResult;
      try {
        result = await runJob(job);
      } finally {
        clock.clearTimeout(beat);
      }
      const recorded = await record(q, result);
      await msg.ackAck();
      o.onJob?.(job, result, recorded);
    }
  };
  const done = loop().finally(() => Promise.all([q.close(), runner.close()]));
  return { done, stop: () => void (stopping = true) };
}
