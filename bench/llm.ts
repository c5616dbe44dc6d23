import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Big from 'big.js';
import { llmSchema, signalsSchema } from '../actors/config/schema';
import { LlmDecisions } from '../actors/llm/decisions';
import { LlmEngine } from '../actors/llm/engine';
import { median } from '../actors/llm/metrics';
import { decodeFrame } from '../actors/venues/binance/parse';
import { SystemClock } from '../events/clock';
import { makeEvent, type LlmAnswerEvent, type LlmRequestEvent, type TradeEvent } from '../events/types';
import { llmCacheKey } from '../machines/llmCache';
import { AnthropicServer, message } from '../tests/support/anthropicServer';
import { FIXTURES, sharedFile } from '../tests/support/shared';

/**
 * LLM decisions with and without the decision cache, against a loopback Messages API that answers
 * after 1 s. The shared BTC/ETH trades are replayed through a minimal signal trigger (the 10 s change
 * above the threshold, confirmed by 2x volume, computed here until the bench is switched to the real
 * 15-minute strategy); each confirmed signal asks for a decision keyed by the asset and the Up/Down
 * prices of a simple model market (Up = 0.5 + 50 x the move since the 15-minute window opened).
 *
 * With the cache the run is live-like in event time: an answer enters at its ask's time plus its
 * measured latency, and calls overlap as they would live. Without the cache every signal is a call.
 */
export const name = 'llm';

const LATENCY_MS = 1_000;
const CONCURRENCY = 64;
const KEY = 'sk-ant-bench';
const SHARED = ['btcusdt_20240808', 'btcusdt_20240809', 'ethusdt_20240808', 'ethusdt_20240809'].map((f) => `binance/hftbacktest/spot/${f}.trades.txt`);
const FALLBACK = ['trades/btcusdt_20240808.trades.6001-8500.txt', 'binance/ethusdt_20240808.head300.trades.txt'];

function loadTrades(): { trades: TradeEvent[]; source: string } {
  const shared = SHARED.map(sharedFile);
  const files = shared.every((p): p is string => p !== null) ? shared : FALLBACK.map((f) => join(FIXTURES, f));
  const trades: TradeEvent[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.length === 0) return;
        const frame = decodeFrame(JSON.parse(line.slice(line.indexOf(' ') + 1)), { file, line: i + 1 });
        if (frame.trade) trades.push(frame.trade);
      });
  }
  trades.sort((a, b) => a.ts - b.ts);
  return { trades, source: files === shared ? 'shared hftbacktest BTC/ETH' : 'tests/fixtures slices' };
}

/** Confirmed signals as decision requests, in event order. */
function requests(trades: TradeEvent[]): LlmRequestEvent[] {
  const sig = signalsSchema.parse({});
  const state = new Map<string, { times: number[]; prices: number[]; qtys: number[]; window: number; open: number }>();
  const out: LlmRequestEvent[] = [];
  for (const t of trades) {
    const price = Number(t.price);
    const qty = Number(t.qty);
    const window = Math.floor(t.ts / 900_000) * 900_000;
    let s = state.get(t.symbol);
    if (!s) state.set(t.symbol, (s = { times: [], prices: [], qtys: [], window, open: price }));
    if (s.window !== window) Object.assign(s, { window, open: price });
    s.times.push(t.ts);
    s.prices.push(price);
    s.qtys.push(qty);
    if (s.qtys.length > sig.volumeWindow) s.qtys.shift();
    // Keep one price at or before ts - window as the reference.
    while (s.times.length > 2 && s.times[1] <= t.ts - sig.windowMs) {
      s.times.shift();
      s.prices.shift();
    }
    if (s.times[0] > t.ts - sig.windowMs) continue;
    const change = price / s.prices[0] - 1;
    if (Math.abs(change) < sig.threshold || s.qtys.length < sig.volumeAverageOf) continue;
    const recent = s.qtys.slice(-sig.volumeAverageOf);
    if (qty < sig.volumeMultiplier * (recent.reduce((a, b) => a + b, 0) / recent.length)) continue;
    const upRaw = new Big(t.price).div(s.open).minus(1).times(50).plus('0.5');
    const up = upRaw.lt('0.01') ? new Big('0.01') : upRaw.gt('0.99') ? new Big('0.99') : upRaw.round(2, Big.roundHalfUp);
    const yes = up.toFixed(2);
    const no = new Big(1).minus(up).toFixed(2);
    const asset = t.symbol.replace(/USDT$/, '');
    out.push(
      makeEvent('llm_request', t.ts, {
        strategy: 'fifteenMin',
        key: llmCacheKey(asset, 'directional_trend', yes, no),
        opportunity: 'directional_trend',
        context: {
          question: `${asset} Up or Down (15 minutes)`,
          asset,
          yesPrice: yes,
          noPrice: no,
          minutesToResolution: (window + 900_000 - t.ts) / 60_000,
          binancePrice: t.price,
          momentum: change,
          volumeConfirmed: true,
          balance: '1000',
          openPositions: 0,
          dailyPnl: '0',
        },
        ruleAction: change > 0 ? 'buy_yes' : 'buy_no',
      }),
    );
  }
  return out;
}

const answerBody = () => ({
  body: message([{ type: 'tool_use', id: 'toolu_bench', name: 'decision', input: { action: 'buy_yes', confidence: 70, position_size_pct: 1, order_type: 'fok', limit_price: null, reasoning: 'bench', risk_assessment: 'medium', expected_profit_pct: 2 } }]),
  delayMs: LATENCY_MS,
});

async function withCache(reqs: LlmRequestEvent[], url: string) {
  const config = llmSchema.parse({ baseUrl: url });
  const ready: LlmAnswerEvent[] = [];
  const engine = new LlmEngine({ config, apiKey: KEY, clock: new SystemClock(), onAnswer: (a) => ready.push(a), say: () => undefined, stamp: 'ask' });
  const decisions = new LlmDecisions({ config, mode: 'live', engine });
  decisions.react(engine.start());
  const latencies: number[] = [];
  const cachedMs: number[] = [];
  let waiting: { key: string; ts: number }[] = [];
  // One decision per (strategy, key) answers every request of that key waiting for the call in flight.
  const take = (out: ReturnType<LlmDecisions['react']>) => {
    for (const d of out) {
      if (d.type !== 'decision' || d.source === 'cache') continue;
      for (const w of waiting) if (w.key === d.key) latencies.push(d.ts - w.ts);
      waiting = waiting.filter((w) => w.key !== d.key);
    }
  };
  const injectUpTo = (ts: number) => {
    ready.sort((a, b) => a.ts - b.ts);
    while (ready.length > 0 && ready[0].ts <= ts) take(decisions.react(ready.shift()!));
  };
  for (const r of reqs) {
    // An answer may be due before this request: wait for the calls that could be.
    const due = decisions.cache.inflight.some((f) => f.since + LATENCY_MS <= r.ts && !ready.some((a) => a.key === f.key));
    if (due) await engine.settle();
    injectUpTo(r.ts);
    const t0 = performance.now();
    const out = decisions.react(r);
    const ms = performance.now() - t0;
    if (out.length === 1 && out[0].type === 'decision' && out[0].source === 'cache') {
      cachedMs.push(ms);
      latencies.push(ms);
    } else {
      waiting.push({ key: r.key, ts: r.ts });
    }
  }
  await engine.settle();
  injectUpTo(Number.MAX_SAFE_INTEGER);
  const m = decisions.metrics();
  return { calls: engine.counters.calls, hitRate: m.cache.hits / m.cache.requests, median: median(latencies)!, cached: median(cachedMs) ?? NaN };
}

async function withoutCache(reqs: LlmRequestEvent[], url: string) {
  const config = llmSchema.parse({ baseUrl: url });
  const engine = new LlmEngine({ config, apiKey: KEY, clock: new SystemClock(), onAnswer: () => undefined, say: () => undefined });
  // Bounded like a live service would be, so the figure is the answer latency, not a client queue.
  for (let i = 0; i < reqs.length; i += CONCURRENCY) {
    for (const r of reqs.slice(i, i + CONCURRENCY)) engine.ask({ type: 'ask', ts: r.ts, key: r.key, opportunity: r.opportunity, context: r.context });
    await engine.settle();
  }
  return { calls: engine.counters.calls, hitRate: 0, median: median(engine.counters.latencyMs)! };
}

export async function run(): Promise<Record<string, number | string>> {
  const { trades, source } = loadTrades();
  const reqs = requests(trades);
  const server = await AnthropicServer.start(answerBody, KEY);
  try {
    const cached = await withCache(reqs, server.url);
    const direct = await withoutCache(reqs, server.url);
    const row = (label: string, a: string | number, b: string | number) => console.log(`  ${label.padEnd(26)}${String(a).padStart(14)}${String(b).padStart(14)}`);
    console.log(`llm: ${reqs.length} confirmed signals from ${trades.length} trades (${source}); answers take ${LATENCY_MS} ms`);
    row('', 'with cache', 'without');
    row('model calls', cached.calls, direct.calls);
    row('cache hit rate', cached.hitRate.toFixed(3), '-');
    row('median decision ms', cached.median.toFixed(3), direct.median.toFixed(0));
    return {
      llm_signals: reqs.length,
      llm_calls_with_cache: cached.calls,
      llm_calls_without_cache: direct.calls,
      llm_cache_hit_rate: cached.hitRate,
      llm_median_decision_ms_with_cache: cached.median,
      llm_median_decision_ms_without_cache: direct.median,
      llm_calls_ratio: cached.calls / direct.calls,
      llm_cached_decision_ms: cached.cached,
    };
  } finally {
    await server.close();
  }
}
