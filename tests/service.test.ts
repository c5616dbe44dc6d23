import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { runBacktest } from '../actors/backtest/run';
import { defaultConfig, parseConfig } from '../actors/config/load';
import { Portfolio } from '../actors/execution/portfolio';
import { TradingService } from '../actors/service/service';
import type { KeyedMachineStrategy } from '../actors/strategies/keyedMachines';
import { SystemClock } from '../events/clock';
import { EventLogWriter, readAllEvents } from '../events/log';
import { isInputType, type AnyEvent } from '../events/types';
import { PolymarketServer, twentyMarkets } from './support/polymarketServer';
import { FIXTURES } from './support/shared';
import { waitFor, WsReplayServer } from './support/wsReplayServer';

const clock = new SystemClock();
const quiet = pino({ level: 'silent' });
const DEMO = resolve(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-svc-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('TradingService', () => {
  it('logs live trades, scans and clock ticks, then stops gracefully with the log closed', async () => {
    const frames = readFileSync(join(FIXTURES, 'ws/btcusdt_20240808.trades.head300.txt'), 'utf8').trim().split('\n').map((l) => l.slice(l.indexOf(' ') + 1));
    const binance = await WsReplayServer.start({ onConnection: (c) => frames.forEach((f) => c.send(f)) });
    const gamma = await PolymarketServer.start();
    gamma.markets = twentyMarkets();
    const config = parseConfig({
      feeds: { binanceWsUrl: binance.url, gammaUrl: gamma.url, clobUrl: gamma.url, symbols: ['BTCUSDT'] },
      service: { tickMs: 50 },
      scan: { baseIntervalMs: 100, minIntervalMs: 50 },
      fifteenMin: { enabled: false },
    });
    const logPath = join(dir, 'events.jsonl');
    const svc = new TradingService({ config, logPath, env: {}, logger: quiet, clock, disable: { clobWs: true, rtds: true } });
    try {
      await svc.start();
      await waitFor(() => svc.engine.stats().trades === 300 && gamma.count('/markets') >= 2, '300 trades and two scans', 10_000);
    } finally {
      await svc.stop('test');
      await binance.stop();
      await gamma.close();
    }
    const { records, summary } = await readAllEvents(logPath);
    expect(summary.tornTail).toBeNull();
    const events = records.map((r) => r.event);
    const trades = events.filter((e) => e.type === 'trade');
    expect(trades.map((t) => t.type === 'trade' && t.tradeId)).toEqual(frames.map((f) => JSON.parse(f).data.t));
    const snapshot = events.find((e) => e.type === 'market_snapshot');
    expect(snapshot?.type === 'market_snapshot' && snapshot.markets.length).toBe(20);
    expect(events.some((e) => e.type === 'timer')).toBe(true);
    expect(events.find((e) => e.type === 'feed_status' && e.feed === 'llm')).toMatchObject({ status: 'disconnected' });
    expect(events.find((e) => e.type === 'feed_status' && e.feed === 'binance')).toMatchObject({ status: 'connected' });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(svc.health().event_log.status).toBe('ok');
  }, 30_000);

  it('rebuilds from its log after a crash mid-position: the position is neither forgotten nor opened twice', async () => {
    // A full run, and the first input boundary at which some strategy holds a position.
    const full = join(dir, 'full');
    await runBacktest({ ticks: [DEMO], config: defaultConfig(), reportDir: full });
    const fullLog = (await readAllEvents(join(full, 'events.jsonl'))).records;
    const capital = defaultConfig().risk.startingCapital;
    const folded = new Portfolio(capital);
    let cut = -1;
    for (let i = 0; i < fullLog.length && cut < 0; i++) {
      folded.apply(fullLog[i].event);
      if (folded.positions().length > 0 && i + 1 < fullLog.length && isInputType(fullLog[i + 1].event.type)) cut = i + 1;
    }
    expect(cut).toBeGreaterThan(0);
    const held = folded.positions()[0];
    // The "crash": the log as it stood then.
    const prefix = join(dir, 'crashed.jsonl');
    const w = EventLogWriter.open(prefix, { truncate: true });
    for (const r of fullLog.slice(0, cut)) w.appendLine(r.line);
    w.close();
    const svc = new TradingService({ config: defaultConfig(), logPath: prefix, env: {}, logger: quiet, clock });
    const rebuilt = await svc.rebuild();
    expect(rebuilt.events).toBe(cut);

    expect(JSON.stringify(svc.system.portfolio)).toBe(JSON.stringify(Portfolio.fromEvents(capital, fullLog.slice(0, cut).map((r) => r.event))));
    expect(svc.system.portfolio.position(held.strategy, held.tokenId)?.shares).toBe(held.shares);
    const owner = svc.system.strategies.find((s) => s.name === held.strategy) as KeyedMachineStrategy<never>;
    const lastState = fullLog.slice(0, cut).filter((r) => r.event.type === 'strategy_state' && r.event.strategy === held.strategy).pop()!.event;
    expect(lastState.type === 'strategy_state' && owner.states()[lastState.key]).toBe(lastState.type === 'strategy_state' && lastState.to);

    // Go on from the crash with the rest of the inputs: every derived event equals the uninterrupted run's.
    const resumed = join(dir, 'resumed.jsonl');
    copyFileSync(prefix, resumed);
    svc.engine.switchLog(EventLogWriter.open(resumed));
    for (const r of fullLog.slice(cut)) {
      if (!isInputType(r.event.type)) continue;
      const pending = svc.engine.ingestRecord({ ...r, event: JSON.parse(r.line) as AnyEvent });
      if (pending !== undefined) await pending;
    }
    (svc.engine as unknown as { log: EventLogWriter }).log.close();
    const after = readFileSync(resumed, 'utf8');
    expect(after).toBe(readFileSync(join(full, 'events.jsonl'), 'utf8'));
  }, 120_000);

  it('a crash between the derived events of one input (order intent logged, fill not): the restart derives the rest again and appends it, so the log again records the state', async () => {
    const full = join(dir, 'full');
    await runBacktest({ ticks: [DEMO], config: defaultConfig(), reportDir: full });
    const fullText = readFileSync(join(full, 'events.jsonl'), 'utf8');
    const fullLog = (await readAllEvents(join(full, 'events.jsonl'))).records;
    const intent = fullLog.findIndex((r, i) => r.event.type === 'order_intent' && fullLog[i + 1]?.event.type === 'fill');
    expect(intent).toBeGreaterThan(0);
    const nextInput = fullLog.findIndex((r, i) => i > intent && isInputType(r.event.type));
    // The "SIGKILL": the log ends with the order intent; its fill (and what followed from it) never reached the disk.
    const crashed = join(dir, 'crashed.jsonl');
    const w = EventLogWriter.open(crashed, { truncate: true });
    for (const r of fullLog.slice(0, intent + 1)) w.appendLine(r.line);
    w.close();
    const capital = defaultConfig().risk.startingCapital;
    expect(Portfolio.fromEvents(capital, fullLog.slice(0, intent + 1).map((r) => r.event)).positions()).toHaveLength(0);

    const svc = new TradingService({ config: defaultConfig(), logPath: crashed, env: {}, logger: quiet, clock });
    const rebuilt = await svc.rebuild();
    expect(rebuilt).toMatchObject({ events: intent + 1, derivedMissing: nextInput - intent - 1, derivedMismatch: null });
    svc.openLog(rebuilt).close();

    // The completed log is the uninterrupted run's, line for line, up to the next input; and its fold is the service's state.
    const completed = readFileSync(crashed, 'utf8');
    expect(completed).toBe(fullText.split('\n').slice(0, nextInput).join('\n') + '\n');
    const events = (await readAllEvents(crashed)).records.map((r) => r.event);
    expect(JSON.stringify(Portfolio.fromEvents(capital, events))).toBe(JSON.stringify(svc.system.portfolio));
    const uninterrupted = Portfolio.fromEvents(capital, fullLog.slice(0, nextInput).map((r) => r.event));
    expect(uninterrupted.positions().length).toBeGreaterThan(0);
    expect(svc.system.portfolio.positions()).toEqual(uninterrupted.positions());

    // pma start: the live broker's look at the log (beforeLive) comes after the completion, before any new input.
    const again = join(dir, 'crashed-again.jsonl');
    const w2 = EventLogWriter.open(again, { truncate: true });
    for (const r of fullLog.slice(0, intent + 1)) w2.appendLine(r.line);
    w2.close();
    let seen: string[] = [];
    const started = new TradingService({
      config: defaultConfig(),
      logPath: again,
      env: {},
      logger: quiet,
      clock,
      disable: { binance: true, clobWs: true, rtds: true, scan: true },
      beforeLive: async () => {
        seen = (await readAllEvents(again)).records.map((r) => r.event.type);
      },
    });
    await started.start();
    await started.stop('test');
    expect(seen).toEqual(fullLog.slice(0, nextInput).map((r) => r.event.type));
  }, 120_000);

  it('a log whose last input derived other events than this configuration derives is left as it is, with the difference reported', async () => {
    const full = join(dir, 'full');
    await runBacktest({ ticks: [DEMO], config: defaultConfig(), reportDir: full });
    const fullLog = (await readAllEvents(join(full, 'events.jsonl'))).records;
    const intent = fullLog.findIndex((r, i) => r.event.type === 'order_intent' && fullLog[i + 1]?.event.type === 'fill');
    const cut = fullLog.findIndex((r, i) => i > intent && isInputType(r.event.type));
    const log = join(dir, 'other-config.jsonl');
    const w = EventLogWriter.open(log, { truncate: true });
    for (const r of fullLog.slice(0, cut)) w.appendLine(r.line);
    w.close();
    const before = readFileSync(log, 'utf8');
    const config = parseConfig({ flashCrash: { enabled: false }, fifteenMin: { enabled: false }, negRisk: { enabled: false } });
    const svc = new TradingService({ config, logPath: log, env: {}, logger: quiet, clock });
    const rebuilt = await svc.rebuild();
    expect(rebuilt.derivedMissing).toBe(0);
    expect(rebuilt.derivedMismatch).toMatch(/^the log's last input derived \d+ events, the rebuild \d+; first difference at seq \d+$/);
    svc.openLog(rebuilt).close();
    expect(readFileSync(log, 'utf8')).toBe(before);
  }, 120_000);
});
