import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FifteenMinMarketModel, type MarketModelParams } from '../../actors/backtest/marketModel';
import type { InputEvent, TradeEvent } from '../../events/types';

/** The demo tick file (in the repo): 10 min 50 s of real BTCUSDT and ETHUSDT trades. */
export const DEMO_TICKS = resolve(__dirname, '../../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');

/** The demo file's trades, in file order. */
export function demoTrades(): TradeEvent[] {
  const lines = gunzipSync(readFileSync(DEMO_TICKS)).toString('utf8').split('\n');
  return lines.filter((l) => l.includes('"type":"trade"')).map((l) => JSON.parse(l) as TradeEvent);
}

/** Every event the market model makes over the trades, as the backtest drives it (advance before each trade, then the trade). */
export function modelEvents(trades: readonly TradeEvent[], params?: MarketModelParams): InputEvent[] {
  const model = new FifteenMinMarketModel(params);
  const out: InputEvent[] = [];
  for (const t of trades) {
    out.push(...model.advanceTo(t.ts - 1));
    out.push(...model.onTrade(t));
  }
  out.push(...model.advanceTo(trades[trades.length - 1].ts + 900_000));
  return out;
}
