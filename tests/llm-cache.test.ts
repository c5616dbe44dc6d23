import { createActor } from 'xstate';
import { makeEvent, type LlmAnswerEvent, type LlmDecision } from '../events/types';
import { changesNothing, llmCacheKey, llmCacheMachine, llmCacheStep, shouldExecute, type LlmCacheEvent, type LlmCacheOutput, type LlmCacheParams } from '../machines/llmCache';
import { llmRequest } from './support/llmRun';

const params: LlmCacheParams = { ttlMs: 60_000, maxEntries: 100, evictCount: 20, minConfidence: 60, onError: 'skip', answerTimeoutMs: 10_000 };

const decision = (confidence: number, action: LlmDecision['action'] = 'buy_yes'): LlmDecision => ({
  action,
  confidence,
  positionSizePct: 2,
  orderType: 'limit',
  limitPrice: '0.53',
  reasoning: 'momentum',
  riskAssessment: 'medium',
  expectedProfitPct: 4,
});

const answer = (ts: number, key: string, d: LlmDecision | null, error: string | null = null): LlmAnswerEvent =>
  makeEvent('llm_answer', ts, { key, model: 'claude-sonnet-4-5', latencyMs: 800, usage: d ? { inputTokens: 400, outputTokens: 60 } : null, decision: d, error });

function cache(p: Partial<LlmCacheParams> = {}, engineOn = true) {
  const actor = createActor(llmCacheMachine, { input: { params: { ...params, ...p }, engineOn } });
  const out: LlmCacheOutput[] = [];
  actor.on('*', (e) => out.push(e));
  actor.start();
  const take = () => out.splice(0, out.length);
  return { actor, take, ctx: () => actor.getSnapshot().context };
}

describe('llmCacheKey', () => {
  it('rounds yes and no prices half up on the decimal string, not as floats', () => {
    expect(llmCacheKey('btc', 'directional_trend', '0.514', '0.505')).toBe('BTC|directional_trend|0.51|0.51');
    // 0.285 and 0.145 are just below their halves as binary floats: (0.285).toFixed(2) is "0.28".
    expect(llmCacheKey('ETH', 'latency', '0.285', '0.145')).toBe('ETH|latency|0.29|0.15');
    expect(llmCacheKey('ETH', 'latency', '0.5149', '0.4851')).toBe('ETH|latency|0.51|0.49');
  });

  it('gives prices within the same cent one entry', () => {
    const c = cache();
    const first = llmRequest(1_000, 'fifteenMin', 'BTC', '0.514', '0.486');
    c.actor.send({ type: 'REQUEST', request: first });
    c.actor.send({ type: 'ANSWER', answer: answer(1_900, first.key, decision(70)) });
    c.take();
    const second = llmRequest(2_000, 'fifteenMin', 'BTC', '0.505', '0.4851');
    expect(second.key).toBe(first.key);
    c.actor.send({ type: 'REQUEST', request: second });
    expect(c.take()).toEqual([expect.objectContaining({ type: 'decision', source: 'cache', key: first.key, action: 'buy_yes', confidence: 70, executed: true })]);
    expect(c.ctx().stats).toMatchObject({ requests: 2, hits: 1, misses: 1, asks: 1 });
  });
});

describe('llm decision cache', () => {
  it('serves an entry for the TTL by event time, then asks again', () => {
    const c = cache();
    const r = llmRequest(10_000, 'fifteenMin', 'BTC', '0.52', '0.48');
    c.actor.send({ type: 'REQUEST', request: r });
    expect(c.take()).toEqual([{ type: 'ask', ts: 10_000, key: r.key, opportunity: 'directional_trend', context: r.context }]);
    const storedAt = 11_000;
    c.actor.send({ type: 'ANSWER', answer: answer(storedAt, r.key, decision(80)) });
    expect(c.take()).toEqual([expect.objectContaining({ type: 'decision', strategy: 'fifteenMin', source: 'llm', confidence: 80, executed: true })]);

    c.actor.send({ type: 'REQUEST', request: { ...r, ts: storedAt + params.ttlMs - 1 } });
    expect(c.take().map((o) => o.type === 'decision' && o.source)).toEqual(['cache']);
    expect(c.ctx().entries.map((e) => e.key)).toEqual([r.key]);

    c.actor.send({ type: 'REQUEST', request: { ...r, ts: storedAt + params.ttlMs } });
    expect(c.take().map((o) => o.type)).toEqual(['ask']);
    expect(c.ctx().entries).toEqual([]);
    expect(c.ctx().stats).toMatchObject({ hits: 1, misses: 2, asks: 2, expired: 1 });
  });

  it('evicts exactly the oldest 20 entries when the 101st arrives', () => {
    const c = cache();
    const keys: string[] = [];
    for (let i = 0; i <= 100; i++) {
      const yes = (0.01 * (i % 99) + 0.01).toFixed(2);
      const r = llmRequest(1_000 + i * 10, 'fifteenMin', i < 99 ? 'BTC' : 'ETH', yes, '0.50');
      keys.push(r.key);
      c.actor.send({ type: 'REQUEST', request: r });
      c.actor.send({ type: 'ANSWER', answer: answer(1_005 + i * 10, r.key, decision(65)) });
      if (i === 99) expect(c.ctx().entries).toHaveLength(100);
    }
    expect(new Set(keys).size).toBe(101);
    expect(c.ctx().entries.map((e) => e.key)).toEqual(keys.slice(20));
    expect(c.ctx().stats.evictions).toBe(20);
    c.take();
    c.actor.send({ type: 'REQUEST', request: { ...llmRequest(3_000, 's', 'BTC', '0.01', '0.50'), key: keys[19] } });
    c.actor.send({ type: 'REQUEST', request: { ...llmRequest(3_000, 's', 'BTC', '0.01', '0.50'), key: keys[20] } });
    expect(c.take().map((o) => (o.type === 'ask' ? `ask ${o.key}` : `${o.source} ${o.key}`))).toEqual([`ask ${keys[19]}`, `cache ${keys[20]}`]);
  });

  it('shares one request in flight between concurrent asks for a key (single flight)', () => {
    const c = cache();
    const a = llmRequest(5_000, 'fifteenMin', 'ETH', '0.40', '0.60');
    const b = llmRequest(5_200, 'latency', 'ETH', '0.404', '0.596');
    c.actor.send({ type: 'REQUEST', request: a });
    c.actor.send({ type: 'REQUEST', request: b });
    expect(c.take().filter((o) => o.type === 'ask')).toHaveLength(1);
    expect(c.ctx().inflight).toEqual([{ key: a.key, since: 5_000, waiters: [{ strategy: 'fifteenMin', ruleAction: 'buy_yes' }, { strategy: 'latency', ruleAction: 'buy_yes' }] }]);
    c.actor.send({ type: 'ANSWER', answer: answer(5_900, a.key, decision(55, 'buy_no')) });
    const out = c.take();
    expect(out.map((o) => o.type === 'decision' && [o.strategy, o.source, o.action, o.executed])).toEqual([
      ['fifteenMin', 'llm', 'buy_no', false],
      ['latency', 'llm', 'buy_no', false],
    ]);
    expect(c.ctx().inflight).toEqual([]);
    expect(c.ctx().stats).toMatchObject({ requests: 2, misses: 2, shared: 1, asks: 1, answers: 1 });
  });

  it('turns a failed answer into skip, or the rule-only decision, and does not cache it', () => {
    for (const onError of ['skip', 'rules'] as const) {
      const c = cache({ onError });
      const r = llmRequest(1_000, 'fifteenMin', 'BTC', '0.60', '0.40', 'directional_trend', 'buy_no');
      c.actor.send({ type: 'REQUEST', request: r });
      c.actor.send({ type: 'ANSWER', answer: answer(6_000, r.key, null, 'timeout: no answer within 5000 ms') });
      const [d] = c.take().filter((o) => o.type === 'decision');
      if (onError === 'skip') expect(d).toMatchObject({ action: 'skip', source: 'llm', executed: false, reason: 'timeout: no answer within 5000 ms' });
      else expect(d).toMatchObject({ action: 'buy_no', source: 'rules', executed: true });
      expect(c.ctx().entries).toEqual([]);
      expect(c.ctx().stats.failures).toBe(1);
      c.actor.send({ type: 'REQUEST', request: { ...r, ts: 7_000 } });
      expect(c.take().map((o) => o.type)).toEqual(['ask']);
    }
  });

  it('gives up a request without an answer after answerTimeoutMs of event time', () => {
    const c = cache();
    const r = llmRequest(1_000, 'fifteenMin', 'BTC', '0.60', '0.40');
    c.actor.send({ type: 'REQUEST', request: r });
    c.take();
    c.actor.send({ type: 'TICK', ts: 1_000 + params.answerTimeoutMs - 1 });
    expect(c.take()).toEqual([]);
    c.actor.send({ type: 'TICK', ts: 1_000 + params.answerTimeoutMs });
    expect(c.take()).toEqual([expect.objectContaining({ type: 'decision', action: 'skip', executed: false, reason: `no_answer: none within ${params.answerTimeoutMs} ms` })]);
    expect(c.ctx().stats.abandoned).toBe(1);
    // A late answer still fills the cache.
    c.actor.send({ type: 'ANSWER', answer: answer(12_000, r.key, decision(90)) });
    expect(c.take()).toEqual([]);
    expect(c.ctx().entries.map((e) => e.key)).toEqual([r.key]);
  });

  it('answers by the rules alone while the engine is off, and asks once it is on', () => {
    const c = cache({}, false);
    const r = llmRequest(1_000, 'negRisk', 'election', '0.30', '0.68', 'neg_risk_arbitrage', 'buy_both');
    c.actor.send({ type: 'REQUEST', request: r });
    expect(c.take()).toEqual([expect.objectContaining({ type: 'decision', source: 'rules', action: 'buy_both', executed: true })]);
    c.actor.send({ type: 'ENGINE', ts: 1_500, on: true });
    c.actor.send({ type: 'REQUEST', request: { ...r, ts: 2_000 } });
    expect(c.take().map((o) => o.type)).toEqual(['ask']);
  });

  it('restores from a persisted snapshot with its entries', () => {
    const c = cache();
    const r = llmRequest(1_000, 'fifteenMin', 'BTC', '0.52', '0.48');
    c.actor.send({ type: 'REQUEST', request: r });
    c.actor.send({ type: 'ANSWER', answer: answer(1_500, r.key, decision(75)) });
    const restored = createActor(llmCacheMachine, { input: { params }, snapshot: c.actor.getPersistedSnapshot() });
    const out: LlmCacheOutput[] = [];
    restored.on('*', (e) => out.push(e));
    restored.start();
    restored.send({ type: 'REQUEST', request: { ...r, ts: 2_000 } });
    expect(out).toEqual([expect.objectContaining({ source: 'cache', confidence: 75 })]);
  });
});

describe('a clock tick to an empty cache (changes nothing: LlmDecisions does not send it)', () => {
  it('changes nothing and emits nothing, while a tick to a cache holding an entry or a request does', () => {
    const c = cache();
    const empty = c.ctx();
    expect(llmCacheStep(empty, { type: 'TICK', ts: 1_000_000 })).toEqual({ context: empty, outputs: [] });
    expect(llmCacheStep(empty, { type: 'TICK', ts: 1_000_000 }).context).toBe(empty);
    const request = llmRequest(1_000, 'fifteenMin', 'btc', '0.53', '0.47');
    c.actor.send({ type: 'REQUEST', request });
    const asking = c.ctx();
    expect(asking.inflight).toHaveLength(1);
    expect(llmCacheStep(asking, { type: 'TICK', ts: 1_000 + params.answerTimeoutMs }).context.inflight).toEqual([]);
    c.actor.send({ type: 'ANSWER', answer: answer(2_000, request.key, decision(70)) });
    const holding = c.ctx();
    expect(holding.entries).toHaveLength(1);
    expect(llmCacheStep(holding, { type: 'TICK', ts: 2_000 + params.ttlMs }).context.entries).toEqual([]);
  });
});

describe('shouldExecute', () => {
  it('executes only a non-skip action at or above the confidence threshold', () => {
    expect(shouldExecute({ action: 'buy_yes', confidence: 60 }, 60).execute).toBe(true);
    expect(shouldExecute({ action: 'buy_yes', confidence: 59.9 }, 60)).toEqual({ execute: false, reason: 'confidence 59.9 below 60' });
    expect(shouldExecute({ action: 'skip', confidence: 100 }, 60).execute).toBe(false);
    expect(shouldExecute({ action: 'buy_both', confidence: 95 }, 90).execute).toBe(true);
  });
});

describe('events that change nothing (changesNothing: LlmDecisions leaves them out)', () => {
  it('leave the real machine where it was, and every other event moves it or emits', () => {
    const c = cache();
    const r = llmRequest(10_000, 'fifteenMin', 'BTC', '0.52', '0.48');
    const script: LlmCacheEvent[] = [
      { type: 'TICK', ts: 5_000 },
      { type: 'REQUEST', request: r },
      { type: 'TICK', ts: 11_000 },
      { type: 'ANSWER', answer: answer(12_000, r.key, decision(80)) },
      { type: 'TICK', ts: 13_000 },
      { type: 'TICK', ts: 13_000 },
      { type: 'REQUEST', request: llmRequest(14_000, 'fifteenMin', 'BTC', '0.52', '0.48') },
      { type: 'TICK', ts: 71_999 },
      // The entry's TTL ends: the tick expires it.
      { type: 'TICK', ts: 72_000 },
      { type: 'TICK', ts: 73_000 },
      { type: 'REQUEST', request: llmRequest(80_000, 'fifteenMin', 'ETH', '0.3', '0.7') },
      { type: 'TICK', ts: 85_000 },
      // Unanswered for answerTimeoutMs: the tick gives the request up (a fallback decision).
      { type: 'TICK', ts: 90_000 },
      { type: 'ENGINE', ts: 91_000, on: false },
      { type: 'TICK', ts: 91_500 },
      { type: 'ENGINE', ts: 92_000, on: true },
    ];
    const skipped: number[] = [];
    script.forEach((e, i) => {
      const before = c.actor.getPersistedSnapshot();
      const nothing = changesNothing(c.ctx(), e);
      c.actor.send(e);
      const emitted = c.take();
      if (nothing) {
        skipped.push(i);
        expect(emitted).toEqual([]);
        expect(c.actor.getPersistedSnapshot()).toEqual(before);
      } else {
        expect(emitted.length > 0 || JSON.stringify(c.actor.getPersistedSnapshot()) !== JSON.stringify(before)).toBe(true);
      }
    });
    expect(skipped).toEqual([0, 2, 4, 5, 7, 9, 11, 14]);
  });
});
