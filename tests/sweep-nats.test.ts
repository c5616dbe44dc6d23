import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { JOB_STREAM, openSweepQueue, RESULTS_BUCKET } from '../actors/venues/nats/queue';
import { fetchTicks, uploadTicks } from '../actors/venues/nats/ticks';
import type { SweepResults } from '../actors/sweep/sweep';
import { DEMO, runPma, SLICE, startPma, waitForLine, type CliRun } from './support/pmaCli';
import { hasNatsServer, NATS_MISSING, startNatsServer, type NatsServer } from './support/natsServer';

/**
 * `pma sweep --nats` and `pma worker` against a real nats-server with JetStream on a loopback
 * port: a resubmitted sweep queues no job twice, a worker SIGKILLed mid-job leaves the job to be
 * redelivered, a stopped sweep resumes without re-running finished runs, every run is recorded
 * exactly once and the results are byte for byte those of the local sweep.
 */
const GRID = { metric: 'netPnl', parameters: { 'signals.threshold': [0.0005, 0.001], 'flashCrash.dropRelative': [0.1, 0.2] } };
const RANGE = ['--from', String(SLICE.from), '--to', String(SLICE.to)];
const RUNS = 4;

const messages = async (jsm: JetStreamManager, stream: string) => (await jsm.streams.info(stream)).state.messages;

(hasNatsServer ? describe : describe.skip)(hasNatsServer ? 'pma sweep --nats with pma workers on a real nats-server -js' : NATS_MISSING, () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let dir: string;
  let grid: string;
  let config: string;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
    dir = mkdtempSync(join(tmpdir(), 'pma-sweep-nats-'));
    grid = join(dir, 'grid.json');
    writeFileSync(grid, JSON.stringify(GRID));
    config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ sweep: { ackWaitMs: 2_000 } }));
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every job once across two workers (one SIGKILLed mid-job), resumes a stopped sweep and matches the local sweep byte for byte', async () => {
    const sweepArgs = (out: string) => ['sweep', '--grid', grid, DEMO, '--out', join(dir, out), '--config', config, ...RANGE];
    const local = runPma([...sweepArgs('local'), '--workers', '2']);

    // Submitted with no worker running, then stopped: the jobs wait in the stream.
    const first = startPma([...sweepArgs('first'), '--nats', server.url]);
    expect(await waitForLine(first.child, /waiting for workers/)).toContain(`${RUNS} new jobs queued`);
    first.child.kill('SIGTERM');
    await first.result;
    expect(await messages(jsm, JOB_STREAM)).toBe(RUNS);

    // Resubmitted: the stream drops every job as a duplicate (message id = run hash).
    const second = startPma([...sweepArgs('nats'), '--nats', server.url]);
    expect(await waitForLine(second.child, /waiting for workers/)).toContain(`0 new jobs queued, ${RUNS} already queued or recorded`);
    expect(await messages(jsm, JOB_STREAM)).toBe(RUNS);

    // Two workers; the first to start a job is killed with SIGKILL in the middle of it.
    const workerArgs = (name: string) => ['worker', '--nats', server.url, '--cache', join(dir, `cache-${name}`)];
    const a = startPma(workerArgs('a'));
    const started = await waitForLine(a.child, /: started$/);
    a.child.kill('SIGKILL');
    const killedHash = started.split(':')[0].replace('run ', '');
    // This one reads the tick file from the columnar cache it builds itself (--tick-cache): the same results.
    const b = startPma([...workerArgs('b'), '--tick-cache', join(dir, 'cols-b')]);

    // The sweep is stopped again once at least one run is recorded, and resumed.
    const kv = `KV_${RESULTS_BUCKET}`;
    while ((await messages(jsm, kv)) < 1) await new Promise((r) => setTimeout(r, 200));
    second.child.kill('SIGTERM');
    await second.result;
    const resumed = await runPma([...sweepArgs('nats'), '--nats', server.url]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/0 new jobs queued, 4 already queued or recorded/);

    b.child.kill('SIGTERM');
    const [workerA, workerB, ref]: CliRun[] = await Promise.all([a.result, b.result, local]);
    expect(workerA.code).toBeNull(); // killed
    expect(ref.code).toBe(0);
    // Every run recorded exactly once: one write per run in the results bucket, and one "recorded" line per run.
    expect(await messages(jsm, kv)).toBe(RUNS);
    const recorded = workerB.stdout.split('\n').filter((l) => l.endsWith(' recorded'));
    expect(recorded).toHaveLength(RUNS);
    expect(recorded.some((l) => l.startsWith(`run ${killedHash}:`))).toBe(true);
    expect(await messages(jsm, JOB_STREAM)).toBe(0);

    const natsResults = readFileSync(join(dir, 'nats', 'results.json'));
    expect(natsResults.equals(readFileSync(join(dir, 'local', 'results.json')))).toBe(true);
    expect(readFileSync(join(dir, 'nats', 'results.csv')).equals(readFileSync(join(dir, 'local', 'results.csv')))).toBe(true);
    expect((JSON.parse(natsResults.toString()) as SweepResults).runs.every((r) => r.error === null)).toBe(true);
    expect(readdirSync(join(dir, 'cols-b')).filter((f) => f.endsWith('.cols'))).toHaveLength(1);
  }, 300_000);

  it('tick files reach workers through the object store, checked by sha256 before use', async () => {
    const q = await openSweepQueue(server.url, 2_000, false);
    try {
      const sha256 = createHash('sha256').update(readFileSync(DEMO)).digest('hex');
      const ref = { name: DEMO, sha256 };
      await uploadTicks(q.ticks, [ref]);
      const cache = join(dir, 'cache-check');
      const [path] = await fetchTicks(q.ticks, [ref], cache);
      expect(path).toBe(join(cache, sha256, 'binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz'));
      expect(readFileSync(path).equals(readFileSync(DEMO))).toBe(true);
      // A damaged cached copy is not used: it is fetched again.
      writeFileSync(path, 'not the ticks');
      await fetchTicks(q.ticks, [ref], cache);
      expect(readFileSync(path).equals(readFileSync(DEMO))).toBe(true);
      // A file the store does not hold is an error naming it.
      const missing = { name: 'other.ticks.jsonl.gz', sha256: '0'.repeat(64) };
      await expect(fetchTicks(q.ticks, [missing], cache)).rejects.toThrow(`tick file other.ticks.jsonl.gz (sha256 ${'0'.repeat(64)}) is not in the object store`);
    } finally {
      await q.close();
    }
  }, 60_000);
});
