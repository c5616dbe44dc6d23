import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SystemClock } from '../events/clock';
import { EventLogWriter, readAllEvents } from '../events/log';
import { isInputEvent, makeEvent, type AnyEvent, type DerivedEvent } from '../events/types';
import { AnthropicServer, apiError, message, type ReceivedRequest, type ScriptedReply } from './support/anthropicServer';
import { decisionBlock, goodDecision, llmRequest, llmRun } from './support/llmRun';

const KEY = 'sk-ant-test-key';
const clock = new SystemClock();

/** What each scan asks: [strategy, asset, yes, no]. */
const schedule: [string, string, string, string][][] = [
  [['fifteenMin', 'BTC', '0.52', '0.48'], ['latency', 'ETH', '0.41', '0.59']],
  [['fifteenMin', 'BTC', '0.521', '0.479']], // same key as BTC 0.52: from the cache
  [['fifteenMin', 'ETH', '0.66', '0.34']], // the server is overloaded: a recorded failure
  [['fifteenMin', 'BTC', '0.52', '0.48'], ['latency', 'BTC', '0.524', '0.476']],
  [['fifteenMin', 'SOL', '0.30', '0.70'], ['latency', 'SOL', '0.301', '0.699']], // one request in flight for both
];

/** A stand-in strategy, a pure function of the inputs: timer `scan:i` asks what `schedule[i]` says. */
function strategy(event: AnyEvent): DerivedEvent[] {
  if (event.type !== 'timer' || !event.name.startsWith('scan:')) return [];
  return schedule[Number(event.name.slice(5))].map(([s, asset, yes, no]) => llmRequest(event.ts, s, asset, yes, no));
}

/** The model's answer depends on the YES price it is shown, so a wrong replay would show. */
function model(req: ReceivedRequest): ScriptedReply {
  const yes = Number(/YES price: ([\d.]+)/.exec(JSON.stringify(req.body.messages))![1]);
  if (yes > 0.6) return { status: 529, headers: { 'retry-after': '30' }, body: apiError('overloaded_error', 'Overloaded') };
  const action = yes < 0.5 ? 'buy_yes' : 'buy_no';
  return { body: message([decisionBlock({ ...goodDecision, action, confidence: Math.round(yes * 100) + 20 })], { stop_reason: 'tool_use' }), delayMs: 50 };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'llm-replay-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function recordLive(path: string): Promise<{ requests: number }> {
  const server = await AnthropicServer.start(model, KEY);
  const log = EventLogWriter.open(path, { truncate: true });
  try {
    const run = llmRun({ apiKey: KEY, config: { baseUrl: server.url }, log, strategy });
    run.dispatch(run.engine!.start());
    for (let i = 0; i < schedule.length; i++) {
      run.dispatch(makeEvent('timer', clock.now(), { name: `scan:${i}` }));
      await run.settle();
    }
    return { requests: server.requests.length };
  } finally {
    log.close();
    await server.close();
  }
}

describe('LLM answers are recorded and replayed', () => {
  it('replays a live session with no server, giving the same log byte for byte', async () => {
    const livePath = join(dir, 'live.jsonl');
    const { requests } = await recordLive(livePath);
    // BTC 0.52, ETH 0.41, ETH 0.66 (fails), SOL 0.30 (shared): four calls for eight asks.
    expect(requests).toBe(4);

    const { records } = await readAllEvents(livePath);
    const liveDecisions = records.map((r) => r.event).filter((e) => e.type === 'decision');
    expect(liveDecisions.map((d) => d.type === 'decision' && `${d.strategy} ${d.source} ${d.action}`)).toEqual(
      expect.arrayContaining(['fifteenMin llm buy_no', 'latency llm buy_yes', 'fifteenMin cache buy_no', 'fifteenMin llm skip', 'latency cache buy_no', 'fifteenMin llm buy_yes', 'latency llm buy_yes']),
    );
    expect(liveDecisions).toHaveLength(8);

    const replayPath = join(dir, 'replay.jsonl');
    const log = EventLogWriter.open(replayPath, { truncate: true });
    const replay = llmRun({ mode: 'replay', log, strategy });
    expect(replay.engine).toBeNull();
    for (const r of records) if (isInputEvent(r.event)) replay.dispatch({ ...r.event, seq: 0 });
    log.close();

    expect(readFileSync(replayPath, 'utf8')).toBe(readFileSync(livePath, 'utf8'));
    expect(replay.decisions.metrics().cache).toMatchObject({ requests: 8, hits: 3, shared: 1, asks: 4, answers: 4, failures: 1 });
  });

  it('asks the model again with llm.replay = reask, ignoring the recorded answers', async () => {
    const livePath = join(dir, 'live.jsonl');
    await recordLive(livePath);
    const { records } = await readAllEvents(livePath);

    const server = await AnthropicServer.start(() => ({ body: message([decisionBlock({ ...goodDecision, action: 'skip', confidence: 90 })]) }), KEY);
    try {
      const run = llmRun({ mode: 'replay', apiKey: KEY, config: { baseUrl: server.url, replay: 'reask' }, strategy, stamp: 'ask' });
      run.dispatch(run.engine!.start());
      for (const r of records) {
        if (!isInputEvent(r.event) || !run.decisions.keepsRecorded(r.event)) continue;
        run.dispatch({ ...r.event, seq: 0 });
        await run.settle();
      }
      // The same four calls as live (BTC, ETH, ETH 0.66, SOL), answered anew.
      expect(server.requests).toHaveLength(4);
      const decisions = run.decisionEvents();
      expect(decisions).toHaveLength(8);
      expect(new Set(decisions.map((d) => d.action))).toEqual(new Set(['skip']));
      const answers = run.events.filter((e) => e.type === 'llm_answer');
      expect(answers).toHaveLength(4);
      expect(answers.every((a) => a.type === 'llm_answer' && a.error === null)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
