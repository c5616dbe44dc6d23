import type { LlmCacheStats } from '../../machines/llmCache';

/** Error kinds of `llm_answer.error` (the text before the first colon). */
export type LlmErrorKind = 'timeout' | 'http_429' | 'http_529' | 'http_5xx' | 'http_4xx' | 'connection' | 'invalid_answer' | 'internal';

/** What the engine counts about its own calls. Plain numbers: the service exports them with prom-client. */
export interface LlmEngineCounters {
  calls: number;
  answered: number;
  errors: Record<LlmErrorKind, number>;
  inputTokens: number;
  outputTokens: number;
  /** Latency of the most recent calls (ms, oldest first), at most `LATENCY_SAMPLES`. */
  latencyMs: number[];
}

export const LATENCY_SAMPLES = 1000;

export function emptyEngineCounters(): LlmEngineCounters {
  return {
    calls: 0,
    answered: 0,
    errors: { timeout: 0, http_429: 0, http_529: 0, http_5xx: 0, http_4xx: 0, connection: 0, invalid_answer: 0, internal: 0 },
    inputTokens: 0,
    outputTokens: 0,
    latencyMs: [],
  };
}

export function errorKind(error: string): LlmErrorKind {
  const kind = error.slice(0, error.indexOf(':'));
  const known: readonly string[] = ['timeout', 'http_429', 'http_529', 'http_5xx', 'http_4xx', 'connection', 'invalid_answer'];
  return (known.includes(kind) ? kind : 'internal') as LlmErrorKind;
}

export function recordLatency(c: LlmEngineCounters, ms: number): void {
  c.latencyMs.push(ms);
  if (c.latencyMs.length > LATENCY_SAMPLES) c.latencyMs.splice(0, c.latencyMs.length - LATENCY_SAMPLES);
}

/** Everything the LLM subsystem counts: the cache's stats (hits, misses, evictions...) and the engine's. */
export interface LlmMetrics {
  cache: LlmCacheStats & { entries: number; inflight: number };
  engine: LlmEngineCounters | null;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
