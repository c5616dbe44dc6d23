import { makeEvent, type MarketResolvedEvent, type MarketSnapshotEvent } from '../../../events/types';
import type { MarketState } from '../../../domain/market/marketState';
import { decidedOutcome } from '../../venues/polymarket/download/decode';
import type { Portfolio } from '../portfolio';

/**
 * Live mode: Gamma's closed state as a resolution. A market of `snapshot` that is closed with a decided
 * outcome (one price exactly 1, the others 0), holds a position in the portfolio and has no resolution
 * yet becomes a `market_resolved` input, stamped with the snapshot's time, so a resolution the market
 * channel never delivered still settles and redeems the position. The service logs it after the snapshot.
 */
export function gammaResolutions(snapshot: MarketSnapshotEvent, markets: MarketState, portfolio: Portfolio): MarketResolvedEvent[] {
  const held = portfolio.positions();
  const out: MarketResolvedEvent[] = [];
  for (const m of snapshot.markets) {
    const winner = decidedOutcome(m);
    if (winner === null || markets.resolution(m.id) !== undefined) continue;
    if (!held.some((p) => p.marketId === m.id || m.tokenIds.includes(p.tokenId))) continue;
    out.push(makeEvent('market_resolved', snapshot.ts, { market: m.conditionId, winningTokenId: m.tokenIds[winner], winningOutcome: m.outcomes[winner] }));
  }
  return out;
}
