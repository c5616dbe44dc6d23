import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultConfig } from '../actors/config/load';
import { runBacktest } from '../actors/backtest/run';
import { Engine } from '../actors/engine';
import { createTradingSystem } from '../actors/system';
import { SimulatedClock, SystemClock } from '../events/clock';
import { EventLogWriter } from '../events/log';
import { isInputType, type InputEvent } from '../events/types';
import { staleBookViolations, type LoggedEvent } from './support/bookInvariant';
import { describeWithShared } from './support/shared';
import { importTicks } from '../actors/venues/binance/importers';

const DEMO = resolve(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');
const clock = new SystemClock();
const readLog = (path: string): LoggedEvent[] => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LoggedEvent);

async function backtest(dir: string, ticks: string[]): Promise<LoggedEvent[]> {
  await runBacktest({ ticks, config: defaultConfig(), reportDir: dir });
  return readLog(join(dir, 'events.jsonl'));
}

/** The inputs of a log delivered the old way: one event at a time, each reacted to before the next is applied. */
async function oneByOne(inputs: InputEvent[], path: string): Promise<LoggedEvent[]> {
  const config = defaultConfig();
  const eventClock = new SimulatedClock(0);
  const log = EventLogWriter.open(path, { truncate: true, durability: 'batched' });
  const system = createTradingSystem(config, { eventClock, llm: { mode: 'replay', engine: null } });
  const engine = new Engine({ log, signals: config.signals, clock: eventClock });
  for (const r of system.reactors) engine.use(r);
  for (const e of inputs) {
    const pending = engine.ingest(e);
    if (pending !== undefined) await pending;
  }
  log.close();
  return readLog(path);
}

describe('one instant, one state: every order and fill sees the newest book of its token and its pair', () => {
  let dir: string;
  let log: LoggedEvent[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-fidelity-'));
    log = await backtest(join(dir, 'demo'), [DEMO]);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds over the whole demo backtest (orders and fills checked against every book of the log)', () => {
    const orders = log.filter((e) => e.type === 'order_intent');
    const fills = log.filter((e) => e.type === 'fill');
    expect(orders.length).toBeGreaterThan(5);
    expect(fills.length).toBeGreaterThan(3);
    expect(staleBookViolations(log)).toEqual([]);
  });

  it('fails on the old delivery (a model snapshot reacted to before its books)', async () => {
    const inputs = log.filter((e) => isInputType(e.type)).map((e) => ({ ...e }) as unknown as InputEvent);
    const old = await oneByOne(inputs, join(dir, 'old.jsonl'));
    const problems = staleBookViolations(old);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(/came before the book of model:/);
  }, 120_000);

  it('fills every order of a crypto Up/Down market 250 ms after it was sent (the venue taker delay)', () => {
    const sent = new Map(log.filter((e) => e.type === 'order_intent').map((e) => [e.orderId as string, e.ts]));
    const fills = log.filter((e) => e.type === 'fill');
    for (const f of fills) expect(f.ts - sent.get(f.orderId as string)!).toBe(250);
  });
});

const SHARED_TRADES = ['btcusdt_20240808', 'btcusdt_20240809', 'ethusdt_20240808', 'ethusdt_20240809'].map((n) => `binance/hftbacktest/spot/${n}.trades.txt`);

describeWithShared('one instant, one state on the shared Binance recordings (hftbacktest BTCUSDT + ETHUSDT, 10 min 50 s)', SHARED_TRADES, (paths) => {
  it('holds over a backtest of all four recordings, with the model quoting every second and every 250 ms', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pma-fidelity-shared-'));
    try {
      const ticks = join(dir, 'shared.ticks.jsonl');
      await importTicks(paths, ticks);
      for (const quoteIntervalMs of [1_000, 250]) {
        const config = defaultConfig();
        config.backtest.model.quoteIntervalMs = quoteIntervalMs;
        const out = join(dir, `q${quoteIntervalMs}`);
        await runBacktest({ ticks: [ticks], config, reportDir: out });
        const log = readLog(join(out, 'events.jsonl'));
        expect(log.filter((e) => e.type === 'order_intent').length).toBeGreaterThan(0);
        expect(staleBookViolations(log)).toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
