import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../actors/config/load';
import { runBacktest } from '../actors/backtest/run';
import type { BacktestReport } from '../actors/backtest/reportTypes';
import { importHistory } from '../actors/venues/polymarket/history';
import { DEFAULT_MARKET_MODEL, FifteenMinMarketModel, normalCdf } from '../actors/backtest/marketModel';
import { makeEvent } from '../events/types';
import { describeWithShared } from './support/shared';

interface Row {
  price: string;
  timestamp: string;
  asset_price?: number;
}

describeWithShared(
  'the market model against the recorded BTC 15-minute market of 2025-12-11 11:00-11:15 UTC (caiooooo: read in place)',
  ['polymarket/caiooooo_l2_collector/15m/btc/trades/1765450800up.json', 'polymarket/caiooooo_l2_collector/15m/btc/trades/1765450800down.json'],
  ([upPath, downPath]) => {
    const up = JSON.parse(readFileSync(upPath, 'utf8')) as Row[];
    const down = JSON.parse(readFileSync(downPath, 'utf8')) as Row[];
    const START = 1765450800000;
    const END = START + 900_000;

    /**
     * The error computed here without the model's code: reference = the collector's asset_price as
     * imported (reference_price events), the window open = the first
     * reference seen, sigma = std dev of 1 s log returns over the last 60 s (at least 30), floored at
     * 30 %/year, seen 2 s late; P(Up) rounded to the cent, quoted each whole second; each Up trade is
     * compared with the last quote at or before it.
     */
    function independentMae(): { mae: number; samples: number } {
      // the reference prices as the backtest read them: the imported reference_price events, first of each ms
      const ref = readFileSync(join(dir, 'btc.ticks.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; ts: number; value?: string })
        .filter((e) => e.type === 'reference_price')
        .map((e) => ({ ts: e.ts, p: Number(e.value) }))
        .filter((r, i, all) => i === 0 || all[i - 1].ts < r.ts);
      const at = (t: number) => {
        let v: number | null = null;
        for (const r of ref) if (r.ts <= t) v = r.p;
        return v;
      };
      const open = ref[0].p;
      const quotes: { ts: number; p: number }[] = [];
      for (let q = Math.ceil((ref[0].ts + 1) / 1000) * 1000; q < END && q <= ref[ref.length - 1].ts; q += 1000) {
        const seenAt = q - 2000;
        const s = at(seenAt);
        if (s === null) continue;
        const rets: number[] = [];
        let prev = at(seenAt - 60_000);
        for (let t = seenAt - 59_000; t <= seenAt; t += 1000) {
          const p = at(t);
          if (p !== null && prev !== null) rets.push(Math.log(p / prev));
          prev = p;
        }
        if (rets.length < 30) continue;
        const mean = rets.reduce((a, b) => a + b, 0) / rets.length;
        const sd = Math.sqrt(rets.reduce((a, r) => a + (r - mean) ** 2, 0) / (rets.length - 1) / 1000);
        if (sd <= 0) continue;
        const sigma = Math.max(sd, 0.3 / Math.sqrt(365.25 * 24 * 3600 * 1000));
        const fair = normalCdf(Math.log(s / open) / (sigma * Math.sqrt(END - q)));
        quotes.push({ ts: q, p: Number(Math.min(0.99, Math.max(0.01, fair)).toFixed(2)) });
      }
      let sum = 0;
      let n = 0;
      const seen = new Set<string>();
      for (const r of up) {
        const key = JSON.stringify(r);
        if (seen.has(key)) continue; // the importer drops exact duplicate rows
        seen.add(key);
        const t = Number(r.timestamp);
        const q = [...quotes].reverse().find((x) => x.ts <= t);
        if (!q) continue;
        sum += Math.abs(q.p - Number(r.price));
        n++;
      }
      return { mae: sum / n, samples: n };
    }

    let dir: string;
    let report: BacktestReport;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'pma-model-fit-'));
      const ticks = join(dir, 'btc.ticks.jsonl');
      await importHistory([upPath, downPath], ticks);
      report = (await runBacktest({ ticks: [ticks], config: defaultConfig(), reportDir: join(dir, 'report') })).report;
    }, 120_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reports model_mae for the market, equal to the independent computation, and under 0.05', () => {
      const expected = independentMae();
      const got = report.model_mae['btc-updown-15m-1765450800'];
      expect(got.samples).toBe(expected.samples);
      expect(got.samples).toBeGreaterThan(1000);
      expect(got.mae).toBeCloseTo(expected.mae, 10);
      expect(got.mae!).toBeLessThan(0.05);
    });

    it('never quotes a locked or crossed book, nor sits at 0.01/0.99, on this quiet-BTC window', () => {
      const model = new FifteenMinMarketModel(DEFAULT_MARKET_MODEL);
      const books: { ts: number; bid: number; ask: number }[] = [];
      const rows = [...up, ...down].filter((r) => r.asset_price !== undefined).sort((a, b) => Number(a.timestamp) - Number(b.timestamp));
      let id = 0;
      for (const r of rows) {
        for (const e of model.onTrade(makeEvent('trade', Number(r.timestamp), { venue: 'binance', symbol: 'BTCUSDT', tradeId: ++id, price: String(r.asset_price), qty: '1', buyerMaker: false }))) {
          if (e.type === 'book' && e.tokenId.endsWith(':up')) books.push({ ts: e.ts, bid: Number(e.bids[0]?.price ?? 0), ask: Number(e.asks[0]?.price ?? 1) });
        }
      }
      expect(books.length).toBeGreaterThan(600);
      for (const b of books) expect(b.bid).toBeLessThan(b.ask);
      // the recorded Up price never sat at 0.01/0.99 before the last minute: neither does the model
      expect(books.filter((b) => b.ts < END - 60_000 && (b.bid <= 0.01 || b.ask >= 0.99))).toEqual([]);
    });
  },
);
