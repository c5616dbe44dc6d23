import { openSweepQueue, JOB_SUBJECT } from '../venues/nats/queue';
import { uploadTicks } from '../venues/nats/ticks';
import { distinct, type Executor } from './executor';
import type { RunResult, TickRef } from './job';

/**
 * Runs a sweep's jobs on `pma worker`s through NATS JetStream: tick files go to the object store,
 * each job not yet recorded is published with its hash as message id, and results are read from the
 * results bucket as workers record them. Runs recorded by an earlier (stopped) submission are not run
 * again; a resubmitted job is dropped by the stream.
 */
export async function natsExecutor(url: string, ackWaitMs: number, log: (line: string) => void = () => {}): Promise<Executor> {
  const q = await openSweepQueue(url, ackWaitMs, true);
  const encode = (x: unknown) => new TextEncoder().encode(JSON.stringify(x));
  return {
    async run(jobs, onResult) {
      const queue = distinct(jobs);
      const results = new Map<string, RunResult>();
      if (queue.length === 0) return results;
      const refs = new Map<string, TickRef>();
      for (const j of queue) for (const t of j.ticks) refs.set(t.sha256, t);
      await uploadTicks(q.ticks, [...refs.values()]);
      const wanted = new Set(queue.map((j) => j.hash));
      // Watch first, then publish: a result recorded in between is not missed (the watch replays recorded values).
      // One watch over every key (nats-server 2.9 filters a consumer on one subject only), kept to this sweep's runs.
      const watch = await q.results.watch();
      const pending = new Set(wanted);
      let submitted = 0;
      for (const job of queue) {
        const recorded = await q.results.get(job.hash);
        if (recorded?.operation === 'PUT') continue;
        const ack = await q.js.publish(JOB_SUBJECT, encode(job), { msgID: job.hash });
        if (!ack.duplicate) submitted++;
      }
      log(`${url}: ${submitted} new jobs queued, ${queue.length - submitted} already queued or recorded; waiting for workers`);
      for await (const entry of watch) {
        if (entry.operation !== 'PUT' || !pending.has(entry.key)) continue;
        const r = entry.json<RunResult>();
        pending.delete(entry.key);
        results.set(entry.key, r);
        onResult(r);
        if (pending.size === 0) break;
      }
      watch.stop();
      return results;
    },
    close: () => q.close(),
  };
}
