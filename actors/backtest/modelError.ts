import { makeEvent, type InputEvent, type MarketSnapshotEvent } from '../../events/types';
import { FifteenMinMarketModel, type MarketModelParams } from './marketModel';

/** A price at a time. */
export interface PricePoint {
  ts: number;
  price: number;
}

export interface ModelError {
  /** Mean |model P(Up) - recorded Up price| over the recorded prices the model had a quote for; null without any. */
  mae: number | null;
  samples: number;
}

/**
 * The market model's error against one recorded 15-minute Up/Down market: the model is run on the
 * asset's reference prices (Binance trades or the collector's Binance mid), and each recorded Up price
 * (a `last_trade` of the Up token) is compared with the model's last quote of P(Up) at or before it.
 */
export function modelError(symbol: string, reference: readonly PricePoint[], upPrices: readonly PricePoint[], params: MarketModelParams): ModelError {
  const model = new FifteenMinMarketModel(params);
  const quotes: PricePoint[] = [];
  const take = (events: readonly InputEvent[]) => {
    for (const e of events) if (e.type === 'market_snapshot') quotes.push({ ts: e.ts, price: Number((e as MarketSnapshotEvent).markets[0].outcomePrices[0]) });
  };
  let tradeId = 0;
  for (const r of reference) take(model.onTrade(makeEvent('trade', r.ts, { venue: 'binance', symbol, tradeId: ++tradeId, price: String(r.price), qty: '1', buyerMaker: false })));
  if (reference.length > 0) take(model.advanceTo(reference[reference.length - 1].ts));
  let sum = 0;
  let samples = 0;
  let q = -1;
  for (const p of upPrices) {
    while (q + 1 < quotes.length && quotes[q + 1].ts <= p.ts) q++;
    if (q < 0) continue;
    sum += Math.abs(quotes[q].price - p.price);
    samples++;
  }
  return { mae: samples > 0 ? sum / samples : null, samples };
}

/**
 * Collects, during a backtest, what `model_mae` needs: the recorded 15-minute Up/Down markets (from
 * their non-model snapshots or market definitions), their Up token's trades, and the reference prices of their asset
 * (`reference_price` events). At the end, one `modelError` per recorded market.
 */
export class ModelErrorCollector {
  private readonly markets = new Map<string, { slug: string; asset: string; upToken: string; startTs: number; endTs: number }>();
  private readonly byToken = new Map<string, PricePoint[]>();
  private readonly reference = new Map<string, PricePoint[]>();

  onInput(e: InputEvent): void {
    const recorded = e.type === 'market_snapshot' && e.source !== 'model' ? e.markets : e.type === 'market_definition' ? [e.market] : [];
    if (recorded.length > 0) {
      for (const m of recorded) {
        const match = /^(btc|eth|sol|xrp)-updown-15m-(\d+)$/.exec(m.slug);
        if (!match || this.markets.has(m.slug)) continue;
        const up = m.outcomes.findIndex((o) => o.toLowerCase() === 'up');
        const startTs = Number(match[2]) * 1000;
        this.markets.set(m.slug, { slug: m.slug, asset: match[1], upToken: m.tokenIds[up >= 0 ? up : 0], startTs, endTs: startTs + 900_000 });
        this.byToken.set(m.tokenIds[up >= 0 ? up : 0], []);
      }
    } else if (e.type === 'last_trade') {
      this.byToken.get(e.tokenId)?.push({ ts: e.ts, price: Number(e.price) });
    } else if (e.type === 'reference_price') {
      let list = this.reference.get(e.symbol);
      if (!list) this.reference.set(e.symbol, (list = []));
      const last = list[list.length - 1];
      if (!last || last.ts < e.ts) list.push({ ts: e.ts, price: Number(e.value) });
    }
  }

  /** `model_mae` per recorded market slug, in slug order. */
  finish(params: MarketModelParams): Record<string, ModelError> {
    const out: Record<string, ModelError> = {};
    for (const m of [...this.markets.values()].sort((a, b) => (a.slug < b.slug ? -1 : 1))) {
      const symbol = `${m.asset.toUpperCase()}USDT`;
      const reference = (this.reference.get(symbol) ?? []).filter((r) => r.ts < m.endTs);
      const ups = (this.byToken.get(m.upToken) ?? []).filter((p) => p.ts >= m.startTs && p.ts < m.endTs);
      out[m.slug] = modelError(symbol, reference, ups, params);
    }
    return out;
  }
}
