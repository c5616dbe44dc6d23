import type { Clock } from '../../events/clock';
import { makeEvent, type FeedStatusEvent, type LlmAnswerEvent } from '../../events/types';
import type { LlmAskOutput } from '../../machines/llmCache';
import type { Config } from '../config/schema';
import { AnthropicCallError } from '../venues/anthropic/callError';
import type { AnthropicMessagesClient } from '../venues/anthropic/messagesClient';
import { decisionTool } from './decisionSchema';
import { emptyEngineCounters, errorKind, recordLatency, type LlmEngineCounters } from './metrics';
import { systemPrompt, userPrompt } from './prompts';
import { readDecision } from './readDecision';

export type LlmConfig = Config['llm'];

export interface LlmEngineOptions {
  config: LlmConfig;
  /** `process.env.ANTHROPIC_API_KEY`; undefined or empty turns the engine off. Never logged. */
  apiKey: string | undefined;
  clock: Clock;
  /** Receives every answer (or failure): append it to the log, then hand it to the decision cache. */
  onAnswer(answer: LlmAnswerEvent): void;
  /** Told once, at `start()`, whether the engine is on. */
  say?(message: string): void;
  /**
   * How answers are stamped: `clock` (live: the arrival time) or `ask` (the ask's event time plus
   * the latency: for re-asking the model during a replay, whose event time is not the wall clock).
   */
  stamp?: 'clock' | 'ask';
}

/**
 * The LLM decision engine: turns the decision cache's asks into calls of the Messages API and every
 * outcome into an `llm_answer` input event. Never throws at the caller: errors, timeouts, rate limits
 * and malformed answers become answers with an `error` (and a counter).
 */
export class LlmEngine {
  readonly enabled: boolean;
  readonly counters: LlmEngineCounters = emptyEngineCounters();
  private readonly client: AnthropicMessagesClient | null;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly opts: LlmEngineOptions) {
    const key = opts.apiKey ?? '';
    this.enabled = opts.config.enabled && key.length > 0;
    this.client = this.enabled ? new (messagesClientClass())({ apiKey: key, baseUrl: opts.config.baseUrl, timeoutMs: opts.config.timeoutMs, clock: opts.clock }) : null;
  }

  /** Why the engine is off, or null when it is on. */
  get offReason(): string | null {
    if (this.enabled) return null;
    return this.opts.config.enabled ? 'ANTHROPIC_API_KEY is not set' : 'llm.enabled is false';
  }

  /**
   * Says once whether the engine is on and returns the `feed_status` input event (feed `llm`) to
   * append to the log: it switches the decision cache on or off, in this run and in its replays.
   */
  start(): FeedStatusEvent {
    const off = this.offReason;
    const detail = off === null ? `model ${this.opts.config.model}, timeout ${this.opts.config.timeoutMs} ms` : `${off}: strategies run on their rules alone`;
    (this.opts.say ?? ((m: string) => process.stderr.write(`${m}\n`)))(`LLM decision engine ${off === null ? 'on' : 'off'}: ${detail}`);
    return makeEvent('feed_status', this.opts.clock.now(), { feed: 'llm', status: off === null ? 'connected' : 'disconnected', detail });
  }

  /** Starts a call; its answer goes to `onAnswer` when it arrives. */
  ask(ask: LlmAskOutput): void {
    const p = this.call(ask).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves when every call started so far has delivered its answer. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async call(ask: LlmAskOutput): Promise<void> {
    // Never answer inside the caller's `react`: answers re-enter the cache as their own events.
    await Promise.resolve();
    const { config, clock } = this.opts;
    const started = clock.now();
    let body: Omit<LlmAnswerEvent, 'v' | 'seq' | 'ts' | 'type'>;
    if (!this.client) {
      body = { key: ask.key, model: config.model, latencyMs: 0, usage: null, decision: null, error: `internal: engine off (${this.offReason})` };
    } else {
      this.counters.calls++;
      try {
        const { message } = await this.client.create({
          model: config.model,
          maxTokens: config.maxTokens,
          system: systemPrompt(ask.opportunity),
          user: userPrompt(ask.opportunity, ask.context),
          tool: decisionTool(),
        });
        const read = readDecision(message);
        const usage = message.usage ? { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens } : null;
        body = { key: ask.key, model: message.model ?? config.model, latencyMs: clock.now() - started, usage, ...read };
      } catch (err) {
        const error = err instanceof AnthropicCallError ? err.message : `internal: ${(err as Error).message}`;
        body = { key: ask.key, model: config.model, latencyMs: clock.now() - started, usage: null, decision: null, error };
      }
    }
    this.count(body);
    const ts = this.opts.stamp === 'ask' ? ask.ts + body.latencyMs : clock.now();
    this.opts.onAnswer(makeEvent('llm_answer', ts, body));
  }

  private count(body: Pick<LlmAnswerEvent, 'latencyMs' | 'usage' | 'error'>): void {
    const c = this.counters;
    recordLatency(c, body.latencyMs);
    if (body.usage) {
      c.inputTokens += body.usage.inputTokens;
      c.outputTokens += body.usage.outputTokens;
    }
    if (body.error === null) c.answered++;
    else c.errors[errorKind(body.error)]++;
  }
}

/** The SDK loads only when the engine is on (it is a fifth of the service's start-up time). */
function messagesClientClass(): typeof AnthropicMessagesClient {
  return (require('../venues/anthropic/messagesClient') as typeof import('../venues/anthropic/messagesClient')).AnthropicMessagesClient;
}
