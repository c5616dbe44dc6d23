import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { RESULTS_BUCKET } from '../actors/venues/nats/queue';
import { RUNNER_V8_FLAGS } from '../actors/sweep/runner';
import { DEMO, startPma, waitForLine } from './support/pmaCli';
import { hasNatsServer, NATS_MISSING, startNatsServer, type NatsServer } from './support/natsServer';

/**
 * `pma worker` runs each backtest in a child process with the local workers' V8 flags
 * (actors/sweep/runner.ts). That child killed in the middle of a run is no result: the worker
 * stops saying so (exit code 1), records nothing, and the job goes to another worker.
 */
const childrenOf = (pid: number): number[] => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

(hasNatsServer ? describe : describe.skip)(hasNatsServer ? 'pma worker and its backtest process, on a real nats-server -js' : NATS_MISSING, () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let dir: string;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
    jsm = await jetstreamManager(nc);
    dir = mkdtempSync(join(tmpdir(), 'pma-sweep-worker-'));
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops with exit code 1 and records nothing when its backtest process is killed in a run; another worker runs the job', async () => {
    writeFileSync(join(dir, 'grid.json'), JSON.stringify({ parameters: { 'signals.threshold': [0.0005] } }));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ sweep: { ackWaitMs: 2_000 } }));
    const sweep = startPma(['sweep', '--grid', join(dir, 'grid.json'), DEMO, '--out', join(dir, 'out'), '--config', join(dir, 'config.json'), '--nats', server.url]);
    const workerArgs = (name: string) => ['worker', '--nats', server.url, '--cache', join(dir, `cache-${name}`)];

    const a = startPma(workerArgs('a'));
    await waitForLine(a.child, /: started$/);
    const [backtest] = childrenOf(a.child.pid!);
    const argv = readFileSync(`/proc/${backtest}/cmdline`, 'utf8').split('\0');
    for (const flag of RUNNER_V8_FLAGS) expect(argv).toContain(flag);
    process.kill(backtest, 'SIGKILL');
    const workerA = await a.result;
    expect(workerA.code).toBe(1);
    // Killed in the run or just before it (while the worker fetched the tick file): no result either way.
    expect(workerA.stderr).toMatch(/^pma worker: a sweep worker process exited \(SIGKILL\)( in the middle of a run)?; the job was not recorded \(NATS hands it to a worker again after the ack wait\)$/m);
    expect((await jsm.streams.info(`KV_${RESULTS_BUCKET}`)).state.messages).toBe(0);

    const b = startPma(workerArgs('b'));
    const swept = await sweep.result;
    b.child.kill('SIGTERM');
    const workerB = await b.result;
    expect(swept.code).toBe(0);
    expect(workerB.code).toBe(0);
    expect(workerB.stdout).toMatch(/ recorded\n/);
    expect((await jsm.streams.info(`KV_${RESULTS_BUCKET}`)).state.messages).toBe(1);
  }, 120_000);
});
