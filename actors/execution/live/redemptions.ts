import Big from 'big.js';
import type { AnyEvent, Decimal, MarketInfo } from '../../../events/types';
import { dec } from '../../../domain/decimal';
import { Portfolio } from '../portfolio';

/** What one resolution makes redeemable for one strategy's position (the winning token pays 1 USDC a share). */
export interface Redemption {
  /** The `market_resolved` event's seq and time. */
  seq: number;
  ts: number;
  /** The market channel's `market` (the condition id). */
  conditionId: string;
  strategy: string;
  tokenId: string;
  outcome: string;
  shares: Decimal;
  /** USDC: shares of the winning token, 0 for a losing one (nothing to claim, the shares are worthless). */
  payout: Decimal;
  /** Redeemed through the negRisk adapter (true), the CTF contract (false), or unknown (no snapshot named the market). */
  negRisk: boolean | null;
}

/**
 * The positions every `market_resolved` of the log settles, as the portfolio folds them (the payout it
 * books at resolution), with what a redemption needs: the condition id and whether it goes through the
 * negRisk adapter (from the newest `market_snapshot` naming the token). Pure: the same log gives the same list.
 */
export function redemptionsDue(startingCapital: Decimal, events: Iterable<AnyEvent>): Redemption[] {
  const portfolio = new Portfolio(startingCapital);
  const marketOfToken = new Map<string, MarketInfo>();
  const out: Redemption[] = [];
  for (const e of events) {
    if (e.type === 'market_snapshot') for (const m of e.markets) for (const t of m.tokenIds) marketOfToken.set(t, m);
    if (e.type === 'market_resolved') {
      const winner = marketOfToken.get(e.winningTokenId);
      const tokens = new Set(winner?.tokenIds ?? [e.winningTokenId]);
      for (const p of portfolio.positions()) {
        const info = marketOfToken.get(p.tokenId);
        if (!tokens.has(p.tokenId) && info?.conditionId !== e.market) continue;
        if (new Big(p.shares).eq(0)) continue;
        const won = p.tokenId === e.winningTokenId;
        const outcome = info ? (info.outcomes[info.tokenIds.indexOf(p.tokenId)] ?? '') : won ? e.winningOutcome : '';
        out.push({ seq: e.seq, ts: e.ts, conditionId: e.market, strategy: p.strategy, tokenId: p.tokenId, outcome, shares: p.shares, payout: won ? p.shares : dec(new Big(0)), negRisk: info ? info.negRisk : null });
      }
    }
    portfolio.apply(e);
  }
  return out;
}
