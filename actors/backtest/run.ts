import { createHash } from 'node:crypto';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimulatedClock, type Clock } from '../../events/clock';
import { EventLogWriter, readReplayRecords, type ReadSummary, type TornTail } from '../../events/log';
import { PendingOutputs } from '../outputFiles';
import { oneFileRecords, replayLines, tickFileLines, type ReplayLine } from '../replayLoop';
import { mergeEventFiles, TimeOrder } from '../../events/merge';
import { makeEvent, type AnyEvent, type InputEvent, type TradeEvent } from '../../events/types';
import type { LlmMetrics } from '../llm/metrics';
import { DEFAULT_MARKET_MODEL, FifteenMinMarketModel } from './marketModel';
import { ModelLines } from './modelLines';
import { timerLine } from '../../events/timedLine';
import { TemplateTrade } from '../../events/tradeTemplate';
import type { Config } from '../config/schema';
import { Engine, INSTANT_TYPES, type InstantRecord, type Reactor } from '../engine';
import { textSize } from '../../events/lines';
import { fileSha256, knownSha256, noCacheWarning, tickRecords } from '../tickCache';
import { DERIVED_INPUTS, DERIVED_LOG, DerivedOnlySink, writeDerivedInputs } from './derivedLog';
import { createTradingSystem } from '../system';
import type { Strategy } from '../strategies/types';
import { ReportCollector } from './collector';
import { MarketSources } from './marketSources';
import { ResolutionCheck } from './resolutionCheck';
import { ReaskAnswers, type ReaskOptions } from './reask';
import { ModelErrorCollector } from './modelError';
import { renderReportHtml } from './html';
import type { BacktestReport } from './reportTypes';

export interface BacktestOptions {
  ticks: string[];
  config: Config;
  reportDir: string;
  /** Only events with from <= ts <= to (ms) are replayed. */
  from?: number;
  to?: number;
  extraStrategies?: Strategy[];
  /**
   * A folder of columnar tick caches (`pma cache`): a tick file with a cache there (same SHA-256) is
   * read from it, with the same events and report; the others from the file.
   */
  tickCache?: string;
  /**
   * `full` (default): `events.jsonl` with every input copied in. `derived`: `events.derived.jsonl`
   * without the tick files' inputs (seq gaps) and `events.inputs.json` naming them (path + SHA-256),
   * from which `pma merge-log` rebuilds the full log byte for byte.
   */
  events?: 'full' | 'derived';
  /**
   * Re-ask the model (needs `config.llm.replay: reask`): recorded LLM answers are dropped and the
   * engine answers anew (actors/backtest/reask.ts). Without it the recorded answers (or the rules) decide.
   */
  llm?: ReaskOptions;
  /** Wraps each reactor of the trading system before the engine uses it (benchmarks time them). */
  wrapReactor?: (reactor: Reactor) => Reactor;
  /** After each batch: input events so far (as the summary counts them: engine inputs) and bytes read. */
  onProgress?: (p: { events: number; bytes: number; totalBytes: number | null }) => void;
  /** Where the outputs are staged until the run completes (the caller can then say what a failure left). */
  outputs?: PendingOutputs;
  /** Aborted (Ctrl-C): the run stops at the next batch with `Interrupted`, leaving no partial output. */
  signal?: AbortSignal;
}

export interface BacktestResult {
  report: BacktestReport;
  derivedSkipped: number;
  tornTails: { file: string; tail: TornTail }[];
  /** The decision cache's and (when re-asking) the engine's counters at the end. */
  llm: LlmMetrics;
  /** Why the report may be empty or misleading (no data in range, empty files, ...): one sentence each. */
  warnings: string[];
  /** The tick files read from their columnar cache (`tickCache`), not parsed. */
  inputsFromCache: string[];
}

/** Longer than this without an input event, the data has a hole: synthesized clock ticks pause until the next event. */
export const IDLE_TICKS_MS = 3_600_000;

/**
 * Bytes per read of a tick file (the line reader's default is 1 MiB). A backtest takes ~60 ms of CPU
 * over a megabyte of trades, long enough for its read buffer to survive two scavenges: promoted, its
 * megabyte then stayed allocated until the next full collection, and glibc kept the freed buffers'
 * memory (its mmap threshold rises to the largest freed chunk), so resident memory rose with the
 * most buffers ever waiting at once (docs/backtest.md, "Peak memory"). A 64 KiB buffer dies young.
 */
export const READ_CHUNK_BYTES = 64 * 1024;

const SIMULATED_NOTE =
  'Quotes of these markets come from the documented market model (docs/backtest.md): fair P(Up) from the Binance price, ' +
  'the window open and recent volatility, lagged, with a spread. The real markets resolve on Chainlink: where the ticks hold ' +
  'Chainlink prices the model opens and resolves each window on them, elsewhere on the Binance price (marked per market).';

/** SHA-256 of a file's bytes, hex (the sweep and the NATS tick transfer name inputs by it). */
export const sha256 = fileSha256;

/** Earlier first (a stable sort keeps the order of equal times). */
const byTs = (a: InputEvent, b: InputEvent) => a.ts - b.ts;

/** What the world has due before most inputs: nothing (shared, never added to). */
const NOTHING_DUE: InputEvent[] = [];

/** Consecutive events that form one instant: market data of one ts together, anything else alone. */
function instants(events: InputEvent[]): InputEvent[][] {
  const out: InputEvent[][] = [];
  for (const e of events) {
    const last = out[out.length - 1];
    if (last && INSTANT_TYPES.has(e.type) && INSTANT_TYPES.has(last[0].type) && last[0].ts === e.ts) last.push(e);
    else out.push([e]);
  }
  return out;
}

/** `btc` for a recorded `btc-updown-15m-…` market: the recording wins over the model for that asset. */
function recordedUpDownAssets(event: InputEvent): string[] {
  const markets = event.type === 'market_definition' ? [event.market] : event.type === 'market_snapshot' && event.source !== 'model' ? event.markets : [];
  const out: string[] = [];
  for (const m of markets) {
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
  if (statSync(options.reportDir, { throwIfNoEntry: false })?.isDirectory() === false) {
    throw Object.assign(new Error(`ENOTDIR: ${options.reportDir}`), { code: 'ENOTDIR', path: options.reportDir });
  }
  const outputs = options.outputs ?? new PendingOutputs();
  const derivedOnly = options.events === 'derived';
  if (derivedOnly && options.llm) throw new Error('runBacktest: the derived-only output cannot be rebuilt when re-asking the model (recorded answers are dropped); use the full log');
  const paths = { log: join(options.reportDir, derivedOnly ? DERIVED_LOG : 'events.jsonl'), json: join(options.reportDir, 'report.json'), html: join(options.reportDir, 'report.html') };
  const temp = { log: outputs.temp(paths.log), json: outputs.temp(paths.json), html: outputs.temp(paths.html) };
  const inputsRef = derivedOnly ? outputs.temp(join(options.reportDir, DERIVED_INPUTS)) : null;
  mkdirSync(options.reportDir, { recursive: true });
  const inputs = options.ticks.map((file) => ({ file, sha256: '', bytes: statSync(file).size }));
  // Each input's SHA-256 is taken as the run reads it (one pass over the bytes), or, where a tick cache
  // is looked up by it, up front or from the cache folder's note of it (knownSha256).
  const hashes = options.tickCache === undefined ? options.ticks.map(() => createHash('sha256')) : null;
  if (hashes === null) for (const input of inputs) input.sha256 = await knownSha256(input.file, options.tickCache!);
  const onBytes = (i: number) => (hashes === null ? undefined : (bytes: Buffer) => void hashes[i].update(bytes));
  const totalBytes = options.ticks.map(textSize).reduce<number | null>((a, b) => (a === null || b === null ? null : a + b), 0);

  const log = EventLogWriter.open(temp.log, { truncate: true, durability: 'batched' });
  const clock = new SimulatedClock(0);
  const reask = options.llm ? new ReaskAnswers(config.llm, options.llm) : null;
  const system = createTradingSystem(config, { eventClock: clock, extraStrategies: options.extraStrategies, llm: { mode: 'replay', engine: reask?.engine ?? null } });
  const collector = new ReportCollector(config.risk.startingCapital, system.markets, config.backtest.signalHorizonMs, system.strategies.map((s) => s.name), config.signals.windowMs);
  const engine = new Engine({ log: derivedOnly ? new DerivedOnlySink(log) : log, signals: config.signals, clock });
  for (const r of system.reactors) engine.use(options.wrapReactor?.(r) ?? r);
  engine.use(collector);
  const m = config.backtest.model;
  const modelParams = { ...DEFAULT_MARKET_MODEL, quoteIntervalMs: m.quoteIntervalMs, lagMs: m.lagMs, spread: m.spread, volLookbackMs: m.volLookbackMs, volFloor: m.volFloor, depthShares: m.depthShares, levels: m.levels };
  const model = m.enabled ? new FifteenMinMarketModel(modelParams) : null;
  /** The model's quotes go to the log as lines made from their repeating pieces. */
  const modelLines = model ? new ModelLines() : null;
  /** What the world makes (model quotes, clock ticks) goes to the log as lines the backtest rendered itself. */
  const recordOf = (event: InputEvent): InputEvent | InstantRecord =>
    event.type === 'timer' ? { event, line: timerLine(event), made: true } : modelLines === null ? event : modelLines.record(event);
  const withLines = (group: InputEvent[]) => group.map(recordOf);
  const timerMs = config.backtest.timerMs;
  const resolutions = new ResolutionCheck();
  const sources = new MarketSources();
  let synthesizeTimers = true;
  let nextTimer: number | null = null;
  let events = 0;
  let dataFirstTs: number | null = null;
  let dataLastTs: number | null = null;
  let idleGaps = 0;
  let lastInputTs: number | null = null;
  const ingest = (e: InputEvent) => engine.ingest(e);
  const inflight = () => system.llm.cache.inflight;
  /** The re-asked answers stamped at or before ts, in time order. */
  const ingestAnswers = async (ts: number) => {
    for (let a = await reask!.next(ts, inflight); a !== null; a = await reask!.next(ts, inflight)) ingest(a);
  };

  /** Recorded market data of one millisecond, held until the millisecond is complete. */
  let instant: InstantRecord[] = [];
  const flushInstant = () => {
    if (instant.length === 0) return;
    const items = instant;
    instant = [];
    engine.ingestInstant(items);
  };

  const modelErrors = new ModelErrorCollector();
  const cached = hashes === null ? options.ticks.map((path, i) => tickRecords(path, inputs[i].sha256, options.tickCache)) : null;
  const inputsFromCache = options.ticks.filter((_, i) => cached?.[i].cached);
  // One tick file needs no merge: its time order is checked as the replay takes its lines (the merge's
  // rule). Read from JSON, its lines are parsed one by one as the replay takes them (no batch of parsed
  // events is held); read from its columnar cache, its records pass as the reader makes them.
  const single = options.ticks.length === 1;
  const source = !single
    ? mergeEventFiles(options.ticks, (path, i) => cached?.[i].records ?? readReplayRecords(path, { onBytes: onBytes(i), chunkBytes: READ_CHUNK_BYTES }))
    : cached?.[0].cached
      ? oneFileRecords(cached[0].records)
      : tickFileLines(options.ticks[0], { onBytes: onBytes(0), chunkBytes: READ_CHUNK_BYTES });
  const order = single ? new TimeOrder(options.ticks[0]) : null;
  /**
   * What the simulated world does before an input (model quotes, each one instant, then clock
   * ticks), unless the input joins the instant of recorded market data being gathered. Synchronous
   * unless re-asking the model (its answers are awaited between the world's events).
   */
  const beforeInput = (e: AnyEvent): boolean | Promise<boolean> => {
    const input = e as InputEvent;
    if (reask && !system.llm.keepsRecorded(input)) return false;
    if (input.type !== 'trade') {
      for (const asset of recordedUpDownAssets(input)) model?.disable(asset);
      if (instant.length > 0 && instant[0].event.ts === input.ts && INSTANT_TYPES.has(input.type)) return true;
      if (input.type === 'timer') synthesizeTimers = false;
    }
    flushInstant();
    if (reask && events === 0) ingest(reask.start(input.ts));
    const modelled = model ? model.advanceTo(input.ts - 1) : NOTHING_DUE;
    let due: InputEvent[] = modelled.length === 0 ? NOTHING_DUE : [...modelled];
    if (synthesizeTimers) {
      nextTimer ??= Math.floor(input.ts / timerMs) * timerMs + timerMs;
      if (nextTimer < input.ts) {
        // Ticks go on for IDLE_TICKS_MS after the last event (time-outs due in a quiet spell fire), then wait for
        // the next event: a hole of years between two files must not become years of ticks.
        const idleEnd = lastInputTs === null ? input.ts : Math.min(input.ts, lastInputTs + IDLE_TICKS_MS);
        if (nextTimer < idleEnd && due === NOTHING_DUE) due = [];
        for (; nextTimer < idleEnd; nextTimer += timerMs) due.push(makeEvent('timer', nextTimer, { name: 'tick' }));
        if (nextTimer < input.ts) {
          idleGaps++;
          nextTimer = Math.ceil(input.ts / timerMs) * timerMs;
        }
      }
    }
    if (due.length > 1) due.sort(byTs); // stable: model events before the tick at the same ms
    if (!reask) {
      if (due.length > 0) for (const group of instants(due)) engine.ingestInstant(withLines(group));
      return true;
    }
    return (async () => {
      for (const group of instants(due)) {
        await ingestAnswers(group[0].ts);
        engine.ingestInstant(withLines(group));
      }
      await ingestAnswers(input.ts);
      return true;
    })();
  };

  /**
   * An input after the world caught up with it: to the report's observers, then to the engine (market
   * data of one ms as one instant). A trade goes only to those that follow trades.
   */
  const ingestInput = (e: AnyEvent, record: ReplayLine) => {
    const input = e as InputEvent;
    events++;
    lastInputTs = input.ts;
    if (input.type === 'trade') {
      model?.onTrade(input, record instanceof TemplateTrade ? record.priceNumber : undefined);
      collector.onTrade(input);
      return engine.ingestRead(input, record);
    }
    if (input.type === 'oracle_price') model?.onOracle(input);
    resolutions.onInput(input);
    modelErrors.onInput(input);
    sources.onInput(input);
    // Recorded market data of one millisecond waits until the millisecond is complete: one instant.
    if (INSTANT_TYPES.has(input.type)) instant.push({ event: input, line: record.line });
    else engine.ingestLine(input, record.line, record.lineNo);
  };

  let summaries: ReadSummary[];
  let read = 0;
  let derivedSkipped = 0;
  let completed = false;
  try {
    const from = options.from ?? -Infinity;
    const to = options.to ?? Infinity;
    const { summary, counts } = await replayLines<ReadSummary[], ReplayLine>(
      source,
      engine,
      options.ticks.join(', '),
      {
        filter: (e, line) => {
          order?.check(e.ts, line.lineNo);
          dataFirstTs ??= e.ts;
          dataLastTs = e.ts;
          return e.ts < from || e.ts > to ? 'skip' : undefined;
        },
        beforeInput,
        ingest: ingestInput,
        onBatch: (c) => options.onProgress?.({ events: engine.stats().inputs, bytes: c.bytes, totalBytes }),
      },
      options.signal,
    );
    summaries = summary;
    if (hashes !== null) hashes.forEach((hash, i) => (inputs[i].sha256 = hash.digest('hex')));
    if (inputsRef !== null) writeDerivedInputs(inputsRef, inputs, options.from, options.to);
    read = counts.lines;
    derivedSkipped = counts.derived;
    flushInstant();
    if (reask) for (const a of await reask.rest()) ingest(a);
    // Orders still on their way reach the book after the last input (the book then is the last one).
    engine.advanceTo(Number.MAX_SAFE_INTEGER);
    completed = true;
  } finally {
    log.close();
    if (!completed) outputs.discard();
  }

  let report: BacktestReport;
  try {
    const stats = engine.stats();
    const body = collector.finish();
    const windows = model?.windows() ?? [];
    report = {
      version: 1,
      inputs,
      config,
      range: { from: options.from ?? null, to: options.to ?? null, firstEventTs: collector.firstTs, lastEventTs: collector.lastTs },
      events: { inputs: stats.inputs, trades: stats.trades, derived: stats.derived },
      simulated: {
        markets: windows.map((w) => `${w.slug} (${w.priceSource === 'chainlink' ? 'Chainlink price to beat and resolution' : 'Binance open and resolution'}${w.openObserved ? '' : '; open not observed: data starts inside the window'})`),
        note: windows.length ? SIMULATED_NOTE : '',
      },
      markets: sources.finish(windows.map((w) => w.slug)),
      resolutions: resolutions.finish(),
      model_mae: modelErrors.finish(modelParams),
      ...body,
    };
    writeFileSync(temp.json, JSON.stringify(report, null, 2) + '\n');
    writeFileSync(temp.html, renderReportHtml(report));
    outputs.commit();
  } catch (err) {
    outputs.discard();
    throw err;
  }
  const tornTails = summaries.flatMap((s, i) => (s.tornTail ? [{ file: options.ticks[i], tail: s.tornTail }] : []));
  const warnings = backtestWarnings({ ...options, summaries, read, replayed: events, dataFirstTs, dataLastTs, idleGaps, tradedSymbols: collector.symbols(), inputsFromCache });
  return { report, derivedSkipped, tornTails, llm: system.llm.metrics(), warnings, inputsFromCache };
}

const isoTime = (ts: number) => new Date(ts).toISOString();

/** Why a backtest may show nothing: each a sentence for the user, in a fixed order. */
function backtestWarnings(w: {
  ticks: string[];
  config: Config;
  from?: number;
  to?: number;
  summaries: ReadSummary[];
  read: number;
  replayed: number;
  dataFirstTs: number | null;
  dataLastTs: number | null;
  idleGaps: number;
  tradedSymbols: string[];
  tickCache?: string;
  inputsFromCache: string[];
}): string[] {
  const out: string[] = [];
  w.summaries.forEach((s, i) => {
    if (s.events === 0) out.push(`${w.ticks[i]} holds no events (empty file)`);
  });
  if (w.read > 0 && w.replayed === 0 && (w.from !== undefined || w.to !== undefined)) {
    out.push(
      `no events between ${w.from !== undefined ? isoTime(w.from) : 'the start'} and ${w.to !== undefined ? isoTime(w.to) : 'the end'} (--from/--to): ` +
        `the data spans ${isoTime(w.dataFirstTs!)} to ${isoTime(w.dataLastTs!)}`,
    );
  }
  const fifteen = w.config.fifteenMin;
  const traded = new Set(fifteen.enabled ? fifteen.assets.map((a) => `${a}USDT`) : []);
  for (const symbol of w.tradedSymbols) {
    if (!traded.has(symbol)) out.push(`${symbol}: no strategy trades this symbol (the 15-minute strategy trades ${[...traded].join(', ') || 'nothing: it is disabled'})`);
  }
  if (w.tickCache !== undefined) for (const file of w.ticks) if (!w.inputsFromCache.includes(file)) out.push(noCacheWarning(file, w.tickCache));
  if (w.idleGaps > 0) out.push(`the data has ${w.idleGaps} gap(s) longer than ${IDLE_TICKS_MS / 60_000} min without events: clock ticks paused in them`);
  return out;
}
