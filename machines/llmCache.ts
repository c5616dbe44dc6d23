import Big from 'big.js';
import { assign, emit, enqueueActions, setup } from 'xstate';
import type { EventBody, LlmAction, LlmAnswerEvent, LlmContext, LlmDecision, LlmOpportunity, LlmRequestEvent } from '../events/types';

/**
 * The LLM decision cache: a pure statechart between the strategies and the LLM engine.
 *
 * A strategy's `llm_request` is answered at once from the cache (a `decision` with source `cache`),
 * joins a request already in flight for the same key, or goes out as an `ask` for the engine. The
 * engine's `llm_answer` (an input event, recorded in the log) fills the cache and answers every
 * waiting strategy. All times are event times, so a replay of the log gives the same decisions.
 */

export interface LlmCacheParams {
  /** An entry serves requests while younger than this (event time). */
  ttlMs: number;
  maxEntries: number;
  /** How many of the oldest entries go when a new one would exceed `maxEntries`. */
  evictCount: number;
  minConfidence: number;
  onError: 'skip' | 'rules';
  /** A request still unanswered after this long (event time) is given up: its waiters get the error decision. */
  answerTimeoutMs: number;
}

export interface LlmCacheEntry {
  key: string;
  decision: LlmDecision;
  model: string;
  /** Event time of the answer that filled it. */
  storedAt: number;
}

export interface LlmWaiter {
  strategy: string;
  ruleAction: LlmAction;
}

export interface LlmInFlight {
  key: string;
  since: number;
  waiters: LlmWaiter[];
}

export interface LlmCacheStats {
  requests: number;
  hits: number;
  /** Requests not served from the cache (including those that joined a request in flight). */
  misses: number;
  /** Misses that joined a request in flight instead of asking again. */
  shared: number;
  asks: number;
  evictions: number;
  expired: number;
  answers: number;
  failures: number;
  /** In-flight requests given up after `answerTimeoutMs` without an answer. */
  abandoned: number;
  /** Requests answered by the rules alone because the engine is off. */
  rulesOnly: number;
}

export interface LlmCacheContext {
  params: LlmCacheParams;
  engineOn: boolean;
  /** Oldest first. */
  entries: LlmCacheEntry[];
  inflight: LlmInFlight[];
  stats: LlmCacheStats;
}

export interface LlmCacheInput {
  params: LlmCacheParams;
  /** Usually false: the engine's `feed_status` (feed `llm`) event in the log switches it on. */
  engineOn?: boolean;
}

export type LlmCacheEvent =
  | { type: 'REQUEST'; request: LlmRequestEvent }
  | { type: 'ANSWER'; answer: LlmAnswerEvent }
  | { type: 'ENGINE'; ts: number; on: boolean }
  | { type: 'TICK'; ts: number };

/** The body of a `decision` derived event, for one waiting strategy. */
export type LlmDecisionOutput = EventBody<'decision'>;

/** A request for the engine: call the model about this key. */
export interface LlmAskOutput {
  type: 'ask';
  ts: number;
  key: string;
  opportunity: LlmOpportunity;
  context: LlmContext;
}

export type LlmCacheOutput = LlmDecisionOutput | LlmAskOutput;

/** Prices in the key are rounded half up to 2 decimals on the decimal string (0.505 -> 0.51, never float rounding). */
export function llmCacheKey(asset: string, opportunity: LlmOpportunity, yesPrice: string, noPrice: string): string {
  const round = (p: string) => new Big(p).round(2, Big.roundHalfUp).toFixed(2);
  return `${asset.toUpperCase()}|${opportunity}|${round(yesPrice)}|${round(noPrice)}`;
}

/** Whether a strategy acts on a decision: not skip, and confident enough. Risk checks still apply afterwards. */
export function shouldExecute(decision: Pick<LlmDecision, 'action' | 'confidence'>, minConfidence: number): { execute: boolean; reason: string } {
  if (decision.action === 'skip') return { execute: false, reason: 'the model says skip' };
  if (decision.confidence < minConfidence) return { execute: false, reason: `confidence ${decision.confidence} below ${minConfidence}` };
  return { execute: true, reason: `${decision.action} at confidence ${decision.confidence}` };
}

export const emptyLlmCacheStats = (): LlmCacheStats => ({
  requests: 0,
  hits: 0,
  misses: 0,
  shared: 0,
  asks: 0,
  evictions: 0,
  expired: 0,
  answers: 0,
  failures: 0,
  abandoned: 0,
  rulesOnly: 0,
});

function fromDecision(strategy: string, key: string, decision: LlmDecision, source: 'llm' | 'cache', minConfidence: number): LlmDecisionOutput {
  const verdict = shouldExecute(decision, minConfidence);
  return { type: 'decision', strategy, key, action: decision.action, confidence: decision.confidence, source, executed: verdict.execute, reason: verdict.reason, llm: decision };
}

function fallback(params: LlmCacheParams, waiter: LlmWaiter, key: string, why: string): LlmDecisionOutput {
  if (params.onError === 'rules') {
    return { type: 'decision', strategy: waiter.strategy, key, action: waiter.ruleAction, confidence: 0, source: 'rules', executed: waiter.ruleAction !== 'skip', reason: `${why}; rule-only decision` };
  }
  return { type: 'decision', strategy: waiter.strategy, key, action: 'skip', confidence: 0, source: 'llm', executed: false, reason: why };
}

/** Drops entries past their TTL and gives up requests unanswered for too long. */
function expire(ctx: LlmCacheContext, ts: number, out: LlmCacheOutput[]): LlmCacheContext {
  const { ttlMs, answerTimeoutMs } = ctx.params;
  const entries = ctx.entries.filter((e) => ts - e.storedAt < ttlMs);
  const stale = ctx.inflight.filter((f) => ts - f.since >= answerTimeoutMs);
  if (entries.length === ctx.entries.length && stale.length === 0) return ctx;
  for (const f of stale) for (const w of f.waiters) out.push(fallback(ctx.params, w, f.key, `no_answer: none within ${answerTimeoutMs} ms`));
  return {
    ...ctx,
    entries,
    inflight: stale.length === 0 ? ctx.inflight : ctx.inflight.filter((f) => ts - f.since < answerTimeoutMs),
    stats: { ...ctx.stats, expired: ctx.stats.expired + ctx.entries.length - entries.length, abandoned: ctx.stats.abandoned + stale.length },
  };
}

function store(ctx: LlmCacheContext, entry: LlmCacheEntry): LlmCacheContext {
  let entries = ctx.entries.filter((e) => e.key !== entry.key);
  let evicted = 0;
  if (entries.length >= ctx.params.maxEntries) {
    evicted = Math.min(entries.length, ctx.params.evictCount);
    entries = entries.slice(evicted);
  }
  return { ...ctx, entries: [...entries, entry], stats: { ...ctx.stats, evictions: ctx.stats.evictions + evicted } };
}

function request(ctx: LlmCacheContext, r: LlmRequestEvent, out: LlmCacheOutput[]): LlmCacheContext {
  const stats = { ...ctx.stats, requests: ctx.stats.requests + 1 };
  const waiter = { strategy: r.strategy, ruleAction: r.ruleAction };
  if (!ctx.engineOn) {
    out.push({ type: 'decision', strategy: r.strategy, key: r.key, action: r.ruleAction, confidence: 0, source: 'rules', executed: r.ruleAction !== 'skip', reason: 'LLM engine off: rule-only decision' });
    return { ...ctx, stats: { ...stats, rulesOnly: stats.rulesOnly + 1 } };
  }
  const hit = ctx.entries.find((e) => e.key === r.key);
  if (hit) {
    out.push(fromDecision(r.strategy, r.key, hit.decision, 'cache', ctx.params.minConfidence));
    return { ...ctx, stats: { ...stats, hits: stats.hits + 1 } };
  }
  stats.misses++;
  const pending = ctx.inflight.find((f) => f.key === r.key);
  if (pending) {
    stats.shared++;
    const waiters = pending.waiters.some((w) => w.strategy === r.strategy) ? pending.waiters : [...pending.waiters, waiter];
    return { ...ctx, stats, inflight: ctx.inflight.map((f) => (f === pending ? { ...f, waiters } : f)) };
  }
  stats.asks++;
  out.push({ type: 'ask', ts: r.ts, key: r.key, opportunity: r.opportunity, context: r.context });
  return { ...ctx, stats, inflight: [...ctx.inflight, { key: r.key, since: r.ts, waiters: [waiter] }] };
}

function answer(ctx: LlmCacheContext, a: LlmAnswerEvent, out: LlmCacheOutput[]): LlmCacheContext {
  const pending = ctx.inflight.find((f) => f.key === a.key);
  const waiters = pending?.waiters ?? [];
  let next: LlmCacheContext = {
    ...ctx,
    inflight: pending ? ctx.inflight.filter((f) => f !== pending) : ctx.inflight,
    stats: { ...ctx.stats, answers: ctx.stats.answers + 1, failures: ctx.stats.failures + (a.decision ? 0 : 1) },
  };
  if (a.decision) {
    next = store(next, { key: a.key, decision: a.decision, model: a.model, storedAt: a.ts });
    for (const w of waiters) out.push(fromDecision(w.strategy, a.key, a.decision, 'llm', ctx.params.minConfidence));
  } else {
    for (const w of waiters) out.push(fallback(ctx.params, w, a.key, a.error ?? 'no decision'));
  }
  return next;
}

function eventTs(e: LlmCacheEvent): number {
  switch (e.type) {
    case 'REQUEST':
      return e.request.ts;
    case 'ANSWER':
      return e.answer.ts;
    default:
      return e.ts;
  }
}

/** One step of the cache as a pure function: the next context and what it emits. */
export function llmCacheStep(ctx: LlmCacheContext, e: LlmCacheEvent): { context: LlmCacheContext; outputs: LlmCacheOutput[] } {
  const outputs: LlmCacheOutput[] = [];
  let next = expire(ctx, eventTs(e), outputs);
  switch (e.type) {
    case 'REQUEST':
      next = request(next, e.request, outputs);
      break;
    case 'ANSWER':
      next = answer(next, e.answer, outputs);
      break;
    case 'ENGINE':
      next = { ...next, engineOn: e.on };
      break;
    case 'TICK':
      break;
  }
  return { context: next, outputs };
}

/**
 * Whether the event leaves the cache exactly where it is: its step keeps the context (the same object)
 * and emits nothing, so the machine's `step` enqueues nothing (a clock tick with nothing to expire,
 * about every event of a backtest). Its owner may then leave it out (tests/llm-cache.test.ts).
 */
export function changesNothing(ctx: LlmCacheContext, e: LlmCacheEvent): boolean {
  const { context, outputs } = llmCacheStep(ctx, e);
  return context === ctx && outputs.length === 0;
}

export const llmCacheMachine = setup({
  types: {
    context: {} as LlmCacheContext,
    events: {} as LlmCacheEvent,
    input: {} as LlmCacheInput,
    emitted: {} as LlmCacheOutput,
  },
  actions: {
    step: enqueueActions(({ context, event, enqueue }) => {
      const { context: next, outputs } = llmCacheStep(context, event);
      if (next !== context) enqueue(assign(() => next));
      for (const o of outputs) enqueue(emit(() => o));
    }),
  },
}).createMachine({
  id: 'llmCache',
  context: ({ input }) => ({ params: input.params, engineOn: input.engineOn ?? false, entries: [], inflight: [], stats: emptyLlmCacheStats() }),
  initial: 'ready',
  states: {
    ready: {
      on: {
        REQUEST: { actions: 'step' },
        ANSWER: { actions: 'step' },
        ENGINE: { actions: 'step' },
        TICK: { actions: 'step' },
      },
    },
  },
});
