import { makeEvent, type BookEvent, type InputEvent, type MarketSnapshotEvent, type TradeEvent } from '../events/types';
import { DEFAULT_MARKET_MODEL, FifteenMinMarketModel, PriceGrid, normalCdf, outcomePricesOf, outcomePricesRule } from '../actors/backtest/marketModel';

const W = 900_000;
const START = 1723161600000; // 2024-08-09 00:00:00 UTC, a window boundary

let id = 0;
const trade = (ts: number, price: number, symbol = 'BTCUSDT'): TradeEvent =>
  makeEvent('trade', ts, { venue: 'binance', symbol, tradeId: ++id, price: price.toFixed(2), qty: '0.01', buyerMaker: false });

function run(trades: TradeEvent[], model = new FifteenMinMarketModel()): InputEvent[] {
  const out: InputEvent[] = [];
  for (const t of trades) out.push(...model.onTrade(t));
  return out;
}

const snapshots = (events: InputEvent[]) => events.filter((e): e is MarketSnapshotEvent => e.type === 'market_snapshot');

describe('FifteenMinMarketModel', () => {
  it('matches Phi(ln(S/S0) / (sigma sqrt(tau))) with sigma from 1 s log returns, lagged', () => {
    // One trade a second: a 1-cent-per-mille zigzag with a drift, for 120 s.
    const trades: TradeEvent[] = [];
    for (let i = 0; i <= 120; i++) trades.push(trade(START + i * 1000, 60000 * Math.exp(0.0002 * i + (i % 2 ? 0.0005 : 0))));
    const events = run(trades);
    const q = START + 100_000;
    const snap = snapshots(events).find((e) => e.ts === q)!;
    // Independent recomputation: price seen = last trade at or before q - lag.
    const seenIdx = (q - DEFAULT_MARKET_MODEL.lagMs - START) / 1000;
    const price = (i: number) => Number(trades[i].price);
    const rets: number[] = [];
    for (let i = seenIdx - 59; i <= seenIdx; i++) rets.push(Math.log(price(i) / price(i - 1)));
    const mean = rets.reduce((a, b) => a + b) / rets.length;
    const sd = Math.sqrt(rets.reduce((a, r) => a + (r - mean) ** 2, 0) / (rets.length - 1) / 1000);
    const expected = normalCdf(Math.log(price(seenIdx) / price(0)) / (sd * Math.sqrt(START + W - q)));
    expect(Number(snap.markets[0].outcomePrices[0])).toBeCloseTo(Math.min(0.99, expected), 2);
    expect(snap.markets[0].slug).toBe('btc-updown-15m-1723161600');
    expect(snap.markets[0].tokenIds).toEqual(['model:btc-updown-15m-1723161600:up', 'model:btc-updown-15m-1723161600:down']);
    const books = events.filter((e): e is BookEvent => e.type === 'book' && e.ts === q);
    expect(books).toHaveLength(2);
    const up = books[0];
    // Ask above bid by at least a tick; Up ask + Down bid = 1 (mirror quotes).
    expect(Number(up.asks[0].price)).toBeGreaterThan(Number(up.bids[0].price));
    expect(Number(up.asks[0].price) + Number(books[1].bids[0].price)).toBeCloseTo(1, 9);
  });

  it('quotes react to a jump only after the lag', () => {
    const trades: TradeEvent[] = [];
    for (let i = 0; i <= 60; i++) trades.push(trade(START + i * 1000, 60000 + (i % 2)));
    trades.push(trade(START + 60_500, 61000)); // a 1.7 % jump at +60.5 s
    for (let i = 61; i <= 70; i++) trades.push(trade(START + i * 1000, 61000));
    const fair = (ts: number) => Number(snapshots(run(trades)).find((e) => e.ts === ts)!.markets[0].outcomePrices[0]);
    // At +62 s the quote sees the trade at +60 s (lag 2 s): the jump is not in it yet.
    expect(Math.abs(fair(START + 62_000) - 0.5)).toBeLessThan(0.1);
    // At +63 s it sees the jump at +60.5 s: the price and sigma both move, Up becomes likelier.
    expect(fair(START + 63_000)).toBeGreaterThan(fair(START + 62_000) + 0.05);
  });

  it('has no look-ahead: changing trades after T changes no model event at or before T', () => {
    const base: TradeEvent[] = [];
    for (let i = 0; i < 300; i++) base.push(trade(START + i * 700, 60000 + 30 * Math.sin(i / 7)));
    const T = START + 150_000;
    const perturbed = base.map((t) => (t.ts > T ? { ...t, price: (Number(t.price) * 1.05).toFixed(2) } : t));
    const a = run(base).filter((e) => e.ts <= T);
    const b = run(perturbed).filter((e) => e.ts <= T);
    expect(a.length).toBeGreaterThan(100);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it('resolves each window Up when the last price at its end is at or above the open (simulated)', () => {
    const model = new FifteenMinMarketModel();
    const trades = [
      trade(START - 5000, 59000), // data starts inside the window before START: open = first trade seen
      trade(START + 10, 60000),
      trade(START + W - 1000, 60000), // closes exactly at its open: Up
      trade(START + W + 2000, 58000),
      trade(START + W + 500_000, 57000), // closes below its open: Down
      trade(START + 2 * W + 5000, 58100), // data ends inside this window: never resolved
    ];
    const resolved = run(trades, model).filter((e) => e.type === 'market_resolved');
    expect(resolved.map((e) => [e.ts, e.type === 'market_resolved' && e.winningOutcome])).toEqual([
      [START, 'Up'],
      [START + W, 'Up'],
      [START + 2 * W, 'Down'],
    ]);
    expect(model.windows().map((w) => [w.slug, w.open, w.openObserved, w.winner])).toEqual([
      ['btc-updown-15m-1723160700', 59000, false, 'Up'],
      ['btc-updown-15m-1723161600', 60000, true, 'Up'],
      ['btc-updown-15m-1723162500', 58000, true, 'Down'],
      ['btc-updown-15m-1723163400', 58100, true, null],
    ]);
  });
});

describe('FifteenMinMarketModel with Chainlink prices', () => {
  const oracle = (ts: number, value: string) => makeEvent('oracle_price', ts, { source: 'chainlink', symbol: 'btc/usd', value });

  it('takes the price to beat and the resolution from Chainlink, not Binance, when the ticks hold it', () => {
    const model = new FifteenMinMarketModel();
    const out: InputEvent[] = [];
    model.onOracle(oracle(START - 500, '60010.5')); // the Chainlink price at the window start
    out.push(...model.onTrade(trade(START + 10, 60000))); // Binance opens lower
    model.onOracle(oracle(START + W - 300, '60011')); // Chainlink ends above its start: Up
    out.push(...model.onTrade(trade(START + W - 200, 60005))); // Binance ends above its own open too
    out.push(...model.onTrade(trade(START + W + 1500, 60020)));
    const w = model.windows()[0];
    expect(w).toMatchObject({ open: 60010.5, priceSource: 'chainlink', winner: 'Up' });
    expect(out.filter((e) => e.type === 'market_resolved').map((e) => e.type === 'market_resolved' && e.winningOutcome)).toEqual(['Up']);
  });

  it('resolves Down on Chainlink even when Binance closed above its open', () => {
    const model = new FifteenMinMarketModel();
    model.onOracle(oracle(START - 500, '60010.5'));
    model.onTrade(trade(START + 10, 60000));
    model.onOracle(oracle(START + W - 300, '60010.4')); // a hair below the price to beat
    model.onTrade(trade(START + W - 200, 60050));
    model.onTrade(trade(START + W + 1500, 60060));
    expect(model.windows()[0]).toMatchObject({ priceSource: 'chainlink', winner: 'Down' });
  });

  it('falls back to Binance when the Chainlink price is older than a minute at the window start', () => {
    const model = new FifteenMinMarketModel();
    model.onOracle(oracle(START - 61_000, '60010.5'));
    model.onTrade(trade(START + 10, 60000));
    expect(model.windows()[0]).toMatchObject({ open: 60000, priceSource: 'binance' });
  });
});

describe('the model\'s prices in whole ticks (PriceGrid)', () => {
  /** The float formulas the grid replaces (the model's code before it counted ticks). */
  function floatQuote(fair: number, tickSize: string, spread: number, levels: number) {
    const tick = Number(tickSize);
    const decimals = tickSize.split('.')[1]?.length ?? 0;
    const bestBid = Math.min(1 - 2 * tick, Math.max(tick, Math.floor((fair - spread / 2) / tick + 1e-9) * tick));
    const bestAsk = Math.min(1 - tick, Math.max(bestBid + tick, Math.ceil((fair + spread / 2) / tick - 1e-9) * tick));
    const bids: string[] = [];
    const asks: string[] = [];
    for (let i = 0; i < levels; i++) {
      const bid = bestBid - i * tick;
      const ask = bestAsk + i * tick;
      if (bid >= tick - 1e-9) bids.push(bid.toFixed(decimals));
      if (ask <= 1 - tick + 1e-9) asks.push(ask.toFixed(decimals));
    }
    return { bestBid: bestBid.toFixed(decimals), bestAsk: bestAsk.toFixed(decimals), bids, asks };
  }

  it.each([
    ['0.01', 0.02, 3],
    ['0.01', 0.03, 5],
    ['0.001', 0.004, 3],
  ])('writes what the float formulas wrote, tick %s, spread %d, %d levels, for every fair value on a 1e-5 grid and at each tick', (tickSize, spread, levels) => {
    const grid = new PriceGrid({ tickSize, spread, levels, depthShares: '200' });
    const tick = Number(tickSize);
    const fairs: number[] = [];
    for (let i = 0; i <= 100_000; i++) fairs.push(i / 100_000);
    // Exactly on and a hair either side of every tick and half tick (where floor and ceil turn).
    for (let k = 0; k * tick <= 1; k++) for (const d of [0, tick / 2]) for (const e of [-1e-9, -1e-12, 0, 1e-12, 1e-9]) fairs.push(k * tick + d + e + spread / 2, k * tick + d + e - spread / 2);
    let checked = 0;
    for (const fair of fairs) {
      const t = grid.touch(fair);
      const expected = floatQuote(fair, tickSize, spread, levels);
      const got = { bestBid: grid.price(t.bid), bestAsk: grid.price(t.ask), bids: grid.bids(t.bid).map((l) => l.price), asks: grid.asks(t.ask).map((l) => l.price) };
      if (JSON.stringify(got) !== JSON.stringify(expected)) expect({ fair, got }).toEqual({ fair, got: expected });
      checked++;
    }
    expect(checked).toBeGreaterThan(100_000);
  });

  it('shares one frozen array of levels per best price', () => {
    const grid = new PriceGrid(DEFAULT_MARKET_MODEL);
    const t = grid.touch(0.5);
    expect(grid.bids(t.bid)).toBe(grid.bids(t.bid));
    expect(Object.isFrozen(grid.bids(t.bid)) && Object.isFrozen(grid.bids(t.bid)[0])).toBe(true);
    expect(grid.bids(t.bid)).toEqual([{ price: '0.49', size: '200' }, { price: '0.48', size: '200' }, { price: '0.47', size: '200' }]);
    expect(grid.asks(grid.touch(0.985).ask).map((l) => l.price)).toEqual(['0.99']);
  });
});

describe("the snapshot's outcome prices from a table (outcomePricesOf)", () => {
  /** Adjacent doubles around x (x's neighbours by one unit in the last place). */
  function neighbours(x: number): number[] {
    const f = new Float64Array([x]);
    const i = new BigInt64Array(f.buffer);
    const out: number[] = [];
    for (const d of [-2n, -1n, 0n, 1n, 2n]) {
      const g = new BigInt64Array([i[0] + (x >= 0 ? d : -d)]);
      out.push(new Float64Array(g.buffer)[0]);
    }
    return out;
  }

  it('equals the rule (toFixed(2) of the clamped fair value, Down = 1 - Up) on a 5e-6 grid, at every half cent to the last bit and outside [0, 1]', () => {
    const fairs: number[] = [-1, -0, 0, 0.004, 0.0149999, 0.995, 1, 1.5, Infinity, -Infinity];
    for (let i = 0; i <= 200_000; i++) fairs.push(i / 200_000);
    for (let k = 0; k <= 200; k++) for (const x of [k / 200, (2 * k + 1) / 400 - 1 / 400, k * 0.005]) fairs.push(...neighbours(x));
    let checked = 0;
    for (const fair of fairs) {
      const got = outcomePricesOf(fair);
      const want = outcomePricesRule(fair);
      if (got[0] !== want[0] || got[1] !== want[1]) expect({ fair, got }).toEqual({ fair, got: want });
      checked++;
    }
    expect(checked).toBeGreaterThan(200_000);
    expect(outcomePricesOf(NaN)).toEqual(['NaN', 'NaN']);
  });

  it('shares one frozen pair per cent', () => {
    expect(outcomePricesOf(0.5012)).toBe(outcomePricesOf(0.4951));
    expect(outcomePricesOf(0.5012)).toEqual(['0.50', '0.50']);
    expect(Object.isFrozen(outcomePricesOf(0.73))).toBe(true);
    expect(outcomePricesOf(0.005)).toEqual(['0.01', '0.99']);
    expect(outcomePricesOf(0.999)).toEqual(['0.99', '0.01']);
  });
});
