import { llmSchema } from '../../actors/config/schema';
import { LlmDecisions, type LlmRunMode } from '../../actors/llm/decisions';
import { LlmEngine, type LlmConfig } from '../../actors/llm/engine';
import { SystemClock, type Clock } from '../../events/clock';
import type { EventLogWriter } from '../../events/log';
import { makeEvent, type AnyEvent, type DecisionEvent, type DerivedEvent, type LlmAction, type LlmOpportunity, type LlmRequestEvent } from '../../events/types';
import { llmCacheKey } from '../../machines/llmCache';

/** The LLM subsystem wired as the service wires it: events in order, answers appended when they arrive. */
export interface LlmRun {
  readonly events: AnyEvent[];
  readonly decisions: LlmDecisions;
  readonly engine: LlmEngine | null;
  readonly said: string[];
  dispatch(event: AnyEvent): void;
  settle(): Promise<void>;
  decisionEvents(): DecisionEvent[];
}

export interface LlmRunOptions {
  config?: Partial<LlmConfig>;
  mode?: LlmRunMode;
  /** Builds an engine with this key (live and reask runs); omit for recorded replays. */
  apiKey?: string;
  withEngine?: boolean;
  log?: EventLogWriter;
  /** A stand-in strategy: the derived events (llm_request) an input causes. */
  strategy?: (event: AnyEvent) => DerivedEvent[];
  clock?: Clock;
  stamp?: 'clock' | 'ask';
}

export function llmConfig(overrides: Partial<LlmConfig> = {}): LlmConfig {
  return llmSchema.parse(overrides);
}

export function llmRun(opts: LlmRunOptions = {}): LlmRun {
  const config = llmConfig(opts.config);
  const events: AnyEvent[] = [];
  const said: string[] = [];
  let decisions: LlmDecisions;
  const dispatch = (event: AnyEvent): void => {
    events.push(opts.log ? opts.log.append(event) : event);
    const derived = [...(opts.strategy?.(event) ?? []), ...decisions.react(event)];
    for (const d of derived) dispatch(d);
  };
  const engine =
    opts.withEngine === false || (opts.mode === 'replay' && config.replay === 'recorded')
      ? null
      : new LlmEngine({ config, apiKey: opts.apiKey, clock: opts.clock ?? new SystemClock(), onAnswer: dispatch, say: (m) => said.push(m), stamp: opts.stamp });
  decisions = new LlmDecisions({ config, mode: opts.mode ?? 'live', engine });
  return {
    events,
    decisions,
    engine,
    said,
    dispatch,
    settle: async () => engine?.settle(),
    decisionEvents: () => events.filter((e): e is DecisionEvent => e.type === 'decision'),
  };
}

export function llmRequest(ts: number, strategy: string, asset: string, yes: string, no: string, opportunity: LlmOpportunity = 'directional_trend', ruleAction: LlmAction = 'buy_yes'): LlmRequestEvent {
  return makeEvent('llm_request', ts, {
    strategy,
    key: llmCacheKey(asset, opportunity, yes, no),
    opportunity,
    context: {
      question: `${asset} Up or Down - August 9, 12:00AM-12:15AM ET`,
      asset,
      yesPrice: yes,
      noPrice: no,
      minutesToResolution: 9.5,
      binancePrice: '61837.63',
      momentum: 0.0012,
      volumeConfirmed: true,
      balance: '1000',
      openPositions: 1,
      dailyPnl: '-3.20',
    },
    ruleAction,
  });
}

/** A `decision` tool call as the model makes it under forced tool choice. */
export function decisionBlock(input: Record<string, unknown>): Record<string, unknown> {
  return { type: 'tool_use', id: 'toolu_loopback', name: 'decision', input };
}

export const goodDecision = {
  action: 'buy_yes',
  confidence: 72,
  position_size_pct: 2,
  order_type: 'limit',
  limit_price: 0.53,
  reasoning: 'Binance momentum confirmed by volume; Up still priced near even.',
  risk_assessment: 'medium',
  expected_profit_pct: 4.5,
};
