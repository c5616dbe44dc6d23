/** fast-check generators of valid input events, for round trips through the event log. */
import fc from 'fast-check';
import { makeEvent, type InputEvent, type MarketInfo } from '../../events/types';

const ts = fc.nat({ max: 4_102_444_800_000 });
/** Free text with any unicode (graphemes, so no lone surrogates). */
const text = fc.string({ unit: 'grapheme', maxLength: 24 });
const id = fc.stringMatching(/^[0-9]{1,78}$/);
const hex = fc.stringMatching(/^0x[0-9a-f]{64}$/);

/** A plain decimal built from digits: integer part up to 10^12, up to 8 fraction digits. */
export const decimal: fc.Arbitrary<string> = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.nat({ max: 8 }), fc.bigInt({ min: 0n, max: 10n ** 8n - 1n }))
  .map(([int, dp, frac]) => (dp === 0 ? `${int}` : `${int}.${frac.toString().padStart(8, '0').slice(0, dp)}`));
export const positiveDecimal = decimal.filter((s) => /[1-9]/.test(s));
/** A price in [0, 1]: "0", "1", "1.00" or "0.ddd". */
export const probability: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('0', '1', '1.00', '0.5'),
  fc.stringMatching(/^0\.[0-9]{1,4}$/),
);
/** Plain number without -0 (JSON writes -0 as 0). */
const num = (min: number, max: number): fc.Arbitrary<number> => fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => x + 0);
const level = fc.record({ price: probability, size: decimal });
const side = fc.constantFrom('BUY' as const, 'SELL' as const);

const market: fc.Arbitrary<MarketInfo> = fc.integer({ min: 1, max: 4 }).chain((n) =>
  fc.record({
    id,
    conditionId: hex,
    slug: text,
    question: text,
    outcomes: fc.array(text, { minLength: n, maxLength: n }),
    outcomePrices: fc.oneof(fc.constant([] as string[]), fc.array(probability, { minLength: n, maxLength: n })),
    tokenIds: fc.oneof(fc.constant([] as string[]), fc.array(id, { minLength: n, maxLength: n })),
    negRisk: fc.boolean(),
    negRiskMarketId: fc.option(hex),
    negRiskAugmented: fc.boolean(),
    tickSize: fc.constantFrom('0.01', '0.001', '0.1', '0.0001'),
    minSize: decimal,
    feesEnabled: fc.boolean(),
    feeSchedule: fc.option(fc.record({ rate: probability, exponent: fc.integer({ min: 0, max: 3 }), takerOnly: fc.boolean() })),
    endTs: fc.option(ts),
    active: fc.boolean(),
    closed: fc.boolean(),
    acceptingOrders: fc.boolean(),
    bestBid: fc.option(probability),
    bestAsk: fc.option(probability),
    groupItemTitle: fc.option(text),
  }),
);

const decision = fc.record({
  action: fc.constantFrom('buy_yes' as const, 'buy_no' as const, 'buy_both' as const, 'skip' as const),
  confidence: num(0, 100),
  positionSizePct: num(0, 5),
  orderType: fc.constantFrom('market' as const, 'limit' as const, 'fok' as const),
  limitPrice: fc.option(probability),
  reasoning: text,
  riskAssessment: fc.constantFrom('low' as const, 'medium' as const, 'high' as const),
  expectedProfitPct: num(-100, 100),
});

/** Any valid input event, as `makeEvent` builds it (seq 0 until appended). */
export const inputEvent: fc.Arbitrary<InputEvent> = fc.oneof(
  fc
    .record({ t: ts, symbol: fc.stringMatching(/^[A-Z0-9]{2,12}$/), tradeId: fc.nat(), price: positiveDecimal, qty: positiveDecimal, buyerMaker: fc.boolean() })
    .map(({ t, ...b }) => makeEvent('trade', t, { venue: 'binance', ...b })),
  fc
    .record({ t: ts, request: text, markets: fc.array(market, { maxLength: 3 }) })
    .map(({ t, ...b }) => makeEvent('market_snapshot', t, { source: 'gamma', ...b })),
  fc
    .record({
      t: ts,
      tokenId: id,
      market: hex,
      bids: fc.array(level, { maxLength: 4 }),
      asks: fc.array(level, { maxLength: 4 }),
      tickSize: fc.option(positiveDecimal),
      minOrderSize: fc.option(decimal),
      negRisk: fc.option(fc.boolean()),
      hash: fc.option(text),
    })
    .map(({ t, ...b }) => makeEvent('book', t, { source: 'clob_ws', ...b })),
  fc
    .record({ t: ts, market: hex, changes: fc.array(fc.record({ tokenId: id, side, price: probability, size: decimal }), { maxLength: 3 }) })
    .map(({ t, ...b }) => makeEvent('book_delta', t, b)),
  fc.record({ t: ts, market: hex, tokenId: id, price: probability, size: decimal, side }).map(({ t, ...b }) => makeEvent('last_trade', t, b)),
  fc.record({ t: ts, market: hex, tokenId: id, bestBid: fc.option(probability), bestAsk: fc.option(probability) }).map(({ t, ...b }) => makeEvent('best_bid_ask', t, b)),
  fc.record({ t: ts, market: hex, tokenId: id, oldTickSize: positiveDecimal, newTickSize: positiveDecimal }).map(({ t, ...b }) => makeEvent('tick_size_change', t, b)),
  fc.record({ t: ts, market: hex, winningTokenId: id, winningOutcome: text }).map(({ t, ...b }) => makeEvent('market_resolved', t, b)),
  fc.record({ t: ts, symbol: fc.constantFrom('btc/usd', 'eth/usd'), value: positiveDecimal }).map(({ t, ...b }) => makeEvent('oracle_price', t, { source: 'chainlink', ...b })),
  fc
    .record({
      t: ts,
      key: text,
      model: text,
      latencyMs: fc.nat({ max: 60_000 }),
      usage: fc.option(fc.record({ inputTokens: fc.nat(), outputTokens: fc.nat() })),
      answer: fc.oneof(decision.map((d) => ({ decision: d, error: null })), text.map((e) => ({ decision: null, error: `invalid_answer: ${e}` }))),
    })
    .map(({ t, answer, ...b }) => makeEvent('llm_answer', t, { ...b, ...answer })),
  fc
    .record({ t: ts, orderId: text, tokenId: id, side, price: probability, size: positiveDecimal, fee: decimal })
    .map(({ t, ...b }) => makeEvent('exchange_fill', t, b)),
  fc.record({ t: ts, name: text }).map(({ t, ...b }) => makeEvent('timer', t, b)),
  fc
    .record({ t: ts, feed: text, status: fc.constantFrom('connected' as const, 'disconnected' as const, 'stale' as const, 'gap' as const, 'recovered' as const), detail: text })
    .map(({ t, ...b }) => makeEvent('feed_status', t, b)),
  fc
    .record({ t: ts, action: fc.constantFrom('kill' as const, 'resume' as const, 'reset_losses' as const), detail: text })
    .map(({ t, ...b }) => makeEvent('risk_control', t, b)),
  fc
    .record({
      t: ts,
      intentId: text,
      conditionId: hex,
      tokenId: id,
      status: fc.constantFrom('submitted' as const, 'confirmed' as const, 'failed' as const, 'nothing_held' as const),
      txHash: fc.option(hex),
      rawTx: fc.option(fc.stringMatching(/^0x[0-9a-f]{0,200}$/)),
      payout: decimal,
      detail: text,
    })
    .map(({ t, ...b }) => makeEvent('redemption', t, b)),
);
