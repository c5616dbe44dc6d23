import { SystemClock } from '../events/clock';
import { makeEvent, type LlmAnswerEvent } from '../events/types';
import type { LlmErrorKind } from '../actors/llm/metrics';
import { systemPrompt } from '../actors/llm/prompts';
import { AnthropicServer, apiError, cassette, message, recordedReply, type Responder } from './support/anthropicServer';
import { decisionBlock, goodDecision, llmRequest, llmRun, type LlmRunOptions } from './support/llmRun';

const KEY = 'sk-ant-test-key';
const clock = new SystemClock();
let server: AnthropicServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

/** A live run against a loopback server, with the engine switched on by its own status event. */
async function live(respond: Responder, config: LlmRunOptions['config'] = {}) {
  server = await AnthropicServer.start(respond, KEY);
  const run = llmRun({ apiKey: KEY, config: { baseUrl: server.url, ...config } });
  run.dispatch(run.engine!.start());
  return run;
}

/** Asks once and waits for the answer; returns the recorded answer event and the strategy's decision. */
async function askOnce(run: Awaited<ReturnType<typeof live>>, yes = '0.52', no = '0.48') {
  run.dispatch(llmRequest(clock.now(), 'fifteenMin', 'BTC', yes, no));
  await run.settle();
  const answers = run.events.filter((e): e is LlmAnswerEvent => e.type === 'llm_answer');
  const decisions = run.decisionEvents();
  return { answer: answers[answers.length - 1], decision: decisions[decisions.length - 1] };
}

describe('LLM engine against a loopback Messages API', () => {
  it('sends a forced decision tool call with the config and prompts, and records the decision', async () => {
    const recorded = cassette('test_anthropic_tool_output.yaml')[1].response.parsed_body;
    // The recorded envelope (id, model, usage, stop_reason) with the decision tool call in place of final_result.
    const run = await live(() => ({ body: { ...recorded, content: [decisionBlock(goodDecision)] } }), { model: 'claude-sonnet-4-6', maxTokens: 321 });
    const { answer, decision } = await askOnce(run);

    const sent = server!.requests[0];
    expect(sent.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(sent.body).toMatchObject({ model: 'claude-sonnet-4-6', max_tokens: 321, tool_choice: { type: 'tool', name: 'decision' }, system: systemPrompt('directional_trend') });
    expect(sent.body).not.toHaveProperty('temperature');
    expect((sent.body.tools as { name: string; input_schema: { required: string[] } }[])[0]).toMatchObject({ name: 'decision', input_schema: { type: 'object' } });
    const user = JSON.stringify(sent.body.messages);
    for (const part of ['BTC Up or Down', 'YES price: 0.52', 'NO price: 0.48', 'Minutes to resolution: 9.5', 'Binance price: 61837.63', '0.120 %', 'Volume confirmation: yes', 'Balance: 1000', 'Open positions: 1', 'Daily P&L: -3.20']) {
      expect(user).toContain(part);
    }

    const usage = recorded.usage as { input_tokens: number; output_tokens: number };
    expect(answer).toMatchObject({ key: 'BTC|directional_trend|0.52|0.48', model: recorded.model, usage: { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens }, error: null });
    expect(answer.decision).toEqual({
      action: 'buy_yes',
      confidence: goodDecision.confidence,
      positionSizePct: goodDecision.position_size_pct,
      orderType: 'limit',
      limitPrice: String(goodDecision.limit_price),
      reasoning: goodDecision.reasoning,
      riskAssessment: 'medium',
      expectedProfitPct: goodDecision.expected_profit_pct,
    });
    expect(decision).toMatchObject({ strategy: 'fifteenMin', source: 'llm', action: 'buy_yes', executed: true, llm: answer.decision });
    expect(run.decisions.cache.entries.map((e) => e.key)).toEqual([answer.key]);
    expect(run.engine!.counters).toMatchObject({ calls: 1, answered: 1, inputTokens: usage.input_tokens });
    expect(JSON.stringify(run.events)).not.toContain(KEY);
  });

  it('falls back to a JSON object in the text when there is no tool call', async () => {
    const recorded = cassette('test_anthropic_prompted_output.yaml')[1].response.parsed_body;
    const text = `Here is my decision:\n\`\`\`json\n${JSON.stringify({ ...goodDecision, action: 'buy_no', confidence: 64 })}\n\`\`\``;
    const run = await live(() => ({ body: { ...recorded, content: [{ type: 'text', text }] } }));
    const { answer, decision } = await askOnce(run);
    expect(answer.error).toBeNull();
    expect(answer.decision).toMatchObject({ action: 'buy_no', confidence: 64 });
    expect(decision).toMatchObject({ action: 'buy_no', executed: true });
  });

  describe('recorded answers that are not a decision become skip with the reason recorded', () => {
    const cases: [string, () => ReturnType<typeof recordedReply>, RegExp][] = [
      ['a plain text answer', () => recordedReply(cassette('test_anthropic_model_instructions.yaml')[0]), /^invalid_answer: no decision tool call and no JSON object in the text$/],
      ['a call of another tool', () => recordedReply(cassette('test_anthropic_tool_output.yaml')[0]), /^invalid_answer: called tool 'get_user_country' instead of 'decision'$/],
      ['JSON in the text that ignores the schema', () => recordedReply(cassette('test_anthropic_prompted_output.yaml')[1]), /^invalid_answer: does not match the decision schema: .*action/],
      ['an API error', () => recordedReply(cassette('test_anthropic_count_tokens_error.yaml')[0]), /^http_4xx: HTTP 404 not_found_error: model: claude-does-not-exist$/],
    ];
    it.each(cases)('%s', async (_name, reply, error) => {
      const r = reply();
      const run = await live(() => r);
      const { answer, decision } = await askOnce(run);
      expect(answer.error).toMatch(error);
      expect(answer.decision).toBeNull();
      if (r.status === 200) {
        const usage = (r.body as { usage: { input_tokens: number; output_tokens: number } }).usage;
        expect(answer.usage).toEqual({ inputTokens: usage.input_tokens, outputTokens: usage.output_tokens });
      }
      expect(decision).toMatchObject({ action: 'skip', executed: false, source: 'llm', reason: answer.error });
      expect(run.decisions.cache.entries).toEqual([]);
      const kind = answer.error!.slice(0, answer.error!.indexOf(':')) as LlmErrorKind;
      expect(run.engine!.counters.errors[kind]).toBe(1);
    });
  });

  it('rejects truncated JSON and values out of range', async () => {
    const truncated = JSON.stringify(goodDecision).slice(0, 40);
    const replies = [
      { body: message([{ type: 'text', text: truncated }], { stop_reason: 'max_tokens' }) },
      { body: message([decisionBlock({ ...goodDecision, confidence: 150 })], { stop_reason: 'tool_use' }) },
      { body: message([decisionBlock({ ...goodDecision, position_size_pct: 7.5 })], { stop_reason: 'tool_use' }) },
    ];
    const run = await live((_r, i) => replies[i]);
    const first = await askOnce(run, '0.30', '0.70');
    expect(first.answer.error).toMatch(/^invalid_answer: JSON in the text does not parse .*\(stop_reason max_tokens: the answer was cut off\)$/);
    const second = await askOnce(run, '0.31', '0.69');
    expect(second.answer.error).toMatch(/^invalid_answer: does not match the decision schema: confidence: /);
    const third = await askOnce(run, '0.32', '0.68');
    expect(third.answer.error).toMatch(/^invalid_answer: does not match the decision schema: position_size_pct: /);
    expect(run.decisionEvents().map((d) => d.action)).toEqual(['skip', 'skip', 'skip']);
    expect(run.engine!.counters.errors.invalid_answer).toBe(3);
  });

  it('aborts a slow answer at the timeout; with onError=rules the strategy gets its rule decision', async () => {
    const run = await live(() => ({ body: message([decisionBlock(goodDecision)]), delayMs: 3_000 }), { timeoutMs: 300, onError: 'rules' });
    const started = clock.now();
    const { answer, decision } = await askOnce(run);
    const waited = clock.now() - started;
    expect(answer.error).toBe('timeout: no answer within 300 ms');
    expect(answer.latencyMs).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(2_000);
    expect(decision).toMatchObject({ source: 'rules', action: 'buy_yes', executed: true });
    expect(run.engine!.counters.errors.timeout).toBe(1);
  });

  it('honours a 429 retry-after that fits in the budget', async () => {
    const run = await live((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: apiError('rate_limit_error', 'Number of requests has exceeded your rate limit') } : { body: message([decisionBlock(goodDecision)]) }), { timeoutMs: 3_000 });
    const { answer } = await askOnce(run);
    expect(server!.requests).toHaveLength(2);
    expect(answer.error).toBeNull();
    expect(answer.latencyMs).toBeGreaterThanOrEqual(1_000);
  });

  it('fails fast on a 529 whose retry-after does not fit in the budget', async () => {
    const run = await live(() => ({ status: 529, headers: { 'retry-after': '10' }, body: apiError('overloaded_error', 'Overloaded') }), { timeoutMs: 2_000 });
    const { answer, decision } = await askOnce(run);
    expect(server!.requests).toHaveLength(1);
    expect(answer.error).toMatch(/^http_529: retry-after 10000 ms does not fit the \d+ ms left of the 2000 ms budget$/);
    expect(answer.latencyMs).toBeLessThan(1_000);
    expect(decision).toMatchObject({ action: 'skip', executed: false });
    expect(run.engine!.counters.errors.http_529).toBe(1);
  });

  it('makes one API call for concurrent asks of one key (single flight at the server)', async () => {
    const run = await live(() => ({ body: message([decisionBlock(goodDecision)]), delayMs: 200 }));
    run.dispatch(llmRequest(clock.now(), 'fifteenMin', 'ETH', '0.45', '0.55'));
    run.dispatch(llmRequest(clock.now(), 'latency', 'ETH', '0.451', '0.549'));
    await run.settle();
    expect(server!.requests).toHaveLength(1);
    expect(run.decisionEvents().map((d) => [d.strategy, d.source])).toEqual([
      ['fifteenMin', 'llm'],
      ['latency', 'llm'],
    ]);
    run.dispatch(llmRequest(clock.now(), 'fifteenMin', 'ETH', '0.45', '0.55'));
    expect(run.decisionEvents().map((d) => d.source)).toEqual(['llm', 'llm', 'cache']);
    expect(server!.requests).toHaveLength(1);
  });

  it('is off without an API key: says so once and strategies get their rule decisions', () => {
    const run = llmRun({ apiKey: undefined, config: { baseUrl: 'http://127.0.0.1:9' } });
    expect(run.engine!.enabled).toBe(false);
    const status = run.engine!.start();
    expect(status).toMatchObject({ type: 'feed_status', feed: 'llm', status: 'disconnected' });
    expect(run.said).toEqual(['LLM decision engine off: ANTHROPIC_API_KEY is not set: strategies run on their rules alone']);
    run.dispatch(status);
    run.dispatch(llmRequest(1_000, 'fifteenMin', 'BTC', '0.52', '0.48', 'directional_trend', 'buy_no'));
    expect(run.decisionEvents()).toEqual([makeEvent('decision', 1_000, { strategy: 'fifteenMin', key: 'BTC|directional_trend|0.52|0.48', action: 'buy_no', confidence: 0, source: 'rules', executed: true, reason: 'LLM engine off: rule-only decision' })]);
  });
});
