import type { MarketSource } from './marketSources';
import type { ResolutionReport } from './resolutionCheck';
import type { Decimal } from '../../events/types';
import type { HorizonQuality } from './signalHorizons';

/** Signal quality: the share of signals followed by an adverse move within the horizon. */
export interface SignalQuality {
  count: number;
  falseSignals: number;
  /** falseSignals / evaluated signals, or null when none could be evaluated (data ended first). */
  falseSignalRate: number | null;
  /** Signals whose horizon ran past the end of the data. */
  unevaluated: number;
}

export interface SignalsBlock {
  horizonMs: number;
  confirmed: SignalQuality;
  unconfirmed: SignalQuality;
}

export interface StrategyBlock {
  /** Fills (executions). */
  trades: number;
  roundTrips: number;
  wins: number;
  losses: number;
  winRate: number | null;
  grossPnl: Decimal;
  fees: Decimal;
  netPnl: Decimal;
  maxDrawdown: Decimal;
  /** Largest cost of open positions at any time, in USDC. */
  maxExposure: Decimal;
  orders: number;
  rejections: Record<string, number>;
  errors: number;
  signals: SignalsBlock;
}

export interface TradeRow {
  seq: number;
  ts: number;
  strategy: string;
  orderId: string;
  marketId: string;
  tokenId: string;
  side: 'BUY' | 'SELL';
  price: Decimal;
  size: Decimal;
  fee: Decimal;
  partial: boolean;
  /** `tape`: filled by the tape-only fill model (no book recorded; docs/backtest.md, Tape fills). */
  model?: 'tape';
}

/** One round trip: bought from flat, then sold back to flat or resolved (actors/execution/portfolio.ts). */
export interface RoundTripRow {
  strategy: string;
  marketId: string;
  /** The market's slug (or its id when unknown). */
  market: string;
  tokenId: string;
  /** The outcome bought (Up, Down, Yes, ...), or '' when unknown. */
  outcome: string;
  entryTs: number;
  exitTs: number;
  holdingMs: number;
  /** Average price paid and received per share (a resolution pays 1 or 0). */
  entryPrice: Decimal;
  exitPrice: Decimal;
  shares: Decimal;
  /** The exit order's reason (take_profit, stop_loss, timeout, ...) or `resolved: won` / `resolved: lost`. */
  exitReason: string;
  /** Net of fees. */
  pnl: Decimal;
}

/** Round trips of one market. */
export interface MarketResult {
  market: string;
  marketId: string;
  strategies: string[];
  roundTrips: number;
  wins: number;
  losses: number;
  netPnl: Decimal;
}

/** Figures a trader compares runs by (freqtrade / NautilusTrader style); null when there is too little data. */
export interface Performance {
  returnPct: number;
  /** Mean / standard deviation of daily returns, times sqrt(365) (crypto trades every day); null under 5 UTC days. */
  sharpeDaily: number | null;
  /** As Sharpe, over the downside deviation of daily returns. */
  sortinoDaily: number | null;
  days: number;
  /** Gross profit of winning round trips / gross loss of losing ones; null without losses. */
  profitFactor: number | null;
  /** Mean net P&L per round trip. */
  expectancy: Decimal | null;
  avgWin: Decimal | null;
  avgLoss: Decimal | null;
  longestWinStreak: number;
  longestLossStreak: number;
}

export interface HaltRow {
  ts: number;
  strategy: string;
  reason: string;
  detail: string;
  /** Orders refused for this reason until an order went through again (or the end). */
  ordersRefused: number;
}

export interface SeriesPoint {
  ts: number;
  value: number;
}

export interface BacktestReport {
  version: 1;
  inputs: { file: string; sha256: string; bytes: number }[];
  config: unknown;
  range: { from: number | null; to: number | null; firstEventTs: number | null; lastEventTs: number | null };
  events: { inputs: number; trades: number; derived: number };
  /** Which markets came from the simulated market model (labelled in the report). */
  simulated: { markets: string[]; note: string };
  /**
   * Per market, where its prices came from: recorded books, recorded trades only (tape fills), no
   * prices (definition and outcome only) or simulated (market model); and whether its ids were derived.
   */
  markets: MarketSource[];
  /** Oracle-derived outcomes against the recorded ones (markets with a window and a recorded outcome), or null. */
  resolutions: ResolutionReport | null;
  llm: { requests: number; answers: number; cacheHits: number; hitRate: number | null };
  total: StrategyBlock & { startingCapital: Decimal; endingCash: Decimal; endingEquity: Decimal };
  strategies: Record<string, StrategyBlock>;
  tradeList: TradeRow[];
  /** Every round trip, in the order they closed. */
  roundTripList: RoundTripRow[];
  /** Round trips per market, by market. */
  perMarket: MarketResult[];
  /** The whole run's and each strategy's figures. */
  performance: { total: Performance; strategies: Record<string, Performance> };
  /** False-signal rates at 10 s, 30 s, 60 s and the 15-minute window's end, per signal and per episode (actors/backtest/signalHorizons.ts). */
  signalQuality: HorizonQuality;
  /**
   * The market model's error against each recorded 15-minute Up/Down market in the inputs (run on the
   * asset's reference prices): mean |model P(Up) - recorded Up trade price| (actors/backtest/modelError.ts).
   */
  model_mae: Record<string, { mae: number | null; samples: number }>;
  /** When and why trading halted (the first refused order of each halt, and how many were refused). */
  halts: HaltRow[];
  /** Chart data, down-sampled to a bounded number of points. */
  charts: {
    equity: SeriesPoint[];
    drawdown: SeriesPoint[];
    prices: Record<string, SeriesPoint[]>;
    /** Entries and exits at their fill price, on the chart of the Polymarket token traded. */
    marks: { ts: number; tokenId: string; price: number; side: 'BUY' | 'SELL'; strategy: string }[];
    /** Price (book mid) of each traded token, from a little before its first fill. */
    tokens: Record<string, { label: string; points: SeriesPoint[] }>;
    signals: { ts: number; symbol: string; price: number; direction: 'bullish' | 'bearish'; confirmed: boolean }[];
  };
}
