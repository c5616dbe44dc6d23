import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ConfigError, parseConfig } from '../actors/config/load';
import { startService, type RunningService } from '../actors/service/run';
import { refusal, tokenMatches } from '../actors/service/controlServer';
import { readAllEvents } from '../events/log';
import { FeedTimeClock } from './chaos/support/feedTimeClock';
import { httpRequest } from './chaos/support/http';

const TOKEN = 'control-test-token-3c7e9a1f5b2d';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-control-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The service in paper mode with no feeds, its warnings captured. */
async function start(name: string, env: NodeJS.ProcessEnv, service: Record<string, unknown> = {}): Promise<{ running: RunningService; warnings: Record<string, unknown>[]; logPath: string }> {
  const warnings: Record<string, unknown>[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>) });
  const config = parseConfig({ service: { metricsPort: 0, controlPort: 0, tickMs: 3_600_000, ...service } });
  const logPath = join(dir, `${name}.jsonl`);
  const running = await startService({ config, logPath, env, logger, clock: new FeedTimeClock(), live: false, disable: { binance: true, clobWs: true, rtds: true, scan: true } });
  return { running, warnings, logPath };
}

const controls = async (logPath: string) => (await readAllEvents(logPath)).records.filter((r) => r.event.type === 'risk_control').map((r) => r.event.type === 'risk_control' && r.event.action);

it('the token is compared in constant time on digests: equal only when identical, whatever the lengths', () => {
  expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
  expect(tokenMatches(TOKEN, TOKEN.slice(0, -1))).toBe(false);
  expect(tokenMatches(TOKEN, TOKEN + 'x')).toBe(false);
  expect(tokenMatches(TOKEN, '')).toBe(false);
  expect(refusal(TOKEN, `Bearer ${TOKEN}`)).toBeNull();
  expect(refusal(TOKEN, `bearer ${TOKEN}`)).toBe('no bearer token');
  expect(refusal(TOKEN, undefined)).toBe('no bearer token');
  expect(refusal(TOKEN, 'Bearer nope')).toBe('wrong token');
  expect(refusal(null, `Bearer ${TOKEN}`)).toBe('no PMA_CONTROL_TOKEN configured: control routes are disabled');
});

it('control and debug routes: refused and logged without the token, served with it, absent from the metrics listener', async () => {
  const { running, warnings, logPath } = await start('token', { PMA_CONTROL_TOKEN: TOKEN });
  const metrics = running.server.url;
  const control = running.controlServer.url;
  try {
    expect(new URL(control).hostname).toBe('127.0.0.1');
    expect(new URL(control).port).not.toBe(new URL(metrics).port);
    // The metrics listener knows /metrics and /healthz only, whatever the method or token.
    for (const [path, method] of [['/control/kill', 'POST'], ['/control/resume', 'POST'], ['/debug/portfolio', 'GET']]) {
      const r = await httpRequest(`${metrics}${path}`, method, 5000, bearer(TOKEN));
      expect(r.status).toBe(404);
      expect(r.body).toBe(`not found: ${path} (try /metrics or /healthz)\n`);
    }
    expect((await httpRequest(`${metrics}/metrics`)).status).toBe(200);
    // The control listener: no token, a wrong one, a malformed header.
    expect(await httpRequest(`${control}/control/kill`, 'POST')).toEqual({ status: 401, body: '{"error":"/control/kill: refused (no bearer token)"}\n' });
    expect((await httpRequest(`${control}/control/kill`, 'POST', 5000, bearer('not-the-token-at-all'))).status).toBe(401);
    expect((await httpRequest(`${control}/debug/portfolio`, 'GET', 5000, { authorization: TOKEN })).status).toBe(401);
    expect(running.service.system.portfolio.killed).toBe(false);
    expect(await controls(logPath)).toEqual([]);
    const refused = warnings.filter((w) => w.msg === 'control request refused');
    expect(refused.map((w) => [w.method, w.path, w.reason])).toEqual([
      ['POST', '/control/kill', 'no bearer token'],
      ['POST', '/control/kill', 'wrong token'],
      ['GET', '/debug/portfolio', 'no bearer token'],
    ]);
    expect(JSON.stringify(warnings)).not.toContain('not-the-token-at-all');
    // With the token.
    const portfolio = await httpRequest(`${control}/debug/portfolio`, 'GET', 5000, bearer(TOKEN));
    expect(portfolio.status).toBe(200);
    expect(JSON.parse(portfolio.body)).toEqual(JSON.parse(JSON.stringify(running.service.system.portfolio.toJSON())));
    expect((await httpRequest(`${control}/control/kill`, 'POST', 5000, bearer(TOKEN))).status).toBe(200);
    expect(running.service.system.portfolio.killed).toBe(true);
    expect((await httpRequest(`${control}/metrics`, 'GET', 5000, bearer(TOKEN))).status).toBe(404);
  } finally {
    await running.stop('test');
  }
  expect(await controls(logPath)).toEqual(['kill']);
});

it('without PMA_CONTROL_TOKEN every control request is refused (and the start says so); a short token stops the start', async () => {
  const { running, warnings, logPath } = await start('none', {});
  try {
    expect(warnings.map((w) => w.msg)).toContain('PMA_CONTROL_TOKEN is not set: /control and /debug refuse every request (SIGUSR2 still sets the kill switch)');
    const r = await httpRequest(`${running.controlServer.url}/control/kill`, 'POST', 5000, bearer('anything-anyone-could-send'));
    expect(r).toEqual({ status: 401, body: '{"error":"/control/kill: refused (no PMA_CONTROL_TOKEN configured: control routes are disabled)"}\n' });
  } finally {
    await running.stop('test');
  }
  expect(await controls(logPath)).toEqual([]);
  await expect(start('short', { PMA_CONTROL_TOKEN: 'short' })).rejects.toThrow('PMA_CONTROL_TOKEN: at least 16 characters expected, got 5');
});

it('on a Unix socket (mode 600) with the token; a non-loopback control host is a config error', async () => {
  const socket = join(dir, 'control.sock');
  const { running } = await start('socket', { PMA_CONTROL_TOKEN: TOKEN }, { controlSocket: socket });
  try {
    expect(running.controlServer.url).toBe(`unix:${socket}`);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect((await httpRequest(`unix:${socket}/control/kill`, 'POST')).status).toBe(401);
    expect((await httpRequest(`unix:${socket}/control/kill`, 'POST', 5000, bearer(TOKEN))).status).toBe(200);
  } finally {
    await running.stop('test');
  }
  expect(() => parseConfig({ service: { controlHost: '0.0.0.0' } })).toThrow(ConfigError);
  expect(() => parseConfig({ service: { controlHost: '0.0.0.0' } })).toThrow(/service\.controlHost/);
});
