/**
 * The market model against a real 15-minute market: `model_mae`, the mean |model P(Up) - recorded Up
 * price| on the BTC Up/Down market of 2025-12-11 11:00-11:15 UTC (shared caiooooo collector tapes,
 * imported with `importHistory`; the model runs on the collector's Binance mid), at the default
 * parameters; and the same over a small grid of volatility floors and lags (the fit of docs/backtest.md).
 * Without ../shared the figures are "n/a".
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ModelErrorCollector } from '../actors/backtest/modelError';
import { configSchema } from '../actors/config/schema';
import { importHistory } from '../actors/venues/polymarket/history';
import { readAllEvents } from '../events/log';
import type { InputEvent } from '../events/types';
import { DEFAULT_MARKET_MODEL, type MarketModelParams } from '../actors/backtest/marketModel';

export const name = 'model';

const SHARED = resolve(__dirname, '../../shared/data/polymarket/caiooooo_l2_collector/15m/btc/trades');
export const BTC_20251211 = ['1765450800up.json', '1765450800down.json'].map((f) => join(SHARED, f));

/** The model parameters of a config's `backtest.model` section. */
export function modelParams(overrides: Partial<MarketModelParams> = {}): MarketModelParams {
  const m = configSchema.parse({}).backtest.model;
  return { ...DEFAULT_MARKET_MODEL, quoteIntervalMs: m.quoteIntervalMs, lagMs: m.lagMs, spread: m.spread, volLookbackMs: m.volLookbackMs, volFloor: m.volFloor, depthShares: m.depthShares, levels: m.levels, ...overrides };
}

/** The events of the shared BTC 2025-12-11 tapes, imported; null without ../shared. */
export async function btc20251211Events(): Promise<InputEvent[] | null> {
  if (!BTC_20251211.every(existsSync)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'pma-model-'));
  try {
    const out = join(dir, 'btc.ticks.jsonl');
    await importHistory(BTC_20251211, out);
    return (await readAllEvents(out)).records.map((r) => r.event as InputEvent);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function maeOf(events: InputEvent[], params: MarketModelParams): { slug: string; mae: number | null; samples: number } {
  const c = new ModelErrorCollector();
  for (const e of events) c.onInput(e);
  const [slug, err] = Object.entries(c.finish(params))[0];
  return { slug, ...err };
}

export async function run(): Promise<Record<string, number | string>> {
  const events = await btc20251211Events();
  if (events === null) return { model_mae: 'n/a (needs ../shared)' };
  const base = maeOf(events, modelParams());
  const out: Record<string, number | string> = { model_mae: base.mae ?? 'n/a', model_mae_samples: base.samples };
  let best = { mae: Infinity, label: '' };
  for (const volFloor of [0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.5, 1]) {
    for (const lagMs of [0, 2_000, 5_000]) {
      const r = maeOf(events, modelParams({ volFloor, lagMs }));
      if (r.mae !== null && r.mae < best.mae) best = { mae: r.mae, label: `volFloor ${volFloor}, lagMs ${lagMs}` };
      if (process.env.PMA_BENCH_MODEL_GRID) console.log(`  volFloor ${volFloor} lagMs ${lagMs}: mae ${r.mae?.toFixed(4)} (${r.samples})`);
    }
  }
  out.model_mae_best_of_grid = best.mae;
  out.model_mae_best_params = best.label;
  return out;
}
