/**
 * The one event union. Every line of an event log or tick file is one of these, serialised as
 * `{"v":1,"seq":N,"ts":MS,"type":"…",…}`. Prices, sizes and money are decimal strings.
 * `v` is the version of the event's type (see `eventVersion`); older lines are upgraded as they are
 * read (events/migrate.ts).
 *
 * Input events come from outside (venues, the LLM, the clock) and are appended to the log before
 * anything reacts to them. Derived events are pure functions of the inputs before them.
 */

/**
 * Event versions, per event type (docs/architecture.md, "Event versions"):
 * - 1: every type as first written.
 * - 2: the types that name a strategy (`STRATEGY_NAMED_TYPES`), since every strategy is named in
 *   camelCase (`flashCrash`, was `flash_crash`). The other types did not change and stay at 1, so
 *   tick files and the lines of those types are as before.
 */
export type EventVersion = 1 | 2;

/** Event types that carry a strategy's name (`strategy`, an order id `<strategy>:<key>:<n>`, an error's `source`). */
export const STRATEGY_NAMED_TYPES = ['strategy_state', 'order_intent', 'risk_rejection', 'fill', 'decision', 'llm_request', 'error', 'order_update', 'exchange_fill'] as const;
const strategyNamedSet: ReadonlySet<string> = new Set(STRATEGY_NAMED_TYPES);

/** The version this project writes an event of `type` under. */
export function eventVersion(type: string): EventVersion {
  return strategyNamedSet.has(type) ? 2 : 1;
}

/** A decimal number as a string ("0.53", "61556.04"): never a float for money, price or size. */
export type Decimal = string;

export interface EventBase<T extends string> {
  v: EventVersion;
  /** Position in the log that holds the event, from 1; 0 until the log assigns it. */
  seq: number;
  /** Event time in ms since the epoch (exchange time for venue data). */
  ts: number;
  type: T;
}

// ---------------------------------------------------------------- input events

/** Which Binance market a trade is from: `spot` (api/stream.binance.com) or `usdm` (USD-M futures, fapi/fstream). */
export type BinanceMarket = 'spot' | 'usdm';

/** A Binance trade (`@trade`) or aggregate trade (`@aggTrade`, tradeId = aggregate id). */
export interface TradeEvent extends EventBase<'trade'> {
  venue: 'binance';
  /** Upper case, e.g. BTCUSDT. */
  symbol: string;
  /**
   * USD-M futures trades carry `market: "usdm"`; absent means spot (every tick file written before the
   * field existed is spot). A spot and a futures trade of one symbol are different markets: ids,
   * order checks and signals are kept apart by `tradeMarketKey`.
   */
  market?: 'usdm';
  tradeId: number;
  price: Decimal;
  qty: Decimal;
  /** Binance `m`: the buyer was the maker, i.e. the aggressor sold. */
  buyerMaker: boolean;
}

export interface FeeSchedule {
  rate: Decimal;
  exponent: number;
  takerOnly: boolean;
}

/** One Polymarket market (a binary question with its outcome tokens), normalised from Gamma. */
export interface MarketInfo {
  id: string;
  conditionId: string;
  slug: string;
  question: string;
  outcomes: string[];
  outcomePrices: Decimal[];
  /** CLOB token id per outcome, same order as `outcomes`. */
  tokenIds: string[];
  negRisk: boolean;
  negRiskMarketId: string | null;
  negRiskAugmented: boolean;
  tickSize: Decimal;
  minSize: Decimal;
  feesEnabled: boolean;
  feeSchedule: FeeSchedule | null;
  /** Market end (resolution) time in ms, or null when Gamma gives none. */
  endTs: number | null;
  active: boolean;
  closed: boolean;
  acceptingOrders: boolean;
  bestBid: Decimal | null;
  bestAsk: Decimal | null;
  groupItemTitle: string | null;
  /** Fields Gamma omitted, given their neutral value here (e.g. `negRisk` false, `feeSchedule` null); absent when none. */
  defaulted?: string[];
}

/** What prices of a market a tick file holds: full books, a trade tape only, or none (definition and outcome only). */
export type RecordedPrices = 'books' | 'trades' | 'none';

/**
 * One market's definition, from a recording or a download, before its first price: what a strategy
 * needs to trade it (tokens, outcomes, tick, minimum size, fees, end time, negRisk). Unlike a
 * `market_snapshot` it adds to the known markets instead of replacing the scan's list.
 */
export interface MarketDefinitionEvent extends EventBase<'market_definition'> {
  /** Where the definition came from: a CLOB collector recording, an Up/Down listing file, or Gamma (`pma download`). */
  source: 'collector' | 'listing' | 'gamma';
  market: MarketInfo;
  /**
   * True when the recording named no token ids (nor condition id) and they were derived from what it
   * does name, e.g. `derived:btc-updown-15m-1765450800:up` (asset, duration, window start, outcome).
   */
  derivedIds: boolean;
  /** What prices of this market follow in the file. */
  prices: RecordedPrices;
  /** Up/Down markets: window start (ms), asset (`btc`) and price to beat (null when unknown). */
  windowStartTs: number | null;
  asset: string | null;
  strike: Decimal | null;
}

export interface MarketSnapshotEvent extends EventBase<'market_snapshot'> {
  source: 'gamma' | 'model';
  /** The request that produced it, e.g. `/markets?closed=false&limit=100`. */
  request: string;
  markets: MarketInfo[];
  /** When the data was fetched (ms); earlier than `ts` when a cached or stale value was served. */
  fetchedAt?: number;
}

export interface BookLevel {
  price: Decimal;
  size: Decimal;
}

/** A full order-book snapshot of one outcome token. Bids best (highest) first, asks best (lowest) first. */
export interface BookEvent extends EventBase<'book'> {
  source: 'clob_rest' | 'clob_ws' | 'model';
  tokenId: string;
  market: string;
  bids: BookLevel[];
  asks: BookLevel[];
  tickSize: Decimal | null;
  minOrderSize: Decimal | null;
  negRisk: boolean | null;
  hash: string | null;
}

export interface BookChange {
  tokenId: string;
  side: 'BUY' | 'SELL';
  price: Decimal;
  /** The level's new total size; "0" removes the level. */
  size: Decimal;
}

/** CLOB market channel `price_change`. */
export interface BookDeltaEvent extends EventBase<'book_delta'> {
  market: string;
  changes: BookChange[];
}

/** CLOB `last_trade_price`. */
export interface LastTradeEvent extends EventBase<'last_trade'> {
  market: string;
  tokenId: string;
  price: Decimal;
  size: Decimal;
  side: 'BUY' | 'SELL';
}

export interface TickSizeChangeEvent extends EventBase<'tick_size_change'> {
  market: string;
  tokenId: string;
  oldTickSize: Decimal;
  newTickSize: Decimal;
}

/** CLOB `best_bid_ask` (custom feature): the top of one token's book after it changed; null for an empty side. */
export interface BestBidAskEvent extends EventBase<'best_bid_ask'> {
  market: string;
  tokenId: string;
  bestBid: Decimal | null;
  bestAsk: Decimal | null;
}

export interface MarketResolvedEvent extends EventBase<'market_resolved'> {
  market: string;
  winningTokenId: string;
  winningOutcome: string;
}

/** An oracle price (Chainlink via Polymarket RTDS), the feed the 15-minute markets resolve on. */
export interface OraclePriceEvent extends EventBase<'oracle_price'> {
  source: 'chainlink';
  /** Lower case pair, e.g. btc/usd. */
  symbol: string;
  value: Decimal;
}

/**
 * A reference price of an asset that is not a trade: e.g. the Binance mid a Polymarket collector held
 * when it received each CLOB message (coarse; not a tick series). Strategies do not trade on it.
 */
export interface ReferencePriceEvent extends EventBase<'reference_price'> {
  /** `binance_mid`: a collector's Binance mid; `clob_history`: a point of CLOB `/prices-history` (`pma download`). */
  source: 'binance_mid' | 'clob_history';
  /** Upper case Binance symbol (BTCUSDT) for `binance_mid`; the outcome token id for `clob_history`. */
  symbol: string;
  value: Decimal;
}

export type LlmAction = 'buy_yes' | 'buy_no' | 'buy_both' | 'skip';

export interface LlmDecision {
  action: LlmAction;
  confidence: number;
  positionSizePct: number;
  orderType: 'market' | 'limit' | 'fok';
  limitPrice: Decimal | null;
  reasoning: string;
  riskAssessment: 'low' | 'medium' | 'high';
  expectedProfitPct: number;
}

/** An answer (or failure) of the LLM decision engine, recorded so a replay never calls the API. */
export interface LlmAnswerEvent extends EventBase<'llm_answer'> {
  key: string;
  model: string;
  latencyMs: number;
  usage: { inputTokens: number; outputTokens: number } | null;
  decision: LlmDecision | null;
  /** Why there is no decision (timeout, http_429, invalid_answer: …), or null. */
  error: string | null;
}

/**
 * An operator's risk command, logged so that a replay halts and resumes where the live run did:
 * `kill` stops every order, `resume` lifts it, `reset_losses` clears the consecutive-loss halt.
 */
export interface RiskControlEvent extends EventBase<'risk_control'> {
  action: 'kill' | 'resume' | 'reset_losses';
  /** Who asked and why, free text. */
  detail: string;
}

/** A fill reported by the exchange for a live order. */
export interface ExchangeFillEvent extends EventBase<'exchange_fill'> {
  orderId: string;
  tokenId: string;
  side: 'BUY' | 'SELL';
  price: Decimal;
  size: Decimal;
  fee: Decimal;
  /** The venue's trade id (Polymarket `/data/trades` id), so a fill seen twice is booked once; absent in older logs. */
  tradeId?: string;
}

/**
 * What the exchange (or the live broker, for a signed order it is about to send) says about a live
 * order (docs/live-orders.md). `submitted` is written before the order leaves, with the order hash,
 * so that a restart can reconcile it; the rest are the venue's answers. Fills come as `exchange_fill`.
 */
export interface OrderUpdateEvent extends EventBase<'order_update'> {
  /** The intent's order id. */
  orderId: string;
  strategy: string;
  tokenId: string;
  /** The venue's order id (the signed order's EIP-712 hash). */
  exchangeOrderId: string;
  /**
   * `filled`: the venue matched the whole order (or all a FAK could take) and every trade is booked as `exchange_fill`.
   * `cancel_submitted`: a cancel of the order is about to leave (written before the DELETE, so a restart sends it
   * again); `not_cancelled`: the venue refused the cancel (already matched, cancelled or unknown; the reason says
   * which). Neither moves the order: its end comes as `cancelled`, `filled` or `expired`.
   */
  status: 'submitted' | 'accepted' | 'rejected' | 'cancelled' | 'expired' | 'filled' | 'cancel_submitted' | 'not_cancelled';
  /** A short machine-readable reason (`exchange_error`, `not_found_after_timeout`, the venue's order status, ...). */
  reason: string;
  detail: string;
}

/**
 * A trade of one of our live orders moved on at the venue (user channel or poll): `MINED`, `CONFIRMED`,
 * `RETRYING`, `FAILED`, or a first sighting already past `MATCHED`. The fill itself is the trade's
 * `exchange_fill`, booked once at its first status that is not `FAILED`; this records settlement.
 * A `FAILED` trade that was booked is not reversed (docs/live-orders.md, Limits).
 */
export interface TradeStatusEvent extends EventBase<'trade_status'> {
  /** The intent's order id. */
  orderId: string;
  tokenId: string;
  tradeId: string;
  /** The venue's trade status, upper case. */
  status: string;
  /** Whether the trade is booked as an `exchange_fill`. */
  booked: boolean;
}

/**
 * What the chain says of a live redemption (docs/live-orders.md, "Redemption"): `submitted` is written
 * with the signed transaction before it is broadcast, so that a restart can look it up (or broadcast the
 * very same bytes again, which the nonce lets mine at most once); the rest are its outcome. Only
 * `confirmed` moves the payout into cash.
 */
export interface RedemptionEvent extends EventBase<'redemption'> {
  /** The `redemption_intent` it answers (`redeem:<conditionId>`). */
  intentId: string;
  conditionId: string;
  /** The winning token whose shares it redeems. */
  tokenId: string;
  /**
   * `confirmed`: mined with status 1 (payout: the pUSD `Transfer` logs to the wallet); `failed`: reverted or not
   * sent (nothing paid); `nothing_held`: the wallet held none of the winning token, nothing was sent.
   */
  status: 'submitted' | 'confirmed' | 'failed' | 'nothing_held';
  txHash: string | null;
  /** The signed transaction (public once broadcast), on `submitted` only. */
  rawTx: string | null;
  /** pUSD paid to the wallet (6 decimals), "0" unless confirmed. */
  payout: Decimal;
  detail: string;
}

/** A clock tick (scan cycle, strategy timers) so that time-driven behaviour replays. */
export interface TimerEvent extends EventBase<'timer'> {
  name: string;
}

/** A feed's connection state, stamped by the adapter that observed it. */
export interface FeedStatusEvent extends EventBase<'feed_status'> {
  feed: string;
  status: 'connected' | 'disconnected' | 'stale' | 'gap' | 'recovered';
  detail: string;
}

export type InputEvent =
  | TradeEvent
  | MarketSnapshotEvent
  | MarketDefinitionEvent
  | BookEvent
  | BookDeltaEvent
  | LastTradeEvent
  | TickSizeChangeEvent
  | MarketResolvedEvent
  | BestBidAskEvent
  | OraclePriceEvent
  | ReferencePriceEvent
  | LlmAnswerEvent
  | ExchangeFillEvent
  | OrderUpdateEvent
  | TradeStatusEvent
  | TimerEvent
  | FeedStatusEvent
  | RiskControlEvent
  | RedemptionEvent;

export const INPUT_TYPES = [
  'trade',
  'market_snapshot',
  'market_definition',
  'book',
  'book_delta',
  'last_trade',
  'tick_size_change',
  'market_resolved',
  'best_bid_ask',
  'oracle_price',
  'reference_price',
  'llm_answer',
  'exchange_fill',
  'order_update',
  'trade_status',
  'timer',
  'feed_status',
  'risk_control',
  'redemption',
] as const satisfies readonly InputEvent['type'][];

// ---------------------------------------------------------------- derived events

/** A 10 s price move above the threshold on one trade; `confirmed` when volume confirms it. */
export interface SignalEvent extends EventBase<'signal'> {
  symbol: string;
  tradeId: number;
  /** Relative change of the newest price against the last price at or before ts - window. */
  change: number;
  direction: 'bullish' | 'bearish';
  confirmed: boolean;
  price: Decimal;
  qty: Decimal;
  /** Average of the last N trade quantities (including this one); null before N trades exist. */
  avgQty: number | null;
}

export interface ScanIntervalEvent extends EventBase<'scan_interval'> {
  intervalMs: number;
  volatility: number;
  marketsSampled: number;
}

export interface StrategyStateEvent extends EventBase<'strategy_state'> {
  strategy: string;
  /** What the machine instance is about: a token, an asset or a negRisk event id. */
  key: string;
  from: string;
  to: string;
}

export type OrderSide = 'BUY' | 'SELL';

export interface OrderIntentEvent extends EventBase<'order_intent'> {
  orderId: string;
  strategy: string;
  marketId: string;
  tokenId: string;
  outcome: string;
  side: OrderSide;
  /** Limit price (worst acceptable). */
  price: Decimal;
  /** Shares. */
  size: Decimal;
  orderType: 'market' | 'limit' | 'fok';
  reason: string;
  /** Several orders that must all fill or none (negRisk legs, both sides of a 15-minute market). */
  groupId: string | null;
}

/**
 * A strategy asks for one of its orders to be cancelled (given up after its `orderTimeoutMs`, docs/live-orders.md
 * "Cancels"). Risk never refuses a cancel (it can only lower exposure); the broker answers: a resting paper order
 * ends with a `risk_rejection` `cancelled`, a live order with `order_update`s; an order already ended is not sent.
 */
export interface CancelIntentEvent extends EventBase<'cancel_intent'> {
  orderId: string;
  strategy: string;
  /** `order_timeout`, ... */
  reason: string;
  detail: string;
}

export interface RiskRejectionEvent extends EventBase<'risk_rejection'> {
  orderId: string;
  strategy: string;
  reason: string;
  detail: string;
}

/** A fill from the paper broker (derived; live fills arrive as `exchange_fill`). */
export interface FillEvent extends EventBase<'fill'> {
  orderId: string;
  strategy: string;
  marketId: string;
  tokenId: string;
  side: OrderSide;
  /** Average fill price. */
  price: Decimal;
  size: Decimal;
  /** Fee's value in USDC. A BUY pays it in shares (receives size - fee / price), a SELL in USDC (docs/execution.md). */
  fee: Decimal;
  /** Filled less than asked (depth was short). */
  partial: boolean;
  /** `tape`: filled by the tape-only fill model (a market with no recorded book); absent for book fills. */
  model?: 'tape';
}

export interface DecisionEvent extends EventBase<'decision'> {
  strategy: string;
  key: string;
  action: LlmAction;
  confidence: number;
  source: 'llm' | 'cache' | 'rules';
  executed: boolean;
  reason: string;
  /** The full LLM decision behind it (sizes, order type), when source is llm or cache. */
  llm?: LlmDecision;
}

/** Which system prompt an LLM decision is asked under. */
export type LlmOpportunity = 'arbitrage' | 'neg_risk_arbitrage' | 'directional_trend' | 'latency';

/** What the model is told about an opportunity: the market and the portfolio. */
export interface LlmContext {
  question: string;
  /** BTC, ETH, ... or the negRisk event's name. */
  asset: string;
  yesPrice: Decimal;
  noPrice: Decimal;
  minutesToResolution: number | null;
  binancePrice: Decimal | null;
  /** Relative Binance price change over the signal window (0.001 = 0.1 %), or null. */
  momentum: number | null;
  volumeConfirmed: boolean | null;
  balance: Decimal;
  openPositions: number;
  /** Signed ("-3.20"). */
  dailyPnl: string;
}

/** A strategy asks the LLM decision cache (machines/llmCache.ts) for a decision; it answers with a `decision`. */
export interface LlmRequestEvent extends EventBase<'llm_request'> {
  strategy: string;
  /** The cache key (`llmCacheKey`): asset, opportunity, yes and no price to 2 decimals. */
  key: string;
  opportunity: LlmOpportunity;
  context: LlmContext;
  /** What the strategy's rules alone would do: the answer when the engine is off or fails with llm.onError = rules. */
  ruleAction: LlmAction;
}

/**
 * Live mode: a resolution settled winning shares the wallet holds on chain, so they are to be redeemed
 * (`actors/execution/live/redemptionIntents.ts`). Derived once per condition; the redeemer sends it and
 * logs what the chain says as `redemption` input events.
 */
export interface RedemptionIntentEvent extends EventBase<'redemption_intent'> {
  /** `redeem:<conditionId>`. */
  intentId: string;
  conditionId: string;
  /** Gamma's market id. */
  marketId: string;
  /**
   * The market kind, named before the pUSD collateral adapters and kept as logged: `ctf` (standard market) is
   * redeemed through CtfCollateralAdapter, `neg_risk_adapter` through NegRiskCtfCollateralAdapter, both as
   * redeemPositions(pUSD, 0, conditionId, [1, 2]) (docs/live-orders.md, "Redemption").
   */
  route: 'ctf' | 'neg_risk_adapter';
  /** The condition's outcome tokens in outcome order (index set 1, 2). */
  tokenIds: string[];
  winningTokenId: string;
  /** Winning shares the log holds (all strategies), and so the payout it expects. */
  shares: Decimal;
}

export interface ErrorEvent extends EventBase<'error'> {
  /** Who failed, by name (a strategy, an adapter). */
  source: string;
  kind: 'throw' | 'timeout' | 'invalid';
  message: string;
}

export type DerivedEvent =
  | SignalEvent
  | ScanIntervalEvent
  | StrategyStateEvent
  | OrderIntentEvent
  | CancelIntentEvent
  | RiskRejectionEvent
  | FillEvent
  | DecisionEvent
  | LlmRequestEvent
  | RedemptionIntentEvent
  | ErrorEvent;

export type AnyEvent = InputEvent | DerivedEvent;
export type EventType = AnyEvent['type'];
export type EventOf<T extends EventType> = Extract<AnyEvent, { type: T }>;

const inputTypeSet: ReadonlySet<string> = new Set(INPUT_TYPES);
export function isInputEvent(e: AnyEvent): e is InputEvent {
  return inputTypeSet.has(e.type);
}
export function isInputType(type: string): type is InputEvent['type'] {
  return inputTypeSet.has(type);
}

/** An event as its producer makes it: `type` and body, before the log adds `v`, `seq` and `ts`. */
export type EventBody<T extends EventType> = Omit<EventOf<T>, 'v' | 'seq' | 'ts'>;

/** An order intent as a strategy machine emits it: the strategy wrapper adds the order id and its name. */
export type OrderIntentBody = Omit<EventBody<'order_intent'>, 'orderId' | 'strategy'>;

/** The key that keeps a symbol's spot and USD-M futures trades apart: `BTCUSDT` or `BTCUSDT@usdm`. */
export function tradeMarketKey(trade: Pick<TradeEvent, 'symbol' | 'market'>): string {
  return trade.market === undefined ? trade.symbol : `${trade.symbol}@${trade.market}`;
}

/** Builds an event with its keys in log order (`v`, `seq`, `ts`, `type`, then the body); seq is set on append. */
export function makeEvent<T extends EventType>(type: T, ts: number, body: Omit<EventOf<T>, keyof EventBase<T>>): EventOf<T> {
  return { v: eventVersion(type), seq: 0, ts, type, ...body } as unknown as EventOf<T>;
}
