import type { Clock } from '../../events/clock';
import { makeEvent, type FeedStatusEvent, type LlmAnswerEvent } from '../../events/types';
import type { LlmInFlight } from '../../machines/llmCache';
import { LlmEngine, type LlmConfig } from '../llm/engine';

export interface ReaskOptions {
  /** `ANTHROPIC_API_KEY`; the engine calls `config.llm.baseUrl`. */
  apiKey: string | undefined;
  /** Wall clock the engine measures latency on: an answer is stamped its ask's event time plus that latency. */
  latencyClock: Clock;
  /**
   * No answer comes sooner than this after its ask (wall ms). Calls younger than this at an event's
   * time are not waited for, so calls overlap; 0 (right for any API) waits for every call in flight.
   */
  minLatencyMs?: number;
  say?: (message: string) => void;
}

/**
 * The engine of a backtest that re-asks the model (`llm.replay: reask`), and the place of its answers
 * in the replay: an answer (stamped ask ts + latency) enters the log before the first event later
 * than it, once every call that could answer by then has answered. Replays run faster than the wall
 * clock, so the replay waits for those calls; where the answers fall depends only on their latency.
 */
export class ReaskAnswers {
  readonly engine: LlmEngine;
  private readonly minLatencyMs: number;
  private ready: LlmAnswerEvent[] = [];
  private wake: (() => void) | null = null;

  constructor(config: LlmConfig, options: ReaskOptions) {
    this.minLatencyMs = options.minLatencyMs ?? 0;
    const onAnswer = (answer: LlmAnswerEvent) => {
      this.ready.push(answer);
      this.wake?.();
    };
    this.engine = new LlmEngine({ config, apiKey: options.apiKey, clock: options.latencyClock, onAnswer, say: options.say, stamp: 'ask' });
  }

  /** The engine's `feed_status` (feed `llm`), at the replay's first event time rather than the wall clock's. */
  start(ts: number): FeedStatusEvent {
    const { feed, status, detail } = this.engine.start();
    return makeEvent('feed_status', ts, { feed, status, detail });
  }

  /**
   * The earliest answer stamped at or before `upTo`, or null when none is (waits first for the calls
   * in flight, from the decision cache's `inflight`, that could be).
   */
  async next(upTo: number, inflight: () => readonly LlmInFlight[]): Promise<LlmAnswerEvent | null> {
    while (inflight().some((f) => f.since + this.minLatencyMs <= upTo && !this.ready.some((a) => a.key === f.key))) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
    let best = -1;
    for (let i = 0; i < this.ready.length; i++) {
      const a = this.ready[i];
      if (a.ts > upTo) continue;
      if (best < 0 || a.ts < this.ready[best].ts || (a.ts === this.ready[best].ts && a.key < this.ready[best].key)) best = i;
    }
    return best < 0 ? null : this.ready.splice(best, 1)[0];
  }

  /** Every answer still to come, in time order (the replay's end). */
  async rest(): Promise<LlmAnswerEvent[]> {
    await this.engine.settle();
    const out = this.ready.sort((a, b) => a.ts - b.ts || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.ready = [];
    return out;
  }
}
