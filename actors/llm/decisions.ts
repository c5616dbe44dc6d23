import { createActor, type Actor, type InspectionEvent, type SnapshotFrom } from 'xstate';
import { makeEvent, type AnyEvent, type DerivedEvent, type EventType } from '../../events/types';
import { changesNothing, llmCacheMachine, type LlmAskOutput, type LlmCacheContext, type LlmCacheEvent, type LlmCacheParams, type LlmDecisionOutput } from '../../machines/llmCache';
import type { LlmConfig, LlmEngine } from './engine';
import type { LlmMetrics } from './metrics';

export type LlmRunMode = 'live' | 'replay';

export interface LlmDecisionsOptions {
  config: LlmConfig;
  /** `live`: asks go to the engine. `replay`: recorded answers are used, unless `llm.replay` is `reask`. */
  mode: LlmRunMode;
  /** Needed live and for `reask` replays; null in recorded replays (the API is never called). */
  engine: LlmEngine | null;
  /** XState inspection (the visualizer's hub); the cache actor is then `llm/cache`. */
  inspect?: (event: InspectionEvent) => void;
}

export function cacheParams(config: LlmConfig): LlmCacheParams {
  return {
    ttlMs: config.cacheTtlMs,
    maxEntries: config.cacheMaxEntries,
    evictCount: config.cacheEvictCount,
    minConfidence: config.minConfidence,
    onError: config.onError,
    // The engine answers (if only with a timeout) within its budget plus a retry; twice it is a lost answer.
    answerTimeoutMs: 2 * config.timeoutMs,
  };
}

/**
 * The decision cache actor between the strategies and the engine. `react` takes `llm_request`
 * (derived), `llm_answer` and `feed_status` of feed `llm` (inputs) and `timer` events, and returns
 * the `decision` events they cause; asks leave for the engine when this run may call the model.
 */
export class LlmDecisions {
  readonly handles: ReadonlySet<EventType> = new Set<EventType>(['llm_request', 'llm_answer', 'feed_status', 'timer']);
  private actor: Actor<typeof llmCacheMachine>;
  private outbox: LlmDecisionOutput[] = [];
  private asks: LlmAskOutput[] = [];

  constructor(private opts: LlmDecisionsOptions) {
    if (this.callsModel && !opts.engine) throw new Error(`LlmDecisions: mode ${opts.mode} with llm.replay=${opts.config.replay} needs an engine`);
    this.actor = this.start(undefined);
  }

  /** Whether asks go to the engine in this run. */
  get callsModel(): boolean {
    return this.opts.mode === 'live' || this.opts.config.replay === 'reask';
  }

  /**
   * Whether a recorded input event of a tick file is replayed. With `llm.replay = reask` the
   * recorded answers and engine status are dropped: the engine answers anew (append its `start()`
   * event first). Everything else is kept.
   */
  keepsRecorded(event: AnyEvent): boolean {
    if (this.opts.mode !== 'replay' || this.opts.config.replay !== 'reask') return true;
    return !(event.type === 'llm_answer' || (event.type === 'feed_status' && event.feed === 'llm'));
  }

  react(event: AnyEvent): DerivedEvent[] {
    const e = toCacheEvent(event);
    if (!e) return [];
    // An event that changes nothing is not sent (unless inspected: the visualizer shows every event).
    if (!this.opts.inspect && changesNothing(this.cache, e)) return [];
    this.outbox = [];
    this.asks = [];
    this.actor.send(e);
    if (this.callsModel) for (const a of this.asks) this.opts.engine!.ask(a);
    return this.outbox.map(({ type: _type, ...body }) => makeEvent('decision', event.ts, body));
  }

  /**
   * A restarting service rebuilds the cache from its log in `replay` mode (no API calls for asks
   * that were answered, or abandoned, before the restart), then sends new asks to the engine.
   */
  goLive(engine: LlmEngine): void {
    this.opts = { ...this.opts, mode: 'live', engine };
  }

  /** The cache's state (entries oldest first, requests in flight, stats), for inspection and tests. */
  get cache(): LlmCacheContext {
    return this.actor.getSnapshot().context;
  }

  metrics(): LlmMetrics {
    const c = this.cache;
    return { cache: { ...c.stats, entries: c.entries.length, inflight: c.inflight.length }, engine: this.opts.engine ? this.opts.engine.counters : null };
  }

  persist(): unknown {
    return this.actor.getPersistedSnapshot();
  }

  restore(snapshot: unknown): void {
    this.actor.stop();
    this.actor = this.start(snapshot as SnapshotFrom<typeof llmCacheMachine>);
  }

  private start(snapshot: SnapshotFrom<typeof llmCacheMachine> | undefined): Actor<typeof llmCacheMachine> {
    const inspection = this.opts.inspect ? { inspect: this.opts.inspect, id: 'llm/cache' } : {};
    const actor = createActor(llmCacheMachine, { input: { params: cacheParams(this.opts.config) }, ...(snapshot ? { snapshot } : {}), ...inspection });
    actor.on('decision', (d) => this.outbox.push(d));
    actor.on('ask', (a) => this.asks.push(a));
    actor.start();
    return actor;
  }
}

function toCacheEvent(event: AnyEvent): LlmCacheEvent | null {
  switch (event.type) {
    case 'llm_request':
      return { type: 'REQUEST', request: event };
    case 'llm_answer':
      return { type: 'ANSWER', answer: event };
    case 'feed_status':
      if (event.feed !== 'llm' || (event.status !== 'connected' && event.status !== 'disconnected')) return null;
      return { type: 'ENGINE', ts: event.ts, on: event.status === 'connected' };
    case 'timer':
      return { type: 'TICK', ts: event.ts };
    default:
      return null;
  }
}
