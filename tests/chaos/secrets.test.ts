import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PolymarketServer, twentyMarkets } from '../support/polymarketServer';
import { WsReplayServer } from '../support/wsReplayServer';
import { DEMO_TICKS } from './support/demoRun';
import { reportFigures } from './support/figures';
import { ServiceProcess, wallClock } from './support/serviceProcess';

const ROOT = resolve(__dirname, '../..');
/** Fake secrets, each distinctive enough that any appearance (whole or a 12-character piece) is a leak. */
const SECRETS = {
  ANTHROPIC_API_KEY: 'sk-ant-fake-Q7wZ3kLm9PxR2vTn8YhB4cJd',
  POLYMARKET_PRIVATE_KEY: '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318',
  POLYMARKET_API_KEY: '5f1e8c2a-fake-4b7d-9e3a-c6d2b8a1f0e9',
  POLYMARKET_API_SECRET: 'ZmFrZS1zZWNyZXQtdmFsdWUtZm9yLWNoYW9zLXRlc3Q=',
  POLYMARKET_API_PASSPHRASE: 'fake-passphrase-3e9b2c7a1d4f',
  PMA_CONTROL_TOKEN: 'fake-control-token-8d3f1b6e2a9c',
};
const pieces = Object.values(SECRETS).flatMap((s) => [s, s.slice(0, 12), s.slice(-12)]);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-chaos-secrets-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function filesUnder(path: string): string[] {
  return statSync(path).isDirectory() ? readdirSync(path).flatMap((n) => filesUnder(join(path, n))) : [path];
}

function text(path: string): string {
  const raw = readFileSync(path);
  return path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('latin1');
}

it('fake secrets in the environment never reach stdout, stderr, event logs, reports, /metrics, /healthz or error messages; servers bind 127.0.0.1; no order leaves without --live and keys', async () => {
  const binance = await WsReplayServer.start();
  // The user channel (live fills): without --live nothing may even connect to it, let alone send the API key.
  const userChannel = await WsReplayServer.start();
  const gamma = await PolymarketServer.start();
  gamma.markets = twentyMarkets();
  // An Anthropic endpoint that refuses every connection: the LLM's errors are outputs too.
  const env = { ...SECRETS, BINANCE_WS_URL: binance.url, GAMMA_URL: gamma.url, CLOB_URL: gamma.url, CLOB_WS_URL: binance.url, CLOB_USER_WS_URL: `${userChannel.url}/ws/user`, RTDS_WS_URL: binance.url, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' };
  const outputs: { name: string; text: string }[] = [];
  try {
    const logPath = join(dir, 'service.jsonl');
    const p = new ServiceProcess({ args: ['start', '--log', logPath, '--metrics-port', '0'], env });
    const url = await p.started();
    expect(new URL(url).hostname).toBe('127.0.0.1');
    await wallClock.sleep(1500);
    outputs.push({ name: '/metrics', text: (await p.get('/metrics')).body }, { name: '/healthz', text: (await p.get('/healthz')).body }, { name: '/debug/portfolio', text: (await p.control('/debug/portfolio')).body });
    expect(new URL(p.controlUrl!).hostname).toBe('127.0.0.1');
    outputs.push({ name: 'POST /control/kill without the token', text: (await p.control('/control/kill', 'POST', null)).body });
    outputs.push({ name: 'POST /control/kill with a wrong token', text: (await p.control('/control/kill', 'POST', 'wrong-token-of-enough-length')).body });
    outputs.push({ name: 'POST /control/kill', text: (await p.control('/control/kill', 'POST')).body });
    p.kill('SIGTERM');
    await p.exited;
    outputs.push({ name: 'pma start stdout', text: p.stdout }, { name: 'pma start stderr', text: p.stderr }, { name: 'service event log', text: readFileSync(logPath, 'utf8') });

    const run = (name: string, args: string[]) => {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/pma.js'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 120_000 });
      outputs.push({ name: `${name} stdout`, text: r.stdout }, { name: `${name} stderr`, text: r.stderr });
      return r.status;
    };
    expect(run('pma backtest', ['backtest', DEMO_TICKS, '--report', join(dir, 'report')])).toBe(0);
    expect(run('pma replay', ['replay', DEMO_TICKS, '--out', join(dir, 'replay.jsonl')])).toBe(0);
    for (const file of [...filesUnder(join(dir, 'report')), join(dir, 'replay.jsonl')]) outputs.push({ name: file, text: text(file) });

    // Live needs two switches and keys: --live alone, and live mode without keys, both refuse before any order.
    const liveConfig = join(dir, 'live.json');
    writeFileSync(liveConfig, JSON.stringify({ service: { mode: 'live' } }));
    expect(run('pma start --live (paper config)', ['start', '--live', '--log', join(dir, 'l1.jsonl'), '--metrics-port', '0'])).toBe(2);
    const noKeys = spawnSync(process.execPath, [join(ROOT, 'bin/pma.js'), 'start', '--live', '--config', liveConfig, '--log', join(dir, 'l2.jsonl'), '--metrics-port', '0'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', BINANCE_WS_URL: binance.url, GAMMA_URL: gamma.url, CLOB_URL: gamma.url }, encoding: 'utf8', timeout: 60_000 });
    expect(noKeys.status).not.toBe(0);
    outputs.push({ name: 'pma start --live without keys', text: noKeys.stdout + noKeys.stderr });
  } finally {
    await binance.stop();
    await userChannel.stop();
    await gamma.close();
  }
  expect(userChannel.conns.length).toBe(0);
  const orderRequests = gamma.arrivals.filter((a) => a.method !== 'GET').length;
  const leaks = outputs.flatMap((o) => pieces.filter((s) => o.text.includes(s)).map((s) => `${o.name}: ${s.slice(0, 6)}…`));
  reportFigures('fake secrets through pma start, backtest and replay', { outputs_searched: outputs.length, bytes_searched: outputs.reduce((n, o) => n + o.text.length, 0), secrets_found: leaks.length, clob_order_requests_without_live: orderRequests });
  expect(leaks).toEqual([]);
  expect(orderRequests).toBe(0);
}, 180_000);
