import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../actors/config/load';
import { TradingService } from '../../actors/service/service';
import { readAllEvents } from '../../events/log';
import { isInputType, type AnyEvent, type InputEvent } from '../../events/types';
import { AnthropicServer, apiError, message, type ScriptedReply } from '../support/anthropicServer';
import { decisionBlock, goodDecision } from '../support/llmRun';
import { demoRun } from './support/demoRun';
import { FeedTimeClock } from './support/feedTimeClock';
import { reportFigures } from './support/figures';
import { chaosSeed, seededRandom } from './support/random';
import { wallClock } from './support/serviceProcess';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-chaos-llm-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('LLM errors, timeouts and 529 storms during a 15-minute-strategy run: every llm_request gets a decision within the give-up time', async () => {
  const seed = chaosSeed(14);
  const random = seededRandom(seed);
  const timeoutMs = 200;
  const kinds: string[] = [];
  const server = await AnthropicServer.start((): ScriptedReply => {
    const r = random();
    const kind = r < 0.25 ? 'http_500' : r < 0.5 ? 'overloaded_529' : r < 0.65 ? 'timeout' : r < 0.75 ? 'garbage' : 'ok';
    kinds.push(kind);
    if (kind === 'http_500') return { status: 500, body: apiError('api_error', 'Internal server error') };
    if (kind === 'overloaded_529') return { status: 529, body: apiError('overloaded_error', 'Overloaded') };
    if (kind === 'timeout') return { body: message([decisionBlock(goodDecision)], { stop_reason: 'tool_use' }), delayMs: timeoutMs * 3 };
    if (kind === 'garbage') return { body: '{"content": [{"type": "tool_use"' };
    return { body: message([decisionBlock(goodDecision)], { stop_reason: 'tool_use' }) };
  }, 'sk-ant-chaos');
  const clean = await demoRun(join(dir, 'clean'));
  const inputs = clean.filter((r) => isInputType(r.event.type) && r.event.type !== 'llm_answer');
  const clock = new FeedTimeClock();
  const config = parseConfig({ llm: { baseUrl: server.url, timeoutMs }, service: { tickMs: 3_600_000 } });
  const logPath = join(dir, 'service.jsonl');
  const svc = new TradingService({ config, logPath, env: { ANTHROPIC_API_KEY: 'sk-ant-chaos' }, logger: pino({ level: 'silent' }), clock, disable: { binance: true, clobWs: true, rtds: true, scan: true } });
  const count = { asked: 0, answered: 0 };
  svc.use({ name: 'chaos-watch', react: (e: AnyEvent) => void (e.type === 'llm_request' ? count.asked++ : e.type === 'llm_answer' ? count.answered++ : undefined) });
  try {
    await svc.start();
    for (const r of inputs) {
      clock.t = r.event.ts;
      await svc.append(JSON.parse(r.line) as InputEvent);
      // The market waits for the model here (wall time stands for event time): an answer or an error arrives within the SDK timeout.
      const until = wallClock.now() + timeoutMs * 10;
      while (count.answered < count.asked && wallClock.now() < until) await wallClock.sleep(5);
    }
  } finally {
    await svc.stop('test');
    await server.close();
  }
  const events = (await readAllEvents(logPath)).records.map((r) => r.event);
  const requests = events.filter((e) => e.type === 'llm_request');
  const answers = events.filter((e) => e.type === 'llm_answer');
  const giveUpMs = 2 * timeoutMs;
  let stalled = 0;
  const waits: number[] = [];
  for (const req of requests) {
    if (req.type !== 'llm_request') continue;
    const decision = events.find((e) => e.seq > req.seq && e.type === 'decision' && e.strategy === req.strategy && e.key === req.key);
    if (!decision) stalled++;
    else waits.push(decision.ts - req.ts);
  }
  reportFigures(`LLM faults (seed ${seed}; 25 % 500, 25 % 529, 15 % timeout, 10 % garbage)`, {
    llm_requests: requests.length,
    llm_calls: kinds.length,
    llm_errors: answers.filter((a) => a.type === 'llm_answer' && a.error !== null).length,
    llm_answers_ok: answers.filter((a) => a.type === 'llm_answer' && a.error === null).length,
    llm_stalled_strategies: stalled,
    decision_wait_event_ms_max: waits.length ? Math.max(...waits) : 0,
  });
  expect(requests.length).toBeGreaterThan(0);
  expect(answers.length).toBeGreaterThanOrEqual(requests.length);
  expect(kinds.filter((k) => k !== 'ok').length).toBeGreaterThan(0);
  expect(stalled).toBe(0);
  expect(Math.max(...waits)).toBeLessThanOrEqual(giveUpMs);
}, 120_000);
