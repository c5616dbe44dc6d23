import type Big from 'big.js';
import type { InspectionEvent } from 'xstate';
import type { Clock } from '../events/clock';
import { MarketState } from '../domain/market/marketState';
import type { Config } from './config/schema';
import { dec, utcDay } from '../domain/decimal';
import type { Reactor } from './engine';
import { PaperBroker } from './execution/paperBroker';
import { TapeAwareBroker } from './execution/tapeFills';
import { LlmDecisions, type LlmRunMode } from './llm/decisions';
import type { LlmEngine } from './llm/engine';
import { PendingOrders } from './execution/pendingOrders';
import { Portfolio } from './execution/portfolio';
import { riskLimits } from './execution/risk';
import { createFifteenMinStrategy } from './strategies/fifteenMin';
import { createFlashCrashStrategy } from './strategies/flashCrash';
import { createNegRiskStrategy } from './strategies/negRisk';
import { ScanIntervalController } from './strategies/scanInterval';
import type { Strategy } from './strategies/types';
import { Supervisor } from './supervisor';
import type { Broker } from './execution/broker';
import { TradingReactor } from './trading';

export interface TradingSystem {
  /** The engine reactors, in order: trading, then the LLM decision cache. */
  reactors: Reactor[];
  llm: LlmDecisions;
  markets: MarketState;
  portfolio: Portfolio;
  /** BUY orders sent and not ended (live orders awaiting the venue); the risk checks count them. */
  pending: PendingOrders;
  strategies: Strategy[];
  scanInterval: ScanIntervalController;
  supervisor: Supervisor;
  trading: TradingReactor;
}

export interface TradingSystemOptions {
  /** Event time (the engine's clock): the day of the daily P&L in LLM prompts. */
  eventClock: Clock;
  /**
   * The LLM decision cache: `replay` uses recorded answers (or, without them, the rules); `live`
   * and `reask` replays need the engine that calls the model.
   */
  llm: { mode: LlmRunMode; engine: LlmEngine | null };
  /** Paper by default; the live broker only when `--live` was given. */
  broker?: Broker;
  /** XState inspection for every actor (the visualizer's `InspectionHub.inspect`). */
  inspect?: (event: InspectionEvent) => void;
  /** Extra strategies (tests, experiments) run beside the configured ones. */
  extraStrategies?: Strategy[];
}

/** The enabled strategies of a config, in a fixed order (the order of their outputs in the log). */
export function configuredStrategies(config: Config, portfolio: Portfolio, eventClock: Clock, inspect?: (event: InspectionEvent) => void): Strategy[] {
  const out: Strategy[] = [];
  if (config.flashCrash.enabled) out.push(createFlashCrashStrategy(config.flashCrash, undefined, { inspect }));
  if (config.fifteenMin.enabled) {
    const summary = portfolioSummary(portfolio, eventClock);
    out.push(createFifteenMinStrategy(config.fifteenMin, { portfolio: summary, inspect }));
  }
  if (config.negRisk.enabled) out.push(createNegRiskStrategy(config.negRisk, { inspect }));
  return out;
}

/**
 * Balance and today's P&L for the 15-minute strategy's LLM prompt (asked on every confirmed signal): the
 * texts are made again only when the figures (immutable Big values) change.
 */
export function portfolioSummary(portfolio: Portfolio, eventClock: Clock): () => { balance: string; dailyPnl: string } {
  let cash: Big | null = null;
  let pnl: Big | null = null;
  let out = { balance: '', dailyPnl: '' };
  return () => {
    const c = portfolio.cash();
    const p = portfolio.dayPnl(utcDay(eventClock.now()));
    if (c !== cash || p !== pnl) {
      cash = c;
      pnl = p;
      out = { balance: dec(c), dailyPnl: dec(p) };
    }
    return { ...out };
  };
}

/**
 * Everything that trades, wired the same way for live, replay and backtest: market state, the
 * strategies and the scan-interval controller under one supervisor, risk limits, the broker and
 * the portfolio fold.
 */
export function createTradingSystem(config: Config, options: TradingSystemOptions): TradingSystem {
  const markets = new MarketState();
  const portfolio = new Portfolio(config.risk.startingCapital);
  const scanInterval = ScanIntervalController.fromConfig(config.scan, options.inspect);
  const strategies = [...configuredStrategies(config, portfolio, options.eventClock, options.inspect), ...(options.extraStrategies ?? [])];
  const supervisor = new Supervisor([...strategies, scanInterval]);
  const broker = options.broker ?? new TapeAwareBroker(new PaperBroker({ latencyMs: config.paper.latencyMs, upDownTakerDelayMs: config.paper.upDownTakerDelayMs }), { windowMs: config.backtest.tapeFill.windowMs });
  const pending = new PendingOrders();
  const trading = new TradingReactor({ markets, supervisor, portfolio, pending, broker, limits: riskLimits(config) });
  const llm = new LlmDecisions({ config: config.llm, mode: options.llm.mode, engine: options.llm.engine, inspect: options.inspect });
  const llmReactor: Reactor = { name: 'llm', handles: llm.handles, react: (e) => llm.react(e) };
  return { reactors: [trading, llmReactor], llm, markets, portfolio, pending, strategies, scanInterval, supervisor, trading };
}
