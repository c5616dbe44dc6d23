import type { LlmContext, LlmOpportunity } from '../../events/types';

const COMMON = `You are the risk-aware decision engine of an automated Polymarket trading system.
Answer by calling the "decision" tool exactly once. Fields:
- action: buy_yes | buy_no | buy_both | skip
- confidence: 0-100 (the system acts only above its threshold)
- position_size_pct: 0-5 (percent of the balance)
- order_type: market | limit | fok; limit_price: 0-1 for limit orders, else null
- reasoning: one or two sentences; risk_assessment: low | medium | high
- expected_profit_pct: your estimate after fees
When in doubt, skip. Fees, thin books and time to resolution matter more than a good story.`;

const SYSTEM: Record<LlmOpportunity, string> = {
  arbitrage: `${COMMON}

Opportunity type: sum-to-one arbitrage on a binary market. Buying both YES and NO below a total of 1
locks a profit only if both legs fill at those prices after taker fees. Prefer buy_both with fok orders;
skip when the edge is within fees or either leg is thin.`,
  neg_risk_arbitrage: `${COMMON}

Opportunity type: negRisk arbitrage across the mutually exclusive outcomes of one event. Buying every YES
for a total under 1 locks a profit only if the outcome set is complete (no placeholder or "Other"
outcome, not augmented) and every leg fills. Skip when any leg is thin or the set may be incomplete.`,
  directional_trend: `${COMMON}

Opportunity type: directional trend. The underlying asset moved on Binance within the last seconds,
confirmed (or not) by trade volume. Decide whether the Up/Down market has not yet priced the move.
Buy the side the move favours only if its price leaves room; skip near resolution or when the market
already moved.`,
  latency: `${COMMON}

Opportunity type: latency. Polymarket prices lag the Binance price. Act only when the lag is clear,
the market is liquid and there is enough time left for the price to catch up; prefer limit or fok
orders at or below the quoted price.`,
};

export function systemPrompt(opportunity: LlmOpportunity): string {
  return SYSTEM[opportunity];
}

const pct = (x: number) => `${(x * 100).toFixed(3)} %`;

/** The market context and portfolio state as plain lines; unknown values say so rather than vanish. */
export function userPrompt(opportunity: LlmOpportunity, c: LlmContext): string {
  return [
    `Opportunity: ${opportunity}`,
    `Market: ${c.question}`,
    `Asset: ${c.asset}`,
    `YES price: ${c.yesPrice}`,
    `NO price: ${c.noPrice}`,
    `Minutes to resolution: ${c.minutesToResolution === null ? 'unknown' : c.minutesToResolution.toFixed(1)}`,
    `Binance price: ${c.binancePrice ?? 'unknown'}`,
    `Binance momentum: ${c.momentum === null ? 'unknown' : pct(c.momentum)}`,
    `Volume confirmation: ${c.volumeConfirmed === null ? 'unknown' : c.volumeConfirmed ? 'yes (trade volume at least 2x the recent average)' : 'no'}`,
    '',
    'Portfolio:',
    `Balance: ${c.balance} USDC`,
    `Open positions: ${c.openPositions}`,
    `Daily P&L: ${c.dailyPnl} USDC`,
  ].join('\n');
}
