import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../actors/config/load';
import { startService, type RunningService } from '../../actors/service/run';
import { readAllEvents, type LogRecord } from '../../events/log';
import { isInputType, type AnyEvent, type InputEvent } from '../../events/types';
import { demoRun } from './support/demoRun';
import { FeedTimeClock } from './support/feedTimeClock';
import { reportFigures } from './support/figures';
import { httpRequest } from './support/http';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-chaos-kill-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = 'kill-switch-test-token-5b8e2d';
const auth = { authorization: `Bearer ${TOKEN}` };
const post = (url: string) => httpRequest(url, 'POST', 5000, auth);

it('POST /control/kill stops every new order at once (exits too) until /control/resume; other methods are refused', async () => {
  const clean = await demoRun(join(dir, 'clean'));
  const inputs = clean.filter((r) => isInputType(r.event.type));
  const intentsAt = clean.map((r, i) => (r.event.type === 'order_intent' ? i : -1)).filter((i) => i >= 0);
  expect(intentsAt.length).toBeGreaterThanOrEqual(8);
  // Kill before the second intent, resume before the last quarter: both windows hold orders in the clean run.
  const inputsBefore = (recordIndex: number) => clean.slice(0, recordIndex).filter((x) => isInputType(x.event.type)).length;
  const killAt = inputsBefore(intentsAt[1]);
  const resumeAt = inputsBefore(intentsAt[Math.floor(intentsAt.length * 0.75)]);

  const clock = new FeedTimeClock();
  const config = parseConfig({ service: { metricsPort: 0, controlPort: 0, tickMs: 3_600_000 } });
  const logPath = join(dir, 'service.jsonl');
  const running: RunningService = await startService({ config, logPath, env: { PMA_CONTROL_TOKEN: TOKEN }, logger: pino({ level: 'silent' }), clock, live: false, disable: { binance: true, clobWs: true, rtds: true, scan: true } });
  const url = running.controlServer.url;
  try {
    expect((await httpRequest(`${url}/control/kill`, 'GET', 5000, auth)).status).toBe(405);
    expect((await httpRequest(`${url}/control/resume`, 'PUT', 5000, auth)).status).toBe(405);
    // Queued at once (the service's input queue takes them one at a time, in order).
    const feed = async (from: number, to: number) => {
      const batch = inputs.slice(from, to);
      clock.t = batch[batch.length - 1].event.ts;
      await Promise.all(batch.map((r) => running.service.append(JSON.parse(r.line) as InputEvent)));
    };
    await feed(0, killAt);
    expect(await post(`${url}/control/kill`)).toMatchObject({ status: 200 });
    expect(running.service.system.portfolio.killed).toBe(true);
    await feed(killAt, resumeAt);
    expect(await post(`${url}/control/resume`)).toMatchObject({ status: 200 });
    await feed(resumeAt, inputs.length);
  } finally {
    await running.stop('test');
  }

  const events: AnyEvent[] = (await readAllEvents(logPath)).records.map((r: LogRecord) => r.event);
  const controls = events.filter((e) => e.type === 'risk_control');
  expect(controls.map((e) => e.type === 'risk_control' && e.action)).toEqual(['kill', 'resume']);
  const [kill, resume] = controls.map((e) => e.seq);
  const killed = events.filter((e) => e.seq > kill && e.seq < resume);
  const intents = killed.filter((e) => e.type === 'order_intent');
  const rejections = new Map(killed.flatMap((e) => (e.type === 'risk_rejection' ? [[e.orderId, e.reason]] : [])));
  expect(intents.length).toBeGreaterThan(0);
  // Every order while killed is refused with kill_switch, and nothing fills.
  expect(intents.map((e) => e.type === 'order_intent' && rejections.get(e.orderId))).toEqual(intents.map(() => 'kill_switch'));
  expect(killed.filter((e) => e.type === 'fill')).toEqual([]);
  const sellsRefused = intents.filter((e) => e.type === 'order_intent' && e.side === 'SELL').length;
  // After resume orders fill again.
  const after = events.filter((e) => e.seq > resume);
  const fillsAfter = after.filter((e) => e.type === 'fill').length;
  expect(fillsAfter).toBeGreaterThan(0);
  expect(after.filter((e) => e.type === 'risk_rejection' && e.reason === 'kill_switch')).toEqual([]);
  reportFigures('kill switch (POST /control/kill, demo tick file through the service)', {
    orders_while_killed: intents.length,
    orders_accepted_while_killed: intents.length - [...rejections.values()].filter((r) => r === 'kill_switch').length,
    exits_refused_while_killed: sellsRefused,
    fills_while_killed: 0,
    fills_after_resume: fillsAfter,
  });
}, 120_000);
