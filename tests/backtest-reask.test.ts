import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runBacktest, type BacktestResult } from '../actors/backtest/run';
import { configSchema, type Config } from '../actors/config/schema';
import { SystemClock } from '../events/clock';
import { AnthropicServer, message } from './support/anthropicServer';
import { decisionBlock } from './support/llmRun';

const DEMO = resolve(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');
const KEY = 'sk-ant-reask-test';
const DELAY_MS = 40;
// 00:00:00 to 00:03:00 UTC of 2024-08-09: the 15-minute window in which the strategy asks.
const FROM = Date.UTC(2024, 7, 9, 0, 0, 0);
const TO = FROM + 180_000;
const clock = new SystemClock();

type Line = Record<string, unknown> & { seq: number; ts: number; type: string; key?: string };
const readLog = (path: string): Line[] => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);

const config = (url: string, replay: 'reask' | 'recorded' = 'reask'): Config =>
  configSchema.parse({ flashCrash: { enabled: false }, negRisk: { enabled: false }, llm: { baseUrl: url, replay } });

describe('runBacktest re-asking the model (llm option)', () => {
  let dir: string;
  let ticks: string;
  let server: AnthropicServer;
  let result: BacktestResult;
  let log: Line[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-bt-reask-'));
    // The demo trades of the range, after a recorded engine status that says "off": a re-asking run must drop it.
    const trades = gunzipSync(readFileSync(DEMO)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Line).filter((t) => t.ts >= FROM && t.ts <= TO);
    const recordedOff = { v: 1, seq: 0, ts: trades[0].ts, type: 'feed_status', feed: 'llm', status: 'disconnected', detail: 'recorded: engine off' };
    ticks = join(dir, 'ticks.jsonl');
    writeFileSync(ticks, [recordedOff, ...trades].map((e, i) => JSON.stringify({ ...e, seq: i + 1 })).join('\n') + '\n');
    const skip = { action: 'skip', confidence: 70, position_size_pct: 0, order_type: 'fok', limit_price: null, reasoning: 'priced in', risk_assessment: 'medium', expected_profit_pct: 0 };
    server = await AnthropicServer.start(() => ({ body: message([decisionBlock(skip)]), delayMs: DELAY_MS }), KEY);
    result = await runBacktest({
      ticks: [ticks],
      config: config(server.url),
      reportDir: join(dir, 'out'),
      llm: { apiKey: KEY, latencyClock: clock, minLatencyMs: DELAY_MS / 2, say: () => undefined },
    });
    log = readLog(join(dir, 'out', 'events.jsonl'));
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops the recorded engine status and logs the engine start at the first event', () => {
    const status = log.filter((e) => e.type === 'feed_status' && e.feed === 'llm');
    expect(status.map((e) => [e.status, e.ts])).toEqual([['connected', log[0].ts]]);
    expect(log[0].type).toBe('feed_status');
  });

  it('asks the model once per call and logs every answer in time order, stamped request ts + latency', () => {
    const requests = log.filter((e) => e.type === 'llm_request');
    const answers = log.filter((e) => e.type === 'llm_answer');
    expect(requests.length).toBeGreaterThan(0);
    expect(answers.length).toBe(server.requests.length);
    expect(result.llm.engine!.calls).toBe(server.requests.length);
    for (let i = 1; i < log.length; i++) expect(log[i].ts).toBeGreaterThanOrEqual(log[i - 1].ts);
    for (const a of answers) {
      const latency = a.latencyMs as number;
      expect(latency).toBeGreaterThanOrEqual(DELAY_MS);
      // The request that caused the call: the latest one with that key before the answer.
      const asked = requests.filter((r) => r.key === a.key && r.seq < a.seq).pop()!;
      expect(a.ts).toBe(asked.ts + latency);
      expect(a.error).toBeNull();
    }
  });

  it('answers every request: from the cache at once, or from the model when its answer enters the log', () => {
    const requests = log.filter((e) => e.type === 'llm_request');
    const decisions = log.filter((e) => e.type === 'decision');
    let hits = 0;
    for (const r of requests) {
      const d = decisions.find((x) => x.key === r.key && x.seq > r.seq)!;
      expect(d.action).toBe('skip');
      if (d.source === 'cache') {
        hits++;
        expect(d.ts).toBe(r.ts);
      } else {
        expect(d.source).toBe('llm');
        expect(log.find((x) => x.type === 'llm_answer' && x.key === r.key && x.seq > r.seq)!.seq).toBeLessThan(d.seq);
      }
    }
    expect(result.llm.cache.requests).toBe(requests.length);
    expect(result.llm.cache.hits).toBe(hits);
    expect(hits).toBeGreaterThan(0);
    expect(hits).toBeLessThan(requests.length);
    expect(log.some((e) => e.type === 'order_intent')).toBe(false);
  });

  it('needs llm.replay = reask to re-ask, and an engine to run with it', async () => {
    const base = { ticks: [ticks], reportDir: join(dir, 'other') };
    await expect(runBacktest({ ...base, config: config(server.url, 'recorded'), llm: { apiKey: KEY, latencyClock: clock } })).rejects.toThrow(/llm.replay = reask/);
    await expect(runBacktest({ ...base, config: config(server.url) })).rejects.toThrow(/needs an engine/);
  });
});
