import Big from 'big.js';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { defaultConfig } from '../actors/config/load';
import { runBacktest } from '../actors/backtest/run';
import type { BacktestReport } from '../actors/backtest/reportTypes';
import { SystemClock } from '../events/clock';

const DEMO = resolve(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');
const clock = new SystemClock();

type Line = Record<string, unknown> & { seq: number; ts: number; type: string };
const readLog = (path: string): Line[] => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('pma backtest on the recorded BTCUSDT/ETHUSDT trades', () => {
  let dir: string;
  let a: string;
  let report: BacktestReport;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-bt-'));
    a = join(dir, 'a');
    report = (await runBacktest({ ticks: [DEMO], config: defaultConfig(), reportDir: a })).report;
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is deterministic: a second run writes the same bytes', async () => {
    const b = join(dir, 'b');
    await runBacktest({ ticks: [DEMO], config: defaultConfig(), reportDir: b });
    for (const f of ['events.jsonl', 'report.json', 'report.html']) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f)))).toBe(true);
  }, 120_000);

  it('has the contract fields for the total and every strategy', () => {
    for (const block of [report.total, ...Object.values(report.strategies)]) {
      expect(typeof block.trades).toBe('number');
      expect(block.netPnl).toMatch(/^-?\d+\.\d\d$/);
      expect(block.fees).toMatch(/^\d+\.\d\d$/);
      expect(block.maxDrawdown).toMatch(/^\d+\.\d\d$/);
      expect(block.signals.confirmed).toHaveProperty('falseSignalRate');
      expect(block.signals.unconfirmed).toHaveProperty('falseSignalRate');
    }
    expect(Object.keys(report.strategies).sort()).toEqual(['fifteenMin', 'flashCrash', 'negRisk']);
    expect(report.inputs[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(report.simulated.markets.length).toBeGreaterThan(0);
  });

  it('names each input by the SHA-256 and size of its bytes, taken as it is read (gzip, one plain file, two merged)', async () => {
    const hashOf = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
    expect(report.inputs).toEqual([{ file: DEMO, sha256: hashOf(DEMO), bytes: readFileSync(DEMO).length }]);
    const lines = gunzipSync(readFileSync(DEMO)).toString('utf8').trim().split('\n').slice(0, 3000);
    const files = ['BTCUSDT', 'ETHUSDT'].map((symbol) => {
      const file = join(dir, `${symbol}.jsonl`);
      writeFileSync(file, lines.filter((l) => l.includes(`"symbol":"${symbol}"`)).join('\n') + '\n');
      return file;
    });
    const two = await runBacktest({ ticks: files, config: defaultConfig(), reportDir: join(dir, 'two') });
    expect(two.report.inputs).toEqual(files.map((file) => ({ file, sha256: hashOf(file), bytes: readFileSync(file).length })));
    const one = await runBacktest({ ticks: [files[0]], config: defaultConfig(), reportDir: join(dir, 'one') });
    expect(one.report.inputs).toEqual([two.report.inputs[0]]);
  }, 120_000);

  it('lists exactly the fills of the event log', () => {
    const fills = readLog(join(a, 'events.jsonl')).filter((e) => e.type === 'fill');
    expect(fills.length).toBeGreaterThan(0);
    expect(report.tradeList).toEqual(
      fills.map((f) => ({ seq: f.seq, ts: f.ts, strategy: f.strategy, orderId: f.orderId, marketId: f.marketId, tokenId: f.tokenId, side: f.side, price: f.price, size: f.size, fee: f.fee, partial: f.partial })),
    );
    expect(report.total.trades).toBe(fills.length);
  });

  it('reconciles cash with the fills, fees and payouts to the cent', () => {
    const log = readLog(join(a, 'events.jsonl'));
    // Independent fold: buys pay price x size, sells receive price x size - fee; a buy's fee is taken in shares.
    let cash = new Big(report.total.startingCapital);
    const shares = new Map<string, Big>();
    let fees = new Big(0);
    for (const e of log) {
      if (e.type === 'fill') {
        const notional = new Big(e.price as string).times(e.size as string);
        const fee = new Big(e.fee as string);
        fees = fees.plus(fee);
        const held = shares.get(e.tokenId as string) ?? new Big(0);
        if (e.side === 'BUY') {
          cash = cash.minus(notional);
          shares.set(e.tokenId as string, held.plus(e.size as string).minus(fee.div(e.price as string)));
        } else {
          cash = cash.plus(notional).minus(fee);
          shares.set(e.tokenId as string, held.minus(e.size as string));
        }
      } else if (e.type === 'market_resolved') {
        const won = shares.get(e.winningTokenId as string);
        if (won) cash = cash.plus(won);
        for (const token of [...shares.keys()]) if (token.startsWith(`${e.market as string}:`)) shares.delete(token);
      }
    }
    expect(new Big(report.total.endingCash).minus(cash).abs().lt('0.01')).toBe(true);
    expect(report.total.fees).toBe(fees.toFixed(2));
    const sumNet = Object.values(report.strategies).reduce((s, b) => s.plus(b.netPnl), new Big(0));
    expect(sumNet.minus(report.total.netPnl).abs().lte('0.02')).toBe(true);
    expect(new Big(report.total.grossPnl).minus(report.total.fees).toFixed(2)).toBe(report.total.netPnl);
  });

  it('has no look-ahead: perturbing every trade after T leaves every decision before T unchanged', async () => {
    const lines = gunzipSync(readFileSync(DEMO)).toString('utf8').trim().split('\n');
    const first = JSON.parse(lines[0]).ts as number;
    const T = first + 300_000;
    const perturbed = lines.map((l) => {
      const e = JSON.parse(l);
      if (e.type !== 'trade' || e.ts <= T) return l;
      return JSON.stringify({ ...e, price: new Big(e.price).times('1.01').toFixed(2) });
    });
    const ticks = join(dir, 'perturbed.jsonl');
    writeFileSync(ticks, perturbed.join('\n') + '\n');
    const c = join(dir, 'c');
    await runBacktest({ ticks: [ticks], config: defaultConfig(), reportDir: c });
    const decisions = (path: string) =>
      readLog(path)
        .filter((e) => e.ts <= T && ['signal', 'order_intent', 'fill', 'risk_rejection', 'strategy_state', 'decision', 'scan_interval', 'market_snapshot', 'book'].includes(e.type))
        .map((e) => JSON.stringify(e));
    const before = decisions(join(a, 'events.jsonl'));
    expect(before.length).toBeGreaterThan(1000);
    expect(decisions(join(c, 'events.jsonl'))).toEqual(before);
    // ... and the run did change after T.
    expect(readFileSync(join(c, 'events.jsonl')).equals(readFileSync(join(a, 'events.jsonl')))).toBe(false);
  }, 120_000);
});
