import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { measureSignals } from '../actors/backtest/signalsReport';
import { defaultConfig } from '../actors/config/load';
import type { SignalEvent, TradeEvent } from '../events/types';
import { HORIZON_NAMES, type HorizonName } from '../actors/backtest/signalHorizons';
import { SignalDetector } from '../streams/signals';

const ROOT = resolve(__dirname, '..');
const DEMO = resolve(ROOT, 'data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');

function pma(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['bin/pma.js', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const trades = gunzipSync(readFileSync(DEMO))
  .toString('utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as TradeEvent)
  .filter((e) => e.type === 'trade');

/** Written out plainly: the deadline of each horizon, and the last trade of the symbol at or before it. */
const HORIZON_MS: Record<HorizonName, ((ts: number) => number)> = {
  '10s': (ts) => ts + 10_000,
  '30s': (ts) => ts + 30_000,
  '60s': (ts) => ts + 60_000,
  windowEnd: (ts) => (Math.floor(ts / 900_000) + 1) * 900_000,
};

function recompute(signals: SignalEvent[], gapMs: number) {
  const bySymbol = new Map<string, TradeEvent[]>();
  for (const t of trades) {
    if (!bySymbol.has(t.symbol)) bySymbol.set(t.symbol, []);
    bySymbol.get(t.symbol)!.push(t);
  }
  const out = { confirmed: { signals: 0, episodes: 0, s: {} as Record<string, number[]>, e: {} as Record<string, number[]> }, unconfirmed: { signals: 0, episodes: 0, s: {} as Record<string, number[]>, e: {} as Record<string, number[]> } };
  for (const c of Object.values(out)) for (const h of HORIZON_NAMES) (c.s[h] = [0, 0, 0]), (c.e[h] = [0, 0, 0]); // judged, false, unevaluated
  const previous = new Map<string, SignalEvent>();
  signals.forEach((sig) => {
    const c = sig.confirmed ? out.confirmed : out.unconfirmed;
    c.signals++;
    // the previous signal of the same symbol and class
    const prev = previous.get(`${sig.symbol} ${sig.confirmed}`);
    previous.set(`${sig.symbol} ${sig.confirmed}`, sig);
    const episode = !prev || prev.direction !== sig.direction || sig.ts - prev.ts > gapMs;
    if (episode) c.episodes++;
    const list = bySymbol.get(sig.symbol)!;
    for (const h of HORIZON_NAMES) {
      const deadline = HORIZON_MS[h](sig.ts);
      // binary search: the first trade after the deadline
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].ts <= deadline) lo = mid + 1;
        else hi = mid;
      }
      const judgedable = lo < list.length;
      const last = list[lo - 1];
      const wrong = sig.direction === 'bullish' ? Number(last.price) < Number(sig.price) : Number(last.price) > Number(sig.price);
      for (const counts of episode ? [c.s[h], c.e[h]] : [c.s[h]]) {
        if (!judgedable) counts[2]++;
        else {
          counts[0]++;
          if (wrong) counts[1]++;
        }
      }
    }
  });
  return out;
}

describe('signal episodes and false-signal horizons on the real BTCUSDT/ETHUSDT trades of the demo file', () => {
  it('match an independent recomputation, for two thresholds', async () => {
    const params = defaultConfig().signals;
    const thresholds = [0.0005, 0.001];
    const measured = await measureSignals([DEMO], params, thresholds);
    for (const [k, threshold] of thresholds.entries()) {
      const detector = new SignalDetector({ ...params, threshold });
      const signals = trades.map((t) => detector.onTrade(t)).filter((s): s is SignalEvent => s !== null);
      const expected = recompute(signals, params.windowMs);
      const q = measured[k].quality;
      for (const cls of ['confirmed', 'unconfirmed'] as const) {
        expect(q[cls].signals).toBe(expected[cls].signals);
        expect(q[cls].episodes).toBe(expected[cls].episodes);
        for (const h of HORIZON_NAMES) {
          expect([q[cls].bySignal[h].judged, q[cls].bySignal[h].falseSignals, q[cls].bySignal[h].unevaluated]).toEqual(expected[cls].s[h]);
          expect([q[cls].byEpisode[h].judged, q[cls].byEpisode[h].falseSignals, q[cls].byEpisode[h].unevaluated]).toEqual(expected[cls].e[h]);
        }
      }
      // a burst counts once: far fewer episodes than signals
      expect(q.unconfirmed.episodes * 10).toBeLessThan(q.unconfirmed.signals);
    }
  }, 60_000);

  it('pma signals prints the table for any thresholds, and refuses a bad threshold with exit code 2', async () => {
    const ok = await pma(['signals', DEMO, '--threshold', '0.001,0.002']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('threshold 0.001 (episode gap 10 s)');
    expect(ok.stdout).toContain('threshold 0.002 (episode gap 10 s)');
    expect(ok.stdout).toMatch(/false @ 10 s +false @ 30 s +false @ 60 s +false @ window end/);
    expect(ok.stdout).toMatch(/confirmed episodes +\d+ /);
    expect(ok.stdout).toContain('volume confirmation reduces false episodes');
    const json = await pma(['signals', DEMO, '--threshold', '0.001', '--json']);
    const parsed = JSON.parse(json.stdout) as { threshold: number; quality: { unconfirmed: { signals: number } } }[];
    expect(parsed[0].threshold).toBe(0.001);
    expect(parsed[0].quality.unconfirmed.signals).toBe((await measureSignals([DEMO], defaultConfig().signals, [0.001]))[0].quality.unconfirmed.signals);
    const bad = await pma(['signals', DEMO, '--threshold', '0.001,abc']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--threshold');
  }, 60_000);
});
