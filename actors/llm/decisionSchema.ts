import Big from 'big.js';
import { z } from 'zod';
import type { LlmDecision } from '../../events/types';

/** The decision JSON the model must produce (the `decision` tool's input), as the original bot defined it. */
export const decisionJsonSchema = z
  .object({
    action: z.enum(['buy_yes', 'buy_no', 'buy_both', 'skip']),
    confidence: z.number().min(0).max(100),
    position_size_pct: z.number().min(0).max(5),
    order_type: z.enum(['market', 'limit', 'fok']),
    limit_price: z.number().min(0).max(1).nullable(),
    reasoning: z.string(),
    risk_assessment: z.enum(['low', 'medium', 'high']),
    expected_profit_pct: z.number(),
  })
  .strict();

export type DecisionJson = z.infer<typeof decisionJsonSchema>;

export const DECISION_TOOL_NAME = 'decision';

/** The tool definition sent with every request; `tool_choice` forces the model to call it. */
export function decisionTool(): { name: string; description: string; input_schema: { type: 'object'; [k: string]: unknown } } {
  const { $schema: _drop, ...schema } = z.toJSONSchema(decisionJsonSchema) as Record<string, unknown>;
  return {
    name: DECISION_TOOL_NAME,
    description: 'Record your trading decision for this opportunity. Call it exactly once.',
    input_schema: { ...schema, type: 'object' },
  };
}

export function toLlmDecision(d: DecisionJson): LlmDecision {
  return {
    action: d.action,
    confidence: d.confidence,
    positionSizePct: d.position_size_pct,
    orderType: d.order_type,
    // JSON numbers as decimal strings without exponent (1e-7 -> "0.0000001").
    limitPrice: d.limit_price === null ? null : new Big(d.limit_price).toFixed(),
    reasoning: d.reasoning,
    riskAssessment: d.risk_assessment,
    expectedProfitPct: d.expected_profit_pct,
  };
}

/** A zod failure as one line naming the fields: `confidence: Too big: expected number to be <=100`. */
export function describeSchemaError(err: z.ZodError): string {
  return err.issues
    .slice(0, 4)
    .map((i) => `${i.path.join('.') || '(object)'}: ${i.message}`)
    .join('; ');
}
