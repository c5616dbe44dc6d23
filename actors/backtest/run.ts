import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedClock, type Clock } from '../../events/clock';
import { EventLogWriter, type TornTail } from '../../events/log';
import { mergeEventFiles } from '../../events/merge';
import { makeEvent, type AnyEvent, type InputEvent, type TradeEvent } from '../../events/types';
import type { LlmMetrics } from '../llm/metrics';
import { DEFAULT_MARKET_MODEL, FifteenMinMarketModel } from '../../streams/marketModel';
import type { Config } from '../config/schema';
import { Engine, type Reactor } from '../engine';
import { replayLines } from '../replayLoop';
import { textSize } from '../../events/lines';
import { createTradingSystem } from '../system';
import type { Strategy } from '../strategies/types';
import { ReportCollector } from './collector';
import { ReaskAnswers, type ReaskOptions } from './reask';
import { renderReportHtml } from './html';
import type { BacktestReport } from './reportTypes';

export interface BacktestOptions {
  ticks: string[];
  config: Config;
  reportDir: string;
  /** Only events with from <= ts <= to (ms) are replayed. */
  from?: number;
  to?: number;
  /** Wall clock for the supervisor's hang deadline (never for market time). */
  deadlineClock: Clock;
  extraStrategies?: Strategy[];
  /**
   * Re-ask the model (needs `config.llm.replay: reask`): recorded LLM answers are dropped and the
   * engine answers anew (actors/backtest/reask.ts). Without it the recorded answers (or the rules) decide.
   */
  llm?: ReaskOptions;
  /** Wraps each reactor of the trading system before the engine uses it (benchmarks time them). */
  wrapReactor?: (reactor: Reactor) => Reactor;
  onProgress?: (p: { events: number; bytes: number; totalBytes: number | null }) => void;
}

export interface BacktestResult {
  report: BacktestReport;
  derivedSkipped: number;
  tornTails: { file: string; tail: TornTail }[];
  /** The decision cache's and (when re-asking) the engine's counters at the end. */
  llm: LlmMetrics;
}

const SIMULATED_NOTE =
  'Quotes of these markets come from the documented market model (docs/backtest.md): fair P(Up) from the Binance price, ' +
  'the window open and recent volatility, lagged, with a spread. The real markets resolve on Chainlink: where the ticks hold ' +
  'Chainlink prices the model opens and resolves each window on them, elsewhere on the Binance price (marked per market).';

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** `btc` for a recorded `btc-updown-15m-…` market: the recording wins over the model for that asset. */
function recordedUpDownAssets(event: InputEvent): string[] {
  if (event.type !== 'market_snapshot' || event.source === 'model') return [];
  const out: string[] = [];
  for (const m of event.markets) {
    const match = /^(btc|eth|sol|xrp)-updown-15m-/.exec(m.slug);
    if (match) out.push(match[1]);
  }
  return out;
}

/**
 * A backtest: the tick files, merged in time order, replayed through the same engine, strategies,
 * risk checks and paper broker as the live service, on event time. Writes `events.jsonl`,
 * `report.json` and `report.html` to the report folder; the same inputs and config give the same
 * bytes.
 */
export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const { config } = options;
  if (options.llm && config.llm.replay !== 'reask') throw new Error('runBacktest: options.llm re-asks the model and needs config llm.replay = reask');
  mkdirSync(options.reportDir, { recursive: true });
  const inputs = [];
  for (const file of options.ticks) inputs.push({ file, sha256: await sha256(file), bytes: statSync(file).size });
  const totalBytes = options.ticks.map(textSize).reduce<number | null>((a, b) => (a === null || b === null ? null : a + b), 0);

  const log = EventLogWriter.open(join(options.reportDir, 'events.jsonl'), { truncate: true, durability: 'batched' });
  const clock = new SimulatedClock(0);
  const reask = options.llm ? new ReaskAnswers(config.llm, options.llm) : null;
  const system = createTradingSystem(config, { deadlineClock: options.deadlineClock, eventClock: clock, extraStrategies: options.extraStrategies, llm: { mode: 'replay', engine: reask?.engine ?? null } });
  const collector = new ReportCollector(config.risk.startingCapital, system.markets, config.backtest.signalHorizonMs, system.strategies.map((s) => s.name));
  const engine = new Engine({ log, signals: config.signals, clock });
  for (const r of system.reactors) engine.use(options.wrapReactor?.(r) ?? r);
  engine.use(collector);
  const m = config.backtest.model;
  const model = m.enabled ? new FifteenMinMarketModel({ ...DEFAULT_MARKET_MODEL, quoteIntervalMs: m.quoteIntervalMs, lagMs: m.lagMs, spread: m.spread, volLookbackMs: m.volLookbackMs, depthShares: m.depthShares, levels: m.levels }) : null;
  const timerMs = config.backtest.timerMs;
  let synthesizeTimers = true;
  let nextTimer: number | null = null;
  let started = false;
  const ingest = async (e: InputEvent) => {
    const pending = engine.ingest(e);
    if (pending !== undefined) await pending;
  };
  const inflight = () => system.llm.cache.inflight;
  /** The re-asked answers stamped at or before ts, in time order. */
  const ingestAnswers = async (ts: number) => {
    for (let a = await reask!.next(ts, inflight); a !== null; a = await reask!.next(ts, inflight)) await ingest(a);
  };
  /**
   * What the simulated world does before a recorded input: model quotes, clock ticks, re-asked
   * answers. Synchronous when nothing is due (the common trade), so the hot path awaits nothing.
   */
  const beforeInput = (e: AnyEvent): boolean | Promise<boolean> => {
    const input = e as InputEvent;
    if (reask && !system.llm.keepsRecorded(input)) return false;
    const first = reask !== null && !started;
    started = true;
    if (input.type === 'timer') synthesizeTimers = false;
    for (const asset of recordedUpDownAssets(input)) model?.disable(asset);
    const due: InputEvent[] = model ? model.advanceTo(input.ts - 1) : [];
    if (synthesizeTimers) {
      nextTimer ??= Math.floor(input.ts / timerMs) * timerMs + timerMs;
      for (; nextTimer < input.ts; nextTimer += timerMs) due.push(makeEvent('timer', nextTimer, { name: 'tick' }));
    }
    due.sort((a, b) => a.ts - b.ts); // stable: model events before the tick at the same ms
    const observe = () => {
      if (input.type === 'oracle_price') model?.onOracle(input);
      if (input.type === 'trade') {
        model?.onTrade(input as TradeEvent);
        collector.onTrade(input as TradeEvent);
      }
      return true;
    };
    if (!reask && due.length === 0) return observe();
    return (async () => {
      if (first) await ingest(reask!.start(input.ts));
      for (const d of due) {
        if (reask) await ingestAnswers(d.ts);
        await ingest(d);
      }
      if (reask) await ingestAnswers(input.ts);
      return observe();
    })();
  };

  let replayed;
  try {
    replayed = await replayLines(mergeEventFiles(options.ticks), engine, options.ticks.join(', '), {
      filter: (e) => ((options.from !== undefined && e.ts < options.from) || (options.to !== undefined && e.ts > options.to) ? 'skip' : undefined),
      beforeInput,
      onBatch: (c) => options.onProgress?.({ events: c.inputs, bytes: c.bytes, totalBytes }),
    });
    if (reask) for (const a of await reask.rest()) await ingest(a);
  } finally {
    log.close();
  }
  const summaries = replayed.summary;
  const derivedSkipped = replayed.counts.derived;

  const stats = engine.stats();
  const body = collector.finish();
  const windows = model?.windows() ?? [];
  const report: BacktestReport = {
    version: 1,
    inputs,
    config,
    range: { from: options.from ?? null, to: options.to ?? null, firstEventTs: collector.firstTs, lastEventTs: collector.lastTs },
    events: { inputs: stats.inputs, trades: stats.trades, derived: stats.derived },
    simulated: {
      markets: windows.map((w) => `${w.slug} (${w.priceSource === 'chainlink' ? 'Chainlink price to beat and resolution' : 'Binance open and resolution'}${w.openObserved ? '' : '; open not observed: data starts inside the window'})`),
      note: windows.length ? SIMULATED_NOTE : '',
    },
    ...body,
  };
  writeFileSync(join(options.reportDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(options.reportDir, 'report.html'), renderReportHtml(report));
  const tornTails = summaries.flatMap((s, i) => (s.tornTail ? [{ file: options.ticks[i], tail: s.tornTail }] : []));
  return { report, derivedSkipped, tornTails, llm: system.llm.metrics() };
}
