import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBacktest } from '../actors/backtest/run';
import { defaultConfig } from '../actors/config/load';
import { decodeFrame } from '../actors/venues/binance/parse';
import { SystemClock } from '../events/clock';
import { EventLogWriter } from '../events/log';
import { makeEvent, type InputEvent, type MarketInfo } from '../events/types';
import { MarketState } from '../domain/market/marketState';
import { crypto7, marketInfo } from './support/execution';
import { FIXTURES } from './support/shared';

const clock = new SystemClock();
const START = 1723161600000; // 2024-08-09 00:00 UTC: a 15-minute window start inside the recorded trades

/** The BTC 15-minute market of that window, shaped as Gamma decodes it (token ids made up; real ones were not recorded). */
const market: MarketInfo = marketInfo({
  id: '512345',
  conditionId: '0x5f1a6c2b',
  slug: 'btc-updown-15m-1723161600',
  question: 'Bitcoin Up or Down - August 8, 8:00PM-8:15PM ET',
  outcomes: ['Up', 'Down'],
  tokenIds: ['1111', '2222'],
  ...crypto7,
  endTs: START + 900_000,
});

/** A recorded session: the real BTC trades, Gamma snapshots, CLOB books and deltas, Chainlink prices. */
function session(): InputEvent[] {
  const lines = readFileSync(join(FIXTURES, 'ws/btcusdt_20240808.trades.head300.txt'), 'utf8').trim().split('\n');
  const trades = lines.map((l, i) => decodeFrame(JSON.parse(l.slice(l.indexOf(' ') + 1)), { file: 'fixture', line: i + 1 }).trade!);
  // Shift the trades into the window so the market is open while they arrive.
  const shift = START + 30_000 - trades[0].ts;
  const events: InputEvent[] = trades.map((t) => ({ ...t, ts: t.ts + shift }));
  for (let k = 0; k < 8; k++) {
    const ts = START + 30_000 + k * 1_000;
    events.push(makeEvent('market_snapshot', ts, { source: 'gamma', request: '/events/slug/btc-updown-15m-1723161600', markets: [market] }));
    events.push(makeEvent('oracle_price', ts + 5, { source: 'chainlink', symbol: 'btc/usd', value: (61830 + k).toFixed(2) }));
  }
  events.push(makeEvent('oracle_price', START - 200, { source: 'chainlink', symbol: 'btc/usd', value: '61829.50' }));
  events.push(
    makeEvent('book', START + 30_100, { source: 'clob_ws', tokenId: '1111', market: market.conditionId, bids: [{ price: '0.48', size: '300' }, { price: '0.49', size: '120' }], asks: [{ price: '0.52', size: '90' }, { price: '0.51', size: '200' }], tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: 'a1' }),
    makeEvent('book', START + 30_100, { source: 'clob_ws', tokenId: '2222', market: market.conditionId, bids: [{ price: '0.49', size: '150' }], asks: [{ price: '0.51', size: '160' }, { price: '0.53', size: '40' }], tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: 'a2' }),
    makeEvent('book_delta', START + 32_000, { market: market.conditionId, changes: [{ tokenId: '1111', side: 'SELL', price: '0.51', size: '0' }, { tokenId: '1111', side: 'BUY', price: '0.50', size: '75' }] }),
    makeEvent('book_delta', START + 33_500, { market: market.conditionId, changes: [{ tokenId: '2222', side: 'SELL', price: '0.50', size: '60' }] }),
  );
  return events.sort((a, b) => a.ts - b.ts);
}

describe('a recorded session (trades, books, Chainlink prices) through the backtest', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-session-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives byte-identical event logs twice, with the recording (not the model) quoting the market', async () => {
    const ticks = join(dir, 'session.jsonl');
    const w = EventLogWriter.open(ticks, { truncate: true });
    const inputs = session();
    for (const e of inputs) w.append({ ...e });
    w.close();
    const a = await runBacktest({ ticks: [ticks], config: defaultConfig(), reportDir: join(dir, 'a') });
    await runBacktest({ ticks: [ticks], config: defaultConfig(), reportDir: join(dir, 'b') });
    const logA = readFileSync(join(dir, 'a', 'events.jsonl'));
    expect(logA.equals(readFileSync(join(dir, 'b', 'events.jsonl')))).toBe(true);
    // The recorded BTC market wins over the model: no simulated BTC quotes at all.
    expect(a.report.simulated.markets.filter((m) => m.startsWith('btc-'))).toEqual([]);
    expect(logA.toString()).not.toContain('"source":"model"');
    // The books the system traded on equal the snapshot + deltas applied by hand (price keys are canonical: "0.50" is "0.5").
    const state = new MarketState();
    for (const e of inputs) state.apply(e);
    expect(state.book('1111')!.asks()).toEqual([{ price: '0.52', size: '90' }]);
    expect(state.book('1111')!.bids()).toEqual([{ price: '0.5', size: '75' }, { price: '0.49', size: '120' }, { price: '0.48', size: '300' }]);
    expect(state.bestAsk('2222')).toBe('0.5');
  }, 60_000);
});
