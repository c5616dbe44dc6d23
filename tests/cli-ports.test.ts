import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pma } from './support/installedPma';

/** A port taken by another program ends `pma start` and `pma visualize` at once: one line, exit 2, nothing appended. */

const OFFLINE = { BINANCE_WS_URL: 'ws://127.0.0.1:9', GAMMA_URL: 'http://127.0.0.1:9', CLOB_URL: 'http://127.0.0.1:9', CLOB_WS_URL: 'ws://127.0.0.1:9', RTDS_WS_URL: 'ws://127.0.0.1:9', ANTHROPIC_API_KEY: '' };

let busy: Server;
let port: number;
beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  port = (busy.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

it('pma start with the metrics port taken: one line naming host and port, exit 2, no event in the log', async () => {
  const log = join(mkdtempSync(join(tmpdir(), 'pma-ports-')), 'events.jsonl');
  const r = await pma(['start', '--log', log, '--metrics-port', String(port), '--control-port', '0'], { env: OFFLINE });
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(`pma start: metrics server: cannot listen on 127.0.0.1:${port}: the port is already in use (set service.metricsPort or --metrics-port)\n`);
  expect(existsSync(log) ? readFileSync(log, 'utf8') : '').toBe('');
});

it('pma start with the control port taken: one line naming host and port, exit 2, no event in the log', async () => {
  const log = join(mkdtempSync(join(tmpdir(), 'pma-ports-')), 'events.jsonl');
  const r = await pma(['start', '--log', log, '--metrics-port', '0', '--control-port', String(port)], { env: OFFLINE });
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(`pma start: control server: cannot listen on 127.0.0.1:${port}: the port is already in use (set service.controlPort or --control-port)\n`);
  expect(existsSync(log) ? readFileSync(log, 'utf8') : '').toBe('');
});

it('pma visualize on a taken port: one line, exit 2, no stack trace', async () => {
  const r = await pma(['visualize', '--port', String(port)]);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe(`pma visualize: visualizer: cannot listen on 127.0.0.1:${port}: the port is already in use (give another with --port, or --port 0 for any free one)\n`);
  expect(r.stdout).toBe('');
});
