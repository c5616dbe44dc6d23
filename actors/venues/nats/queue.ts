import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, type Consumer, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';

/**
 * The sweep's JetStream resources (docs/sweeps.md), shared by `pma sweep --nats` and `pma worker`:
 * a work-queue stream of jobs (each taken by one worker, message id = the run's hash so a resubmitted
 * job is dropped), one durable pull consumer all workers share (unacked jobs are redelivered after
 * the ack wait), a KV bucket of results keyed by run hash (written with create: a result is recorded
 * once), and an object store of tick files named by their sha256.
 */
export const JOB_STREAM = 'PMA_SWEEP_JOBS';
export const JOB_SUBJECT = 'pma.sweep.jobs';
export const WORKERS = 'pma-sweep-workers';
export const RESULTS_BUCKET = 'pma-sweep-results';
export const TICKS_BUCKET = 'pma-sweep-ticks';
/** A job resubmitted within this is dropped by the stream (message id); later ones are skipped by their recorded result. */
const DUPLICATE_WINDOW_MS = 24 * 3600_000;

export interface SweepQueue {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  results: KV;
  ticks: ObjectStore;
  consumer: Consumer;
  close(): Promise<void>;
}

async function ensureStream(jsm: JetStreamManager): Promise<void> {
  try {
    await jsm.streams.info(JOB_STREAM);
  } catch {
    await jsm.streams.add({ name: JOB_STREAM, subjects: [JOB_SUBJECT], retention: RetentionPolicy.Workqueue, duplicate_window: nanos(DUPLICATE_WINDOW_MS) });
  }
}

/**
 * The consumer with this ack wait. `owner` (the sweep) sets the ack wait when it differs; a worker
 * only creates the consumer when missing.
 */
async function ensureConsumer(jsm: JetStreamManager, ackWaitMs: number, owner: boolean): Promise<void> {
  try {
    const info = await jsm.consumers.info(JOB_STREAM, WORKERS);
    if (owner && info.config.ack_wait !== nanos(ackWaitMs)) await jsm.consumers.update(JOB_STREAM, WORKERS, { ack_wait: nanos(ackWaitMs) });
  } catch (err) {
    if (!/consumer not found/i.test((err as Error).message)) throw err;
    await jsm.consumers.add(JOB_STREAM, { durable_name: WORKERS, ack_policy: AckPolicy.Explicit, ack_wait: nanos(ackWaitMs), max_deliver: -1 });
  }
}

/** NATS cannot be used at that URL (not reachable, or JetStream off). */
export class NatsUnavailable extends Error {
  constructor(url: string, cause: Error) {
    super(`cannot use NATS JetStream at ${url} (${cause.message}); is \`nats-server -js\` running there?`);
    this.name = 'NatsUnavailable';
  }
}

/** Connects and makes sure every resource exists (creating what is missing). */
export async function openSweepQueue(url: string, ackWaitMs: number, owner: boolean): Promise<SweepQueue> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: url, name: owner ? 'pma-sweep' : 'pma-worker' });
  } catch (err) {
    throw new NatsUnavailable(url, err as Error);
  }
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm);
    await ensureConsumer(jsm, ackWaitMs, owner);
    const js = jetstream(nc);
    const results = await new Kvm(js).create(RESULTS_BUCKET, { history: 1 });
    const ticks = await new Objm(js).create(TICKS_BUCKET);
    const consumer = await js.consumers.get(JOB_STREAM, WORKERS);
    return { nc, js, jsm, results, ticks, consumer, close: () => nc.drain() };
  } catch (err) {
    await nc.close();
    throw /jetstream/i.test((err as Error).message) ? new NatsUnavailable(url, err as Error) : err;
  }
}
