import { show } from '../../events/errors';
import type { LlmDecision } from '../../events/types';
import { DECISION_TOOL_NAME, decisionJsonSchema, describeSchemaError, toLlmDecision } from './decisionSchema';

/** The parts of a Messages API answer the decision is read from. */
export interface AnswerContent {
  content: ReadonlyArray<{ type: string; text?: string; name?: string; input?: unknown }>;
  stop_reason: string | null;
}

export type ReadDecision = { decision: LlmDecision; error: null } | { decision: null; error: string };

const invalid = (why: string): ReadDecision => ({ decision: null, error: `invalid_answer: ${why}` });

/** The first `{ ... }` object in a text answer, with or without Markdown fences around it. */
function jsonInText(text: string): { value: unknown } | { problem: string } | null {
  const start = text.indexOf('{');
  if (start < 0) return null;
  const end = text.lastIndexOf('}');
  const candidate = end > start ? text.slice(start, end + 1) : text.slice(start);
  try {
    return { value: JSON.parse(candidate) };
  } catch (err) {
    return { problem: (err as Error).message };
  }
}

/**
 * Reads the decision from an answer: the `decision` tool call (forced by tool_choice), else a JSON
 * object in the text. Anything else (no decision, truncated JSON, another schema, values out of
 * range) is an `invalid_answer` error naming why; the caller turns it into skip.
 */
export function readDecision(answer: AnswerContent): ReadDecision {
  // The SDK hands over the body as sent, unchecked: a message without a content array is no answer.
  if (typeof answer !== 'object' || answer === null || !Array.isArray(answer.content)) return invalid(`no content array in the answer (got ${show(answer)})`);
  const truncated = answer.stop_reason === 'max_tokens' ? ' (stop_reason max_tokens: the answer was cut off)' : '';
  const blocks = answer.content.filter((b) => typeof b === 'object' && b !== null);
  let raw: unknown;
  const call = blocks.find((b) => b.type === 'tool_use' && b.name === DECISION_TOOL_NAME);
  if (call) {
    raw = call.input;
  } else {
    const text = blocks
      .filter((b) => b.type === 'text' && typeof b.text === 'string')
      .map((b) => b.text)
      .join('');
    const found = jsonInText(text);
    if (found === null) {
      const other = blocks.find((b) => b.type === 'tool_use');
      if (other) return invalid(`called tool '${other.name}' instead of '${DECISION_TOOL_NAME}'${truncated}`);
      return invalid(`no decision tool call and no JSON object in the text${truncated}`);
    }
    if ('problem' in found) return invalid(`JSON in the text does not parse (${found.problem})${truncated}`);
    raw = found.value;
  }
  const parsed = decisionJsonSchema.safeParse(raw);
  if (!parsed.success) return invalid(`does not match the decision schema: ${describeSchemaError(parsed.error)}${truncated}`);
  return { decision: toLlmDecision(parsed.data), error: null };
}
