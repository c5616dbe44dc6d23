import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runBacktest } from '../actors/backtest/run';
import { configSchema, type Config } from '../actors/config/schema';
import type { Reactor } from '../actors/engine';
import { median } from '../actors/llm/metrics';
import { SystemClock } from '../events/clock';
import type { AnyEvent, DerivedEvent } from '../events/types';
import { AnthropicServer, message } from '../tests/support/anthropicServer';

/**
 * LLM decisions with and without the decision cache, on the real 15-minute strategy path: the demo
 * tick file (34,419 real BTCUSDT/ETHUSDT trades of the shared hftbacktest recordings, 11 minutes)
 * goes through `runBacktest` (engine, signals, market model, supervisor, fifteenMin with
 * `useLlm`, risk, paper broker) re-asking the model (`llm.replay: reask`) through the real
 * `LlmDecisions` cache and `LlmEngine`, against a loopback Messages API that answers after 1 s.
 *
 * The model answers `skip` (70 % confident) to every question, so the strategy never trades and asks
 * again on the next confirmed signal: the case where a cache matters. Without the cache means a TTL
 * of 1 ms (every request not joining one in flight is a call). A decision's latency is the wall time
 * of the cache's reaction when served from the cache, else its answer's event time minus its
 * request's (the answer's measured latency: answers are stamped ask ts + latency).
 */
export const name = 'llm';

const LATENCY_MS = 1_000;
const KEY = 'sk-ant-bench';
const TICKS = resolve(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');

const answer = () => ({
  body: message([{ type: 'tool_use', id: 'toolu_bench', name: 'decision', input: { action: 'skip', confidence: 70, position_size_pct: 0, order_type: 'fok', limit_price: null, reasoning: 'the move is already priced in', risk_assessment: 'medium', expected_profit_pct: 0 } }]),
  delayMs: LATENCY_MS,
});

interface RunFigures {
  requests: number;
  calls: number;
  hitRate: number;
  medianMs: number;
  cachedMs: number | null;
  decisions: number;
  wallS: number;
}

/** Times the LLM decision reactor and pairs each request with its decision. */
class DecisionTimer {
  readonly latencies: number[] = [];
  readonly cachedMs: number[] = [];
  private waiting: { key: string; ts: number }[] = [];

  wrap = (r: Reactor): Reactor => (r.name !== 'llm' ? r : { name: r.name, handles: r.handles, react: (e) => this.react(r, e) });

  private react(r: Reactor, e: AnyEvent): readonly DerivedEvent[] {
    const t0 = performance.now();
    const out = r.react(e);
    const ms = performance.now() - t0;
    if (!Array.isArray(out)) throw new Error('bench llm: the LLM reactor is synchronous');
    const decisions = (out as readonly DerivedEvent[]).filter((d) => d.type === 'decision');
    if (e.type === 'llm_request') {
      if (decisions.some((d) => d.source === 'cache' && d.key === e.key)) {
        this.cachedMs.push(ms);
        this.latencies.push(ms);
      } else {
        this.waiting.push({ key: e.key, ts: e.ts });
      }
    }
    for (const d of decisions) {
      if (d.source === 'cache') continue;
      for (const w of this.waiting) if (w.key === d.key) this.latencies.push(d.ts - w.ts);
      this.waiting = this.waiting.filter((w) => w.key !== d.key);
    }
    return out as readonly DerivedEvent[];
  }
}

async function backtest(url: string, cacheTtlMs: number | undefined): Promise<RunFigures> {
  const config: Config = configSchema.parse({
    flashCrash: { enabled: false },
    negRisk: { enabled: false },
    fifteenMin: { useLlm: true },
    llm: { baseUrl: url, replay: 'reask', ...(cacheTtlMs === undefined ? {} : { cacheTtlMs }) },
  });
  const dir = mkdtempSync(join(tmpdir(), 'pma-bench-llm-'));
  const timer = new DecisionTimer();
  const wall = new SystemClock();
  const started = wall.now();
  try {
    const { llm } = await runBacktest({
      ticks: [TICKS],
      config,
      reportDir: dir,
      llm: { apiKey: KEY, latencyClock: wall, minLatencyMs: LATENCY_MS / 2, say: () => undefined },
      wrapReactor: timer.wrap,
    });
    const c = llm.cache;
    return {
      requests: c.requests,
      calls: llm.engine!.calls,
      hitRate: c.requests > 0 ? c.hits / c.requests : 0,
      medianMs: median(timer.latencies) ?? NaN,
      cachedMs: median(timer.cachedMs),
      decisions: timer.latencies.length,
      wallS: (wall.now() - started) / 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Record<string, number | string>> {
  const server = await AnthropicServer.start(answer, KEY);
  try {
    const cached = await backtest(server.url, undefined);
    const direct = await backtest(server.url, 1);
    const row = (label: string, a: string | number, b: string | number) => console.log(`  ${label.padEnd(26)}${String(a).padStart(14)}${String(b).padStart(14)}`);
    console.log(`llm: fifteenMin with the LLM on, demo tick file (BTC/ETH trades), re-asking a loopback model that answers in ${LATENCY_MS} ms`);
    row('', 'with cache', 'without');
    row('llm requests', cached.requests, direct.requests);
    row('model calls', cached.calls, direct.calls);
    row('cache hit rate', cached.hitRate.toFixed(3), direct.hitRate.toFixed(3));
    row('median decision ms', cached.medianMs.toFixed(3), direct.medianMs.toFixed(0));
    row('wall s', cached.wallS.toFixed(1), direct.wallS.toFixed(1));
    return {
      llm_requests_with_cache: cached.requests,
      llm_requests_without_cache: direct.requests,
      llm_calls_with_cache: cached.calls,
      llm_calls_without_cache: direct.calls,
      llm_cache_hit_rate: cached.hitRate,
      llm_median_decision_ms_with_cache: cached.medianMs,
      llm_median_decision_ms_without_cache: direct.medianMs,
      llm_calls_ratio: cached.calls / direct.calls,
      llm_cached_decision_ms: cached.cachedMs ?? NaN,
    };
  } finally {
    await server.close();
  }
}
