/**
 * Properties of the LLM answer parser (actors/llm/readDecision.ts with decisionSchema.ts): answers
 * damaged field by field and as text never throw; they give a decision a strategy can act on safely,
 * or an `invalid_answer` error (which the caller turns into skip).
 */
import fc from 'fast-check';
import { readDecision, type AnswerContent } from '../../actors/llm/readDecision';
import { makeEvent } from '../../events/types';
import { validateEvent } from '../../events/validate';
import { expectProbability, garbage, mutateText, mutatedSample, params, textMutation, timed, trapUnhandledRejections } from './support';

trapUnhandledRejections();

/** The decision JSON of the original bot's prompt (REFERENCE.md), as a model answers it. */
const decision = {
  action: 'buy_yes',
  confidence: 72,
  position_size_pct: 2.5,
  order_type: 'limit',
  limit_price: 0.45,
  reasoning: 'Momentum +0.12 % over 10 s with 2x volume; “Up” under-priced.',
  risk_assessment: 'medium',
  expected_profit_pct: 4.2,
};
/** Answer envelopes as the Messages API sends them: a forced tool call, or JSON in text (fenced or not). */
const answers = [
  { content: [{ type: 'tool_use', id: 'toolu_1', name: 'decision', input: decision }], stop_reason: 'tool_use' },
  { content: [{ type: 'text', text: JSON.stringify(decision) }], stop_reason: 'end_turn' },
  { content: [{ type: 'text', text: 'Here is my decision:\n```json\n' + JSON.stringify(decision, null, 2) + '\n```' }], stop_reason: 'end_turn' },
  { content: [{ type: 'thinking', thinking: '…' }, { type: 'tool_use', id: 'toolu_2', name: 'decision', input: { ...decision, action: 'skip', limit_price: null } }], stop_reason: 'tool_use' },
];

const ACTIONS = ['buy_yes', 'buy_no', 'buy_both', 'skip'];

function check(answer: unknown): void {
  const read = timed('readDecision', () => readDecision(answer as AnswerContent));
  if (read.decision === null) {
    expect(read.error).toMatch(/^invalid_answer: ./);
    return;
  }
  expect(read.error).toBeNull();
  const d = read.decision;
  expect(ACTIONS).toContain(d.action);
  expect(d.confidence).toBeGreaterThanOrEqual(0);
  expect(d.confidence).toBeLessThanOrEqual(100);
  expect(d.positionSizePct).toBeGreaterThanOrEqual(0);
  expect(d.positionSizePct).toBeLessThanOrEqual(5);
  expect(Number.isFinite(d.expectedProfitPct)).toBe(true);
  if (d.limitPrice !== null) expectProbability(d.limitPrice, 'limitPrice');
  // Recorded as an llm_answer, it replays.
  validateEvent(JSON.parse(JSON.stringify(makeEvent('llm_answer', 1, { key: 'k', model: 'm', latencyMs: 1, usage: null, decision: d, error: null }))) as Record<string, unknown>, { file: 'log', line: 1 });
}

describe('readDecision', () => {
  it('answers damaged field by field (the decision, the blocks, the envelope): a safe decision or invalid_answer, never a throw', () => {
    fc.assert(fc.property(mutatedSample(answers), check), params(1200));
  });

  it('text answers damaged as text: cut at any point, characters inserted, keys repeated', () => {
    const text = fc.tuple(fc.nat(answers.length - 1), textMutation).map(([i, m]) => {
      const first = answers[i].content[0] as { text?: string };
      const body = first.text ?? JSON.stringify(decision);
      return { content: [{ type: 'text', text: mutateText(body, m, decision) }], stop_reason: m.op === 'truncate' ? 'max_tokens' : 'end_turn' };
    });
    fc.assert(fc.property(text, check), params(1200));
  });

  it('any shape at all where the SDK would hand over a message (it does not validate the body)', () => {
    const shape = fc.oneof(
      garbage,
      fc.record({ content: garbage, stop_reason: garbage }),
      fc.record({ content: fc.array(garbage, { maxLength: 3 }), stop_reason: fc.constant(null) }),
      fc.record({ content: fc.array(fc.record({ type: fc.constantFrom('text', 'tool_use'), text: garbage, name: fc.constantFrom('decision', 'other'), input: garbage }), { maxLength: 3 }), stop_reason: fc.constant('end_turn') }),
    );
    fc.assert(fc.property(shape, (answer) => check(answer)), params(1200));
  });
});
