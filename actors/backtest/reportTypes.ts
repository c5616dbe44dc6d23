import type { MarketSource } from './marketSources';
import type { ResolutionReport } from './resolutionCheck';
import type { Decimal } from '../../events/types';
import type { HorizonQuality } from '../../streams/signalHorizons';

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
  /** False-signal rates at 10 s, 30 s, 60 s and the 15-minute window's end, per signal and per episode (streams/signalHorizons.ts). */
  signalQuality: HorizonQuality;
  /** When and why trading halted (the first refused order of each halt, and how many were refused). */
  halts: HaltRow[];
  /** Chart data, down-sampled to a bounded number of points. */
  charts: {
    equity: SeriesPoint[];
    drawdown: SeriesPoint[];
    prices: Record<string, SeriesPoint[]>;
    marks: { ts: number; symbol: string; price: number; side: 'BUY' | 'SELL'; strategy: string }[];
    signals: { ts: number; symbol: string; price: number; direction: 'bullish' | 'bearish'; confirmed: boolean }[];
  };
}
