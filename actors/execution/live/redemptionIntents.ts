import { makeEvent, type AnyEvent, type DerivedEvent, type RedemptionIntentEvent } from '../../../events/types';
import { dec } from '../../../domain/decimal';
import type { MarketState } from '../../../domain/market/marketState';
import type { Reactor } from '../../engine';
import type { Portfolio } from '../portfolio';

export const redemptionIntentId = (conditionId: string): string => `redeem:${conditionId}`;

/**
 * Live mode: each `market_resolved` that leaves a payout due on on-chain shares (the portfolio has
 * absorbed it: `Portfolio.redeemableOf`) derives one `redemption_intent` per condition, never a second
 * (a repeated resolution message, or one after the redemption). Pure: the rebuild derives the same
 * intents; `onIntent` hands each to the redeemer, which the service gates off while it rebuilds.
 */
export class RedemptionIntents implements Reactor {
  readonly name = 'redemption';
  readonly handles = new Set(['market_resolved'] as const);
  private readonly derived = new Set<string>();

  constructor(
    private readonly markets: MarketState,
    private readonly portfolio: Portfolio,
    private readonly onIntent: (intent: RedemptionIntentEvent) => void,
  ) {}

  react(event: AnyEvent): DerivedEvent[] {
    if (event.type !== 'market_resolved') return [];
    const intentId = redemptionIntentId(event.market);
    const shares = this.portfolio.redeemableOf(event.winningTokenId);
    if (this.derived.has(intentId) || shares.lte(0)) return [];
    this.derived.add(intentId);
    const market = this.markets.token(event.winningTokenId)?.market;
    const intent = makeEvent('redemption_intent', event.ts, {
      intentId,
      conditionId: event.market,
      marketId: market?.id ?? this.markets.marketIdOf(event.market),
      route: market?.negRisk ? 'neg_risk_adapter' : 'ctf',
      tokenIds: market ? [...market.tokenIds] : [event.winningTokenId],
      winningTokenId: event.winningTokenId,
      shares: dec(shares),
    });
    this.onIntent(intent);
    return [intent];
  }
}
