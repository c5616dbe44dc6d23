import type { InputEvent } from '../../events/types';

export type PriceOrigin = 'recorded books' | 'recorded trades only' | 'no prices' | 'simulated';

export interface MarketSource {
  slug: string;
  id: string;
  prices: PriceOrigin;
  /** Token ids were derived from what the recording names (it named none). */
  derivedIds: boolean;
  books: number;
  trades: number;
}

interface Seen {
  slug: string;
  id: string;
  /** Named by a `market_definition` (imported or downloaded), not only by a scan. */
  defined: boolean;
  derivedIds: boolean;
  books: number;
  trades: number;
}

/**
 * Where each market's prices in a backtest came from: recorded books, a recorded trade tape only, or
 * nothing (definition and outcome only); markets of the market model are added as simulated. A fold
 * over the recorded input events: markets named by a definition or snapshot, counted by token.
 */
export class MarketSources {
  private readonly byToken = new Map<string, Seen>();
  private readonly markets = new Map<string, Seen>();

  onInput(e: InputEvent): void {
    if (e.type === 'market_definition') this.know(e.market.slug, e.market.id, e.market.tokenIds, { defined: true, derivedIds: e.derivedIds });
    else if (e.type === 'market_snapshot' && e.source !== 'model') for (const m of e.markets) this.know(m.slug, m.id, m.tokenIds, { defined: false, derivedIds: false });
    else if (e.type === 'book') this.count(e.tokenId, 'books');
    else if (e.type === 'last_trade') this.count(e.tokenId, 'trades');
  }

  /** Defined markets, and snapshot markets that had recorded prices, then the simulated ones; by slug. */
  finish(simulatedSlugs: readonly string[]): MarketSource[] {
    const out: MarketSource[] = [];
    for (const s of this.markets.values()) {
      if (!s.defined && s.books === 0 && s.trades === 0) continue;
      out.push({ slug: s.slug, id: s.id, prices: s.books > 0 ? 'recorded books' : s.trades > 0 ? 'recorded trades only' : 'no prices', derivedIds: s.derivedIds, books: s.books, trades: s.trades });
    }
    for (const slug of simulatedSlugs) out.push({ slug, id: slug, prices: 'simulated', derivedIds: false, books: 0, trades: 0 });
    return out.sort((a, b) => a.slug.localeCompare(b.slug) || a.id.localeCompare(b.id));
  }

  private know(slug: string, id: string, tokenIds: string[], how: { defined: boolean; derivedIds: boolean }): void {
    let seen = this.markets.get(id);
    if (!seen) this.markets.set(id, (seen = { slug, id, defined: false, derivedIds: false, books: 0, trades: 0 }));
    seen.defined ||= how.defined;
    seen.derivedIds ||= how.derivedIds;
    for (const t of tokenIds) this.byToken.set(t, seen);
  }

  private count(tokenId: string, kind: 'books' | 'trades'): void {
    const seen = this.byToken.get(tokenId);
    if (seen) seen[kind]++;
  }
}
