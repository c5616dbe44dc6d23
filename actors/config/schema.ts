import { z } from 'zod';

/**
 * The one config schema. Every parameter has a documented default (docs/config.md); money
 * amounts are decimal strings. Validation at start names the bad key and the allowed values.
 */

const decimal = z.string().regex(/^(0|[1-9]\d*)(\.\d+)?$/, 'a non-negative decimal string such as "5" or "0.05"');
const ms = z.number().int().positive();
const ratio = z.number().min(0).max(1);
const url = z.string().url();

export const feedsSchema = z
  .object({
    binanceWsUrl: url.default('wss://stream.binance.com:9443'),
    symbols: z.array(z.string().regex(/^[A-Z0-9]+$/)).min(1).default(['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'XRPUSDT']),
    /** No message for this long while the socket is open: reconnect. */
    watchdogMs: ms.default(15_000),
    /** Planned reconnect before Binance's 24 h cut. */
    maxConnectionMs: ms.default(23 * 3600_000),
    reconnectBaseMs: ms.default(500),
    reconnectMaxMs: ms.default(30_000),
    gammaUrl: url.default('https://gamma-api.polymarket.com'),
    clobUrl: url.default('https://clob.polymarket.com'),
    clobWsUrl: url.default('wss://ws-subscriptions-clob.polymarket.com/ws/market'),
    /** The authenticated user channel: our order and trade events, used by the live broker only. */
    clobUserWsUrl: url.default('wss://ws-subscriptions-clob.polymarket.com/ws/user'),
    rtdsWsUrl: url.default('wss://ws-live-data.polymarket.com'),
    /** Text `PING` keepalive on the CLOB market channel. */
    clobPingMs: ms.default(10_000),
    /** Text `PING` keepalive on RTDS (Polymarket asks for every 5 s). */
    rtdsPingMs: ms.default(5_000),
    /** Chainlink pairs taken from RTDS `crypto_prices_chainlink` (lower case, slash-separated). */
    oracleSymbols: z.array(z.string().regex(/^[a-z0-9]+\/[a-z0-9]+$/)).default(['btc/usd', 'eth/usd', 'sol/usd', 'xrp/usd']),
    httpTimeoutMs: ms.default(5_000),
  })
  .strict();

export const logSchema = z
  .object({
    path: z.string().min(1).default('var/events.jsonl'),
    durability: z.enum(['fsync', 'write', 'batched']).default('write'),
  })
  .strict();

export const signalsSchema = z
  .object({
    /** Price change is measured against the last price at or before ts - windowMs. */
    windowMs: ms.default(10_000),
    /** |change| above this makes a signal (0.001 = 0.1 %). */
    threshold: z.number().positive().default(0.001),
    /** Trade quantities kept per symbol. */
    volumeWindow: z.number().int().positive().default(60),
    /** Quantities averaged (the newest N, including the current trade). */
    volumeAverageOf: z.number().int().positive().default(30),
    /** Confirmed when qty >= multiplier x average. */
    volumeMultiplier: z.number().positive().default(2),
  })
  .strict()
  .refine((s) => s.volumeAverageOf <= s.volumeWindow, { message: 'volumeAverageOf must not exceed volumeWindow', path: ['volumeAverageOf'] });

export const marketDataSchema = z
  .object({
    /** Market lists are served from cache for this long. */
    cacheTtlMs: ms.default(2_000),
    /** On errors a stale value is served only while younger than this; strategies never trade on older data. */
    maxStaleMs: ms.default(10_000),
    retries: z.number().int().min(0).default(3),
    retryBaseMs: ms.default(250),
    marketsLimit: z.number().int().positive().max(500).default(100),
    /** A 15-minute market Gamma does not list yet is not asked for again for this long. */
    notListedTtlMs: ms.default(60_000),
    /** The service sends at most this many Gamma requests (retries included) in any 60 s; more wait for a slot. */
    gammaRequestsPerMinute: z.number().int().positive().default(50),
  })
  .strict();

export const scanSchema = z
  .object({
    baseIntervalMs: ms.default(2_000),
    minIntervalMs: ms.default(500),
    /** Volatility above this halves the interval. */
    volatilityThreshold: z.number().positive().default(0.02),
    /**
     * priceMove: mean |relative change| of the sampled markets' mid prices between two fetched lists;
     * outcomeSpread: the plan's average (max - min) / mean of each market's outcome prices (how one-sided, not how moving).
     */
    volatilityMeasure: z.enum(['priceMove', 'outcomeSpread']).default('priceMove'),
    sampleMarkets: z.number().int().positive().default(10),
  })
  .strict();

export const flashCrashSchema = z
  .object({
    enabled: z.boolean().default(true),
    lookbackMs: ms.default(10_000),
    /** Relative drop from the window high (0.20 = 20 %). */
    dropRelative: ratio.default(0.2),
    /** Absolute drop in price (e.g. 0.30); null: only the relative rule applies. */
    dropAbsolute: ratio.nullable().default(null),
    tradeUsd: decimal.default('5'),
    /** Exits in price terms, at the best bid against the entry's average price; null turns a rule off. */
    takeProfitTicks: z.number().int().positive().nullable().default(10),
    stopLossTicks: z.number().int().positive().nullable().default(5),
    takeProfitFraction: z.number().positive().nullable().default(null),
    stopLossFraction: z.number().positive().max(1).nullable().default(null),
    /** Exits in dollars of net P&L at the bid (off by default: on 10-20 shares a few cents is less than one tick). */
    takeProfitUsd: decimal.nullable().default(null),
    stopLossUsd: decimal.nullable().default(null),
    maxHoldMs: ms.default(300_000),
    exitBeforeEndMs: ms.default(120_000),
    cooldownMs: ms.default(60_000),
    /** An order with no answer (fill or rejection) after this is given up. */
    orderTimeoutMs: ms.default(30_000),
    /** After an exit that left shares (rejected, partial, timed out), wait this long before selling again. */
    exitRetryMs: ms.default(5_000),
    /** A token whose market has not been listed by a scan for this long, with nothing held or open, is no longer watched. */
    forgetUnlistedMs: ms.default(3_600_000),
  })
  .strict();

export const fifteenMinSchema = z
  .object({
    enabled: z.boolean().default(true),
    assets: z.array(z.enum(['BTC', 'ETH', 'SOL', 'XRP'])).min(1).default(['BTC', 'ETH', 'SOL', 'XRP']),
    tradeUsd: decimal.default('5'),
    takeProfitPct: z.number().positive().default(0.05),
    stopLossPct: z.number().positive().default(0.03),
    maxPositions: z.number().int().positive().default(3),
    /** Buy both sides when ask(Up) + ask(Down) + fees < 1 - minEdge. */
    sumToOneMinEdge: z.number().min(0).default(0.01),
    /** Enter only with at least this much of the window left. */
    minTimeLeftMs: ms.default(180_000),
    maxHoldMs: ms.default(720_000),
    /** Forced exit this long before the window ends. */
    exitBeforeEndMs: ms.default(120_000),
    /** After a position closes (or an entry fills nothing), no new entry on this asset for this long. */
    cooldownMs: ms.default(60_000),
    /** Ask the LLM decision engine about confirmed signals (it answers with the rule when it is off). */
    useLlm: z.boolean().default(true),
    /** No decision this long after the request: back to watching. */
    decisionTimeoutMs: ms.default(10_000),
    /** A rejected or partly filled exit is retried no sooner than this. */
    exitRetryMs: ms.default(1_000),
    /** An order with no answer (fill or rejection) after this is given up. */
    orderTimeoutMs: ms.default(30_000),
  })
  .strict();

export const negRiskSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Profit per $1 set after fees. */
    minEdge: z.number().min(0).default(0.005),
    minDeviation: z.number().min(0).default(0.02),
    minLegLiquidityUsd: decimal.default('50'),
    maxSetUsd: decimal.default('5'),
    /** An apparent edge above this means outcomes are missing from the set (not a real arbitrage): skip. */
    maxEdge: z.number().min(0).max(1).default(0.1),
    cooldownMs: ms.default(60_000),
    /** Unwind sells that were rejected or filled short are retried no sooner than this. */
    exitRetryMs: ms.default(1_000),
    /** An order with no answer (fill or rejection) after this is given up. */
    orderTimeoutMs: ms.default(30_000),
  })
  .strict();

export const riskSchema = z
  .object({
    startingCapital: decimal.default('1000'),
    maxOrderUsd: decimal.default('50'),
    maxPerTradePct: ratio.default(0.05),
    maxPerMarketPct: ratio.default(0.1),
    maxHeatPct: ratio.default(0.3),
    maxDailyDrawdownPct: ratio.default(0.1),
    maxConsecutiveLosses: z.number().int().positive().default(3),
    /** A loss-streak halt lifts at the next UTC day after its last loss (daily), or only on a reset_losses risk_control (never). */
    lossStreakReset: z.enum(['daily', 'never']).default('daily'),
    killSwitch: z.boolean().default(false),
  })
  .strict();

export const llmSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** claude-sonnet-4-5 reaches end of life on 2026-11-30 (SDK 1.14's deprecation list). */
    model: z.string().min(1).default('claude-sonnet-4-6'),
    maxTokens: z.number().int().positive().default(500),
    /** Kept for the record but not sent: API version 2026-10-21 (SDK 1.x) answers 400 to any sampling parameter. */
    temperature: z.number().min(0).max(1).default(0.3),
    timeoutMs: ms.default(5_000),
    baseUrl: url.nullable().default(null),
    minConfidence: z.number().min(0).max(100).default(60),
    cacheTtlMs: ms.default(60_000),
    cacheMaxEntries: z.number().int().positive().default(100),
    cacheEvictCount: z.number().int().positive().default(20),
    /** On LLM failure: skip, or fall back to the rule-only decision. */
    onError: z.enum(['skip', 'rules']).default('skip'),
    /** In replay: use recorded answers (default) or ask the model again. */
    replay: z.enum(['recorded', 'reask']).default('recorded'),
  })
  .strict();

export const serviceSchema = z
  .object({
    mode: z.enum(['paper', 'live']).default('paper'),
    metricsHost: z.string().default('127.0.0.1'),
    metricsPort: z.number().int().min(0).max(65535).default(9464),
    /** The operator's listener (/control/*, /debug/*): loopback only, never the metrics interface. */
    controlHost: z.enum(['127.0.0.1', '::1', 'localhost']).default('127.0.0.1'),
    controlPort: z.number().int().min(0).max(65535).default(9465),
    /** A Unix socket path for the operator's listener instead of controlHost:controlPort (created mode 600). */
    controlSocket: z.string().min(1).nullable().default(null),
    shutdownTimeoutMs: ms.default(10_000),
    /** A `timer` input event every this many ms drives time-based exits (logged, so replays see them). */
    tickMs: ms.default(1_000),
    /** The event loop stuck this long (a strategy that never returns) is logged, counted and shown on /healthz. */
    stallWarnMs: ms.default(2_000),
    /** The event loop stuck this long ends the process (SIGKILL) for its supervisor to restart; 0: never. */
    stallExitMs: z.number().int().min(0).default(30_000),
  })
  .strict();

/** Live orders through the Polymarket CLOB (docs/live-orders.md); used only with service.mode = live and --live. */
export const liveSchema = z
  .object({
    /** 137 Polygon mainnet, 80002 Amoy testnet. The CLOB URL is feeds.clobUrl. */
    chainId: z.union([z.literal(137), z.literal(80002)]).default(137),
    /** 0 EOA, 1 Polymarket proxy, 2 Gnosis safe (then POLYMARKET_FUNDER names the funding wallet). */
    signatureType: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
    /** How limit intents rest: GTD expires on its own after gtdTtlMs, GTC stays until filled or cancelled. */
    limitOrderType: z.enum(['GTC', 'GTD']).default('GTD'),
    gtdTtlMs: ms.default(300_000),
    /** No answer to POST /order after this: the order's fate is asked of the exchange, it is never resent. */
    submitTimeoutMs: ms.default(10_000),
    /** Lookups of an unanswered order before it is reported not placed, this far apart. */
    reconcileAttempts: z.number().int().positive().default(3),
    reconcileIntervalMs: ms.default(2_000),
    /** Heartbeats (and fill polls) while orders rest; Polymarket cancels them ~15 s after heartbeats stop. */
    heartbeatMs: ms.max(10_000).default(5_000),
    /** Polygon JSON-RPC endpoint for redemptions (env POLYGON_RPC_URL); empty: resolved positions are not redeemed (pma redeem can later). */
    rpcUrl: z.string().default(''),
    /** No answer from the RPC endpoint after this: the call failed (a sent transaction is looked up by its receipt). */
    rpcTimeoutMs: ms.default(10_000),
    /** Receipt lookups after a redemption is sent, this far apart; none after the last: looked up again at the next start. */
    receiptPollMs: ms.default(2_000),
    receiptAttempts: z.number().int().positive().default(60),
  })
  .strict();

/** The paper broker (docs/execution.md): when an order reaches the book. */
export const paperSchema = z
  .object({
    /** Event time from sending an order to its reaching the book, on every market. */
    latencyMs: z.number().int().min(0).default(0),
    /** Added on crypto Up/Down markets: Polymarket's non-cancellable taker delay (250 ms via the API since 2026-06-05). */
    upDownTakerDelayMs: z.number().int().min(0).default(250),
  })
  .strict();

export const backtestSchema = z
  .object({
    /** A signal is false when the price moved against it after this long. */
    signalHorizonMs: ms.default(30_000),
    /** Timer events synthesized every this much event time when the tick file has none. */
    timerMs: ms.default(1_000),
    /** The simulated 15-minute market (docs/backtest.md), used only where no Polymarket data is recorded. */
    model: z
      .object({
        enabled: z.boolean().default(true),
        quoteIntervalMs: ms.default(1_000),
        lagMs: z.number().int().min(0).default(2_000),
        spread: z.number().positive().max(0.5).default(0.02),
        volLookbackMs: ms.default(60_000),
        /** Floor of the model's volatility, annualised (fitted on the recorded BTC 15-minute market of 2025-12-11: docs/backtest.md). */
        volFloor: z.number().min(0).max(10).default(0.3),
        depthShares: decimal.default('200'),
        levels: z.number().int().positive().default(3),
      })
      .strict()
      .default(() => ({ enabled: true, quoteIntervalMs: 1_000, lagMs: 2_000, spread: 0.02, volLookbackMs: 60_000, volFloor: 0.3, depthShares: '200', levels: 3 })),
    /** Fills on markets recorded as a trade tape only, no book (docs/backtest.md, Tape fills); orders reach the tape after the paper broker's latency. */
    tapeFill: z
      .object({
        windowMs: ms.default(5_000),
      })
      .strict()
      .default(() => ({ windowMs: 5_000 })),
  })
  .strict();

/** Parameter sweeps (`pma sweep`, docs/sweeps.md). Not a backtest parameter: a grid cannot vary it. */
export const sweepSchema = z
  .object({
    /** A grid (times the walk-forward folds) with more runs than this is refused before anything runs. */
    maxRuns: z.number().int().positive().default(1_000),
    /** NATS: a job not acknowledged (nor reported in progress) within this is redelivered to another worker. */
    ackWaitMs: ms.min(1_000).default(60_000),
  })
  .strict();

export const configSchema = z
  .object({
    feeds: feedsSchema.default(() => feedsSchema.parse({})),
    log: logSchema.default(() => logSchema.parse({})),
    signals: signalsSchema.default(() => signalsSchema.parse({})),
    marketData: marketDataSchema.default(() => marketDataSchema.parse({})),
    scan: scanSchema.default(() => scanSchema.parse({})),
    flashCrash: flashCrashSchema.default(() => flashCrashSchema.parse({})),
    fifteenMin: fifteenMinSchema.default(() => fifteenMinSchema.parse({})),
    negRisk: negRiskSchema.default(() => negRiskSchema.parse({})),
    risk: riskSchema.default(() => riskSchema.parse({})),
    llm: llmSchema.default(() => llmSchema.parse({})),
    service: serviceSchema.default(() => serviceSchema.parse({})),
    live: liveSchema.default(() => liveSchema.parse({})),
    paper: paperSchema.default(() => paperSchema.parse({})),
    backtest: backtestSchema.default(() => backtestSchema.parse({})),
    sweep: sweepSchema.default(() => sweepSchema.parse({})),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type SignalsConfig = Config['signals'];

/** A value tried by a sweep: one number, boolean or string (decimal strings for money keys). */
const gridValue = z.union([z.number(), z.boolean(), z.string()]);
/** An inclusive range `{from, to, step}` of numbers. */
const gridRange = z.object({ from: z.number(), to: z.number(), step: z.number().positive() }).strict();

/**
 * A sweep's grid file (`pma sweep --grid`, docs/sweeps.md): dotted config keys and the values to
 * try (a list, or an inclusive range), and the report figure runs are ranked by.
 */
export const gridSchema = z
  .object({
    metric: z.enum(['netPnl', 'grossPnl', 'sharpe', 'profitFactor', 'maxDrawdown', 'winRate', 'endingEquity']).default('netPnl'),
    parameters: z.record(z.string(), z.union([z.array(gridValue), gridRange])),
  })
  .strict();

export type GridFile = z.infer<typeof gridSchema>;
