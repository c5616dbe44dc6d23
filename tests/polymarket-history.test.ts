import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { defaultConfig } from '../actors/config/load';
import { runBacktest } from '../actors/backtest/run';
import { ResolutionCheck } from '../actors/backtest/resolutionCheck';
import { importHistory } from '../actors/venues/polymarket/history';
import { InputError } from '../events/errors';
import type { AnyEvent, InputEvent } from '../events/types';
import { validateEvent } from '../events/validate';
import { describeWithShared } from './support/shared';
import { fileLines, tempDir } from './support/binanceRecording';

const dir = tempDir('pma-history-');
const C = 'polymarket/caiooooo_l2_collector/15m';
const L = 'polymarket/ligengxin96';

function events(path: string): AnyEvent[] {
  return fileLines(path).map((l, i) => validateEvent(JSON.parse(l), { file: path, line: i + 1 }));
}
const ofType = <T extends AnyEvent['type']>(es: AnyEvent[], type: T) => es.filter((e): e is Extract<AnyEvent, { type: T }> => e.type === type);

describeWithShared('Polymarket collector recordings (SOURCES.md 5a)', [`${C}/btc/trades/1765450800up.json`, `${C}/btc/trades/1765450800down.json`, `${C}/sol/orderbooks/1765450800up.json`, `${C}/sol/orderbooks/1765450800down.json`, `${C}/sol/trades/1765450800up.json`, `${C}/sol/trades/1765450800down.json`], ([btcUp, btcDown, solBookUp, solBookDown, solUp, solDown]) => {
  it('BTC trades: 1,580 and 1,390 rows, the 5 and 3 exact duplicates counted and dropped, one derived market defined first', async () => {
    const out = join(dir, 'btc.jsonl');
    const s = await importHistory([btcUp, btcDown], out, { strict: true });
    expect(s.files.map((f) => [f.format, f.rows, f.skipped])).toEqual([
      ['polymarket-collector', 1580, { duplicate_row: 5 }],
      ['polymarket-collector', 1390, { duplicate_row: 3 }],
    ]);
    expect(s.eventsByType).toMatchObject({ last_trade: 1575 + 1387, market_definition: 1 });
    expect(s.markets).toEqual([{ slug: 'btc-updown-15m-1765450800', prices: 'trades', derivedIds: true }]);
    const es = events(out);
    const def = es[0];
    expect(def.type).toBe('market_definition');
    if (def.type !== 'market_definition') return;
    expect(def.ts).toBe(1765450800000);
    expect(def.market).toMatchObject({ id: 'derived:btc-updown-15m-1765450800', tokenIds: ['derived:btc-updown-15m-1765450800:up', 'derived:btc-updown-15m-1765450800:down'], outcomes: ['Up', 'Down'], endTs: 1765451700000, tickSize: '0.01', minSize: '5', negRisk: false, feesEnabled: false });
    const trades = ofType(es, 'last_trade');
    expect(trades[0]).toMatchObject({ ts: 1765450842445, tokenId: 'derived:btc-updown-15m-1765450800:down' }); // 11:00:42.445, Down's first
    expect(trades.filter((t) => t.tokenId.endsWith(':up')).at(-1)).toMatchObject({ ts: 1765451699817, price: '0.99' });
    // Time order across both files; the collector's Binance mid only where it changed.
    expect(es.every((e, i) => i === 0 || e.ts >= es[i - 1].ts)).toBe(true);
    const refs = ofType(es, 'reference_price');
    expect(refs.every((r, i) => i === 0 || r.value !== refs[i - 1].value)).toBe(true);
    expect(refs[0]).toMatchObject({ symbol: 'BTCUSDT', source: 'binance_mid' });
  });

  it('SOL books and trades: 248 + 248 book snapshots, 137 + 110 trades; books best first', async () => {
    const out = join(dir, 'sol.jsonl');
    const s = await importHistory([solBookUp, solBookDown, solUp, solDown], out, { strict: true });
    expect(s.eventsByType).toMatchObject({ book: 496, last_trade: 247, market_definition: 1 });
    expect(s.markets).toEqual([{ slug: 'sol-updown-15m-1765450800', prices: 'books', derivedIds: true }]);
    const books = ofType(events(out), 'book');
    const raw = JSON.parse(readFileSync(solBookUp, 'utf8')) as { bids: { price: string }[]; asks: { price: string }[] }[];
    const bestBid = Math.max(...raw[0].bids.map((b) => Number(b.price)));
    const first = books.find((b) => b.tokenId.endsWith(':up'))!;
    expect(Number(first.bids[0].price)).toBe(bestBid);
    expect(books.filter((b) => b.asks.length === 0)).toHaveLength(2); // SOURCES: 2 Up snapshots with no asks
  });

  it('end to end: the 2025-12-11 BTC market backtested; flash crash sees the 11:12 crash and explains it; every fill obeys the tape', async () => {
    const ticks = join(dir, 'btc-e2e.jsonl');
    await importHistory([btcUp, btcDown], ticks);
    const reportDir = join(dir, 'btc-report');
    const config = defaultConfig();
    const { report } = await runBacktest({ ticks: [ticks], config, reportDir });
    expect(report.markets).toEqual([{ slug: 'btc-updown-15m-1765450800', id: 'derived:btc-updown-15m-1765450800', prices: 'recorded trades only', derivedIds: true, books: 0, trades: 2962 }]);
    expect(report.simulated.markets).toEqual([]);
    const log = fileLines(join(reportDir, 'events.jsonl')).map((l) => JSON.parse(l) as Record<string, any>);
    const crash = log.find((e) => e.type === 'order_intent' && e.tokenId === 'derived:btc-updown-15m-1765450800:up' && e.side === 'BUY' && e.ts >= Date.UTC(2025, 11, 11, 11, 12) && e.ts < Date.UTC(2025, 11, 11, 11, 12, 11));
    expect(crash).toMatchObject({ strategy: 'flashCrash', outcome: 'Up', orderType: 'market' });
    expect(crash!.reason).toMatch(/^flash crash: 0\.\d+ -> 0\.\d+ \(-2\d\.\d%\) within 10000 ms$/);

    // Every fill is a tape fill that a print after the order's latency traded through, within the print's size.
    const fills = log.filter((e) => e.type === 'fill');
    expect(fills.length).toBeGreaterThan(0);
    expect(report.tradeList.every((t) => t.model === 'tape')).toBe(true);
    const intents = new Map(log.filter((e) => e.type === 'order_intent').map((e) => [e.orderId, e]));
    const prints = log.filter((e) => e.type === 'last_trade');
    const takenFrom = new Map<number, number>();
    for (const f of fills) {
      const order = intents.get(f.orderId)!;
      expect(f).toMatchObject({ model: 'tape', price: order.price, tokenId: order.tokenId });
      expect(f.ts).toBeGreaterThanOrEqual(order.ts + config.paper.latencyMs + config.paper.upDownTakerDelayMs);
      const through = prints.filter((p) => p.tokenId === f.tokenId && p.ts === f.ts && (order.side === 'BUY' ? Number(p.price) < Number(order.price) : Number(p.price) > Number(order.price)));
      expect(through.length).toBeGreaterThan(0);
      const print = through.find((p) => (takenFrom.get(p.seq) ?? 0) + Number(f.size) <= Number(p.size) + 1e-9)!;
      expect(print).toBeDefined();
      takenFrom.set(print.seq, (takenFrom.get(print.seq) ?? 0) + Number(f.size));
    }
    // The crash entry is answered in the log: filled from the tape, or refused by a risk check with its reason
    // (with the default limits three losing Down round trips before it halt new entries: consecutive_losses_halt).
    const answer = log.find((e) => (e.type === 'fill' || e.type === 'risk_rejection') && e.orderId === crash!.orderId);
    expect(answer).toBeDefined();
    if (answer!.type === 'risk_rejection') expect(answer!.detail.length).toBeGreaterThan(0);
  });

  it('paper orders resting on the tape past orderTimeoutMs are given up and cancelled: removed from the tape, ended cancelled, never filled after; the same log twice', async () => {
    const ticks = join(dir, 'btc-cancel.jsonl');
    await importHistory([btcUp, btcDown], ticks);
    const config = defaultConfig();
    // Tape orders wait for prints a minute; flash crash gives up an order after 1 s (several orders of this day take longer).
    config.backtest.tapeFill.windowMs = 60_000;
    config.flashCrash.orderTimeoutMs = 1_000;
    const run = async (name: string) => {
      const reportDir = join(dir, name);
      await runBacktest({ ticks: [ticks], config, reportDir });
      return readFileSync(join(reportDir, 'events.jsonl'), 'utf8');
    };
    const text = await run('btc-cancel-1');
    const log = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    const cancels = log.filter((e) => e.type === 'cancel_intent');
    expect(cancels.length).toBeGreaterThan(0);
    for (const c of cancels) {
      const intent = log.find((e) => e.type === 'order_intent' && e.orderId === c.orderId)!;
      expect(c).toMatchObject({ strategy: intent.strategy, reason: 'order_timeout' });
      expect(c.ts - intent.ts).toBeGreaterThanOrEqual(config.flashCrash.orderTimeoutMs);
      const after = log.filter((e) => e.seq > c.seq && e.orderId === c.orderId && (e.type === 'fill' || e.type === 'risk_rejection'));
      expect(after[0]).toMatchObject({ type: 'risk_rejection', reason: 'cancelled', ts: c.ts });
      expect(after[0].detail).toMatch(/^cancelled: filled \d+(\.\d+)? of \d+(\.\d+)? on the tape$/);
      expect(after).toHaveLength(1);
    }
    expect(await run('btc-cancel-2')).toBe(text);
  });
});

describeWithShared('Up/Down listings and the Chainlink day (SOURCES.md 5b)', [`${L}/BTC-5m-markets-2026-07-24.jsonl.gz`, `${L}/BTCUSD-prices-2026-07-24.csv.gz`], ([markets, prices]) => {
  let es: AnyEvent[] = [];
  beforeAll(async () => {
    const out = join(dir, '5m.jsonl');
    const s = await importHistory([markets, prices], out, { strict: true });
    expect(s.files.map((f) => [f.format, f.rows])).toEqual([
      ['polymarket-listing', 292],
      ['chainlink-csv', 78515],
    ]);
    es = events(out);
  });

  it('292 definitions before 292 recorded outcomes (Up 140, Down 152) and 78,515 oracle prices', () => {
    const defs = ofType(es, 'market_definition');
    const res = ofType(es, 'market_resolved');
    expect(defs).toHaveLength(292);
    expect(res.filter((r) => r.winningOutcome === 'Up')).toHaveLength(140);
    expect(res.filter((r) => r.winningOutcome === 'Down')).toHaveLength(152);
    expect(ofType(es, 'oracle_price')).toHaveLength(78515);
    // No look-ahead: a definition is open, with no outcome prices; the outcome comes at the end.
    expect(defs.every((d) => d.market.outcomePrices.length === 0 && d.market.active && !d.market.closed && d.market.acceptingOrders)).toBe(true);
    const first = defs.find((d) => d.market.slug === 'btc-updown-5m-1784850900')!;
    expect(first).toMatchObject({ ts: 1784850900000, strike: '65026.457815', derivedIds: false, prices: 'none' });
    expect(first.market.feeSchedule).toEqual({ rate: '0.07', exponent: 1, takerOnly: true });
    expect(res.find((r) => r.market === first.market.conditionId)).toMatchObject({ ts: 1784851200000, winningOutcome: 'Up', winningTokenId: first.market.tokenIds[0] });
  });

  it('oracle-derived outcomes agree with the recorded ones: 265 judged by strike, 0 disagree; the rest listed with a reason', () => {
    const check = new ResolutionCheck();
    for (const e of es) check.onInput(e as InputEvent);
    const r = check.finish()!;
    expect(r.judgedByStrike).toBe(265);
    expect(r.disagree).toBe(0);
    expect(r.agreementRate).toBe(1);
    expect(r.recorded).toBe(292);
    expect(r.judged + r.unjudgeable.length).toBe(292);
    const reasons: Record<string, number> = {};
    for (const u of r.unjudgeable) reasons[u.reason] = (reasons[u.reason] ?? 0) + 1;
    // 4 windows end after the day's last price; 8 end in a feed gap; 7 lack a strike and open in a gap.
    expect(reasons).toEqual({ no_oracle_after_end: 4, oracle_gap_at_end: 8, no_strike_and_no_open: 7 });
    expect(r.unjudgeable.find((u) => u.reason === 'no_oracle_after_end')!.slug).toBe('btc-updown-5m-1784937300');
  });
});

describe('Polymarket history importers on bad input (fixtures made here)', () => {
  const root = join(dir, 'bad', '15m', 'btc', 'trades');
  mkdirSync(root, { recursive: true });
  const row = (ts: number, price: string, extra: Record<string, unknown> = {}) => ({ price, size: '10', side: 'buy', local_timestamp: String(ts + 100), timestamp: String(ts), asset_price: 90303.655, ...extra });
  const good = [row(1765450844521, '0.45'), row(1765450845000, '0.46'), row(1765450846000, '0.47')];
  const put = (name: string, text: string) => {
    const p = join(root, name);
    writeFileSync(p, text);
    return p;
  };

  const cases: { name: string; rows: unknown[]; row: number; field: string; reason: string }[] = [
    { name: 'price outside 0-1', rows: [good[0], row(1765450845000, '1.5'), good[2]], row: 2, field: 'price', reason: 'bad_price' },
    { name: 'missing field', rows: [good[0], { ...good[1], size: undefined }, good[2]], row: 2, field: 'size', reason: 'missing_field' },
    { name: 'time going backwards', rows: [good[0], good[2], good[1]], row: 3, field: 'timestamp', reason: 'time_backwards' },
    { name: 'bad side', rows: [good[0], row(1765450845000, '0.46', { side: 'hold' }), good[2]], row: 2, field: 'side', reason: 'bad_side' },
  ];
  for (const c of cases) {
    it(`${c.name}: --strict names file, row and field; otherwise the row is skipped and counted as ${c.reason}`, async () => {
      const path = put(`1765450800up.json`, JSON.stringify(c.rows, null, 2));
      await expect(importHistory([path], join(dir, 'strict.jsonl'), { strict: true })).rejects.toThrow(new RegExp(`1765450800up\\.json row ${c.row}: field '${c.field}'`));
      const s = await importHistory([path], join(dir, 'lenient.jsonl'));
      expect(s.skipped).toEqual({ [c.reason]: 1 });
      expect(s.eventsByType.last_trade).toBe(2);
    });
  }

  it('truncated JSON: strict names the row it ends in; lenient keeps the complete rows and counts one truncated_json', async () => {
    const text = JSON.stringify(good, null, 2);
    const path = put('1765450800down.json', text.slice(0, text.lastIndexOf('"side"')));
    await expect(importHistory([path], join(dir, 't.jsonl'), { strict: true })).rejects.toThrow(/1765450800down\.json row 3: file ends inside row 3/);
    const s = await importHistory([path], join(dir, 't2.jsonl'));
    expect(s.skipped).toEqual({ truncated_json: 1 });
    expect(s.eventsByType.last_trade).toBe(2);
  });

  it('a collector file outside its layout cannot name its market: refused', async () => {
    const path = join(dir, 'trades.json');
    writeFileSync(path, JSON.stringify(good));
    await expect(importHistory([path], join(dir, 'x.jsonl'), { format: 'polymarket-collector' })).rejects.toThrow(/trades\.json: a collector file must sit at <N>m\/<asset>/);
    await expect(importHistory([path], join(dir, 'x.jsonl'))).rejects.toThrow(InputError);
  });

  it('listing and Chainlink rows: unresolved market, bad strike, wrong columns, time backwards (gzip inputs)', async () => {
    const listing = join(dir, 'BTC-5m-markets-bad.jsonl.gz');
    const line = (o: Record<string, unknown>) => JSON.stringify({ slug: 'btc-updown-5m-1784850900', asset: 'btc', interval_sec: 300, condition_id: '0xc', token_ids: ['1', '2'], start_sec: 1784850900, end_sec: 1784851200, resolved: true, outcome_prices: ['1', '0'], strike_value: '65026457815000000000000', raw: { id: '3', conditionId: '0xc', question: 'q', outcomes: '["Up","Down"]', clobTokenIds: '["1","2"]', orderPriceMinTickSize: 0.01, orderMinSize: 5, endDate: '2026-07-24T00:00:00Z' }, ...o });
    writeFileSync(listing, gzipSync([line({}), line({ outcome_prices: ['0.5', '0.5'] }), line({ strike_value: '6.5e22' })].join('\n') + '\n'));
    await expect(importHistory([listing], join(dir, 'l.jsonl'), { strict: true })).rejects.toThrow(/bad\.jsonl\.gz row 2: field 'outcome_prices'/);
    const s = await importHistory([listing], join(dir, 'l2.jsonl'));
    expect(s.skipped).toEqual({ unresolved: 1, bad_field: 1 });
    expect(s.eventsByType).toEqual({ market_definition: 1, market_resolved: 1 });

    const csv = join(dir, 'BTCUSD-prices-bad.csv');
    writeFileSync(csv, 'feed_ts_ms,value,full_accuracy_value,server_ts_ms,recv_ms\n1784851200000,65048.07,65048078902260626000000,1,2\n1784851199000,65048.07,65048078902260626000000,1,2\n1784851201000,65051.92\n');
    await expect(importHistory([csv], join(dir, 'c.jsonl'), { strict: true })).rejects.toThrow(/BTCUSD-prices-bad\.csv row 3: field 'feed_ts_ms': .*backwards/);
    const c = await importHistory([csv], join(dir, 'c2.jsonl'));
    expect(c.skipped).toEqual({ time_backwards: 1, wrong_columns: 1 });
    expect(ofType(events(join(dir, 'c2.jsonl')), 'oracle_price')).toMatchObject([{ ts: 1784851200000, symbol: 'btc/usd', value: '65048.078902260626' }]);
  });
});
