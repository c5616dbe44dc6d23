import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, type Reactor } from '../actors/engine';
import { SimulatedClock } from '../events/clock';
import { EventLogWriter } from '../events/log';
import { makeEvent, type AnyEvent, type DerivedEvent, type EventType, type TradeEvent } from '../events/types';
import { FIXTURES } from './support/shared';
import { DEFAULT_PARAMS, naiveSignals, readRecordedTrades, type RecordedTrade } from './streamsReference';

const trades = readRecordedTrades(join(FIXTURES, 'trades/btcusdt_20240808.trades.6001-8500.txt'));
const reference = naiveSignals(trades, DEFAULT_PARAMS);

function toEvent(t: RecordedTrade): TradeEvent {
  return makeEvent('trade', t.T, { venue: 'binance', symbol: t.symbol, tradeId: t.t, price: t.p, qty: t.q, buyerMaker: t.m });
}

function logLines(path: string): AnyEvent[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as AnyEvent);
}

function stateChange(cause: AnyEvent, strategy: string): DerivedEvent {
  return makeEvent('strategy_state', cause.ts, { strategy, key: cause.type === 'signal' ? String(cause.tradeId) : cause.type, from: 'idle', to: 'seen' });
}

let dir: string;
let log: EventLogWriter;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-engine-'));
  path = join(dir, 'events.jsonl');
  log = EventLogWriter.open(path, { durability: 'write' });
});
afterEach(() => {
  log.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Engine', () => {
  it('appends each input before any reactor sees it', () => {
    const seenOnDisk: boolean[] = [];
    const engine = new Engine({ log, signals: DEFAULT_PARAMS, clock: new SimulatedClock() });
    engine.use({
      name: 'reader',
      react(event) {
        const onDisk = logLines(path);
        seenOnDisk.push(onDisk[onDisk.length - 1].seq === event.seq && onDisk[onDisk.length - 1].type === event.type);
      },
    });
    engine.ingest(makeEvent('timer', 1_000, { name: 'scan' }));
    engine.ingest(makeEvent('feed_status', 2_000, { feed: 'binance', status: 'connected', detail: '' }));
    expect(seenOnDisk).toEqual([true, true]);
  });

  it('sends trades through the signal operators: each signal right after its trade, trades never to reactors', () => {
    const seen: EventType[] = [];
    const engine = new Engine({ log, signals: DEFAULT_PARAMS, clock: new SimulatedClock() });
    engine.use({ name: 'all', react: (e) => void seen.push(e.type) });
    for (const t of trades) expect(engine.ingest(toEvent(t))).toBeUndefined();
    const out = logLines(path);
    const signals = out.filter((e) => e.type === 'signal');
    expect(signals.map((s) => s.type === 'signal' && [s.tradeId, s.change, s.confirmed])).toEqual(reference.map((r) => [r.tradeId, r.change, r.confirmed]));
    out.forEach((e, i) => {
      expect(e.seq).toBe(i + 1);
      if (e.type === 'signal') {
        const before = out[i - 1];
        expect(before.type === 'trade' && before.tradeId).toBe(e.tradeId);
      }
    });
    expect(seen).toEqual(reference.map(() => 'signal'));
    const confirmed = reference.filter((r) => r.confirmed).length;
    expect(engine.stats()).toEqual({
      inputs: trades.length,
      trades: trades.length,
      derived: reference.length,
      signals: { BTCUSDT: { confirmed, unconfirmed: reference.length - confirmed } },
    });
  });

  it('appends reactor outputs after their cause and offers them to the reactors in turn', () => {
    const strategy: Reactor = { name: 'strategy', handles: new Set<EventType>(['signal']), react: (e) => [stateChange(e, 'strategy')] };
    const risk: Reactor = {
      name: 'risk',
      handles: new Set<EventType>(['strategy_state']),
      react: (e) => [makeEvent('risk_rejection', e.ts, { orderId: 'o', strategy: 'strategy', reason: 'test', detail: e.type === 'strategy_state' ? e.key : '' })],
    };
    const engine = new Engine({ log, signals: DEFAULT_PARAMS, clock: new SimulatedClock() });
    engine.use(strategy).use(risk);
    for (const t of trades.slice(0, 1_200)) engine.ingest(toEvent(t));
    const out = logLines(path);
    const firstSignal = out.findIndex((e) => e.type === 'signal');
    expect(firstSignal).toBeGreaterThan(0);
    const [sig, state, rejection] = out.slice(firstSignal, firstSignal + 3);
    expect(sig.type).toBe('signal');
    expect(state).toMatchObject({ type: 'strategy_state', key: String(sig.type === 'signal' && sig.tradeId), ts: sig.ts });
    expect(rejection).toMatchObject({ type: 'risk_rejection', detail: String(sig.type === 'signal' && sig.tradeId) });
    expect(out.filter((e) => e.type === 'risk_rejection').length).toBe(out.filter((e) => e.type === 'signal').length);
  });

  it('reacts synchronously: when ingest returns, the input and everything it caused are in the log, in reactor order', () => {
    const engine = new Engine({ log, signals: DEFAULT_PARAMS, clock: new SimulatedClock() });
    engine.use({ name: 'first', handles: new Set<EventType>(['timer']), react: (e) => [stateChange(e, 'first')] });
    engine.use({ name: 'second', react: (e) => [stateChange(e, 'second')] });
    expect(engine.ingest(makeEvent('timer', 5, { name: 'a' }))).toBeUndefined();
    expect(engine.stats()).toMatchObject({ inputs: 1, derived: 3 });
    engine.ingest(makeEvent('timer', 7, { name: 'c' }));
    log.flush();
    // order is the reactors' order; a reactor's output goes to the others, not back to itself
    const once = ['timer', 'first:timer', 'second:timer', 'second:strategy_state'];
    expect(logLines(path).map((e) => (e.type === 'strategy_state' ? `${e.strategy}:${e.key}` : e.type))).toEqual([...once, ...once]);
  });

  it('stops reactors that feed each other in a loop', () => {
    const engine = new Engine({ log, signals: DEFAULT_PARAMS, clock: new SimulatedClock() });
    engine.use({ name: 'ping', react: (e) => [stateChange(e, 'ping')] });
    engine.use({ name: 'pong', react: (e) => [stateChange(e, 'pong')] });
    expect(() => engine.ingest(makeEvent('timer', 1, { name: 'go' }))).toThrow(/more than 10000 derived events/);
  });

  it('names a reactor that throws or returns an input event, and goes on with the others', () => {
    const engine = new Engine({ log, signals: DEFAULT_PARAMS, clock: new SimulatedClock() });
    engine.use({ name: 'broken', handles: new Set<EventType>(['timer']), react: () => { throw new Error('boom'); } });
    engine.use({ name: 'confused', handles: new Set<EventType>(['timer']), react: (e) => [makeEvent('timer', e.ts, { name: 'x' }) as unknown as DerivedEvent] });
    engine.use({ name: 'fine', handles: new Set<EventType>(['timer']), react: (e) => [stateChange(e, 'fine')] });
    engine.ingest(makeEvent('timer', 10, { name: 'scan' }));
    const out = logLines(path);
    expect(out.map((e) => e.type)).toEqual(['timer', 'error', 'error', 'strategy_state']);
    expect(out[1]).toMatchObject({ source: 'broken', kind: 'throw', message: 'boom', ts: 10 });
    expect(out[2]).toMatchObject({ source: 'confused', kind: 'invalid', ts: 10 });
  });

  it('advances a simulated clock to each input before reactors run, firing due timers', () => {
    const clock = new SimulatedClock();
    const engine = new Engine({ log, signals: DEFAULT_PARAMS, clock });
    const fired: number[] = [];
    const nowSeen: number[] = [];
    engine.use({
      name: 'timers',
      react(e) {
        nowSeen.push(engine.clock.now());
        if (e.type === 'timer' && e.name === 'arm') clock.setTimeout(() => fired.push(clock.now()), 1_500);
      },
    });
    engine.ingest(makeEvent('timer', 1_000, { name: 'arm' }));
    engine.ingest(toEvent({ ...trades[0], T: 2_000 }));
    expect(fired).toEqual([]);
    engine.ingest(makeEvent('timer', 3_000, { name: 'later' }));
    expect(fired).toEqual([2_500]);
    expect(nowSeen).toEqual([1_000, 3_000]);
  });
});
