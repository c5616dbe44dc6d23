import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createActor } from 'xstate';
import { KeyedMachineStrategy } from '../actors/strategies/keyedMachines';
import { InspectionHub, type LiveActorView } from '../actors/visualizer/inspectionHub';
import { LogIndex } from '../actors/visualizer/logIndex';
import { machineForStrategy, startVisualizer } from '../actors/visualizer/server';
import { SimulatedClock } from '../events/clock';
import { InputError } from '../events/errors';
import { isInputEvent, makeEvent, type AnyEvent, type StrategyStateEvent } from '../events/types';
import { MACHINES } from '../machines/registry';
import { scanIntervalMachine } from '../machines/scanInterval';
import { T0, tradeLogEvents, writeLog } from './visualizer.support';

let dir: string;
let events: AnyEvent[];
let plain: string;
let gz: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'viz-log-'));
  plain = join(dir, 'run.jsonl');
  events = writeLog(plain, tradeLogEvents(6));
  gz = join(dir, 'run.jsonl.gz');
  writeFileSync(gz, gzipSync(readFileSync(plain)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const changes = () => events.filter((e): e is StrategyStateEvent => e.type === 'strategy_state');

/** Every actor's state after `seq`, folded over the events. */
function expectedStates(seq: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of changes()) if (e.seq <= seq) out[`${e.strategy}/${e.key}`] = e.to;
  return out;
}

describe.each([
  ['plain', () => plain],
  ['gzip', () => gz],
])('log index (%s)', (_kind, file) => {
  let index: LogIndex;
  beforeAll(async () => {
    index = await LogIndex.build(file(), { checkpointEvery: 16 });
  });

  it('counts events, types, actors and changes', () => {
    expect(events.length).toBeGreaterThan(900);
    expect(index.events).toBe(events.length);
    expect([index.firstSeq, index.lastSeq]).toEqual([1, events.length]);
    expect([index.firstTs, index.lastTs]).toEqual([events[0].ts, events[events.length - 1].ts]);
    expect(index.types.strategy_state).toBe(changes().length);
    expect(index.types.trade).toBe(events.filter((e) => e.type === 'trade').length);
    expect(index.changeCount).toBe(30);
    expect(index.actors().map((a) => a.actor)).toEqual(['flashCrash/tokA', 'flashCrash/tokB']);
  });

  it('pages events from any seq and before any seq, across checkpoints', async () => {
    for (const seq of [1, 15, 16, 17, 400, events.length - 3]) {
      expect((await index.eventsFrom(seq, 20)).map((e) => e.seq)).toEqual(events.filter((e) => e.seq >= seq).slice(0, 20).map((e) => e.seq));
      expect((await index.eventsBefore(seq, 37)).map((e) => e.seq)).toEqual(events.filter((e) => e.seq < seq).slice(-37).map((e) => e.seq));
    }
    const [e] = await index.eventsFrom(500, 1);
    expect(e.event).toEqual(JSON.parse(JSON.stringify(events[499])));
    expect(await index.eventsFrom(events.length + 1, 5)).toEqual([]);
  });

  it('states at any seq are the fold of the changes before it', () => {
    for (const seq of [0, 100, 333, 700, events.length]) {
      const got = Object.fromEntries(index.statesAt(seq).map((s) => [s.actor, s.state]));
      expect(got).toEqual(expectedStates(seq));
    }
  });

  it('steps to the next and previous change, of any actor or of one', () => {
    const all = changes();
    expect(index.stepChange(0, 1)!.seq).toBe(all[0].seq);
    expect(index.stepChange(all[3].seq, 1)!.seq).toBe(all[4].seq);
    expect(index.stepChange(all[3].seq, -1)!.seq).toBe(all[2].seq);
    expect(index.stepChange(all[0].seq, -1)).toBeNull();
    const tokB = all.filter((e) => e.key === 'tokB');
    expect(index.stepChange(0, 1, 'flashCrash/tokB')).toMatchObject({ seq: tokB[0].seq, from: 'watching', to: 'entering', strategy: 'flashCrash', key: 'tokB' });
    expect(index.stepChange(tokB[2].seq, -1, 'flashCrash/tokB')!.seq).toBe(tokB[1].seq);
    expect(index.stepChange(0, 1, 'nobody/x')).toBeNull();
  });

  it('jumps to the first event at or after a time', async () => {
    for (const ts of [T0, events[321].ts, events[321].ts + 1, events[events.length - 1].ts]) {
      expect(await index.seqAtTime(ts)).toBe(events.find((e) => e.ts >= ts)!.seq);
    }
    expect(await index.seqAtTime(events[events.length - 1].ts + 1)).toBeNull();
  });

  it('shows what caused a state change: the book update, the order it emitted, the fill after, the last signal and snapshot', async () => {
    const change = changes()[15]; // tokB watching -> entering in round 4 (5 changes a round)
    expect([change.from, change.to]).toEqual(['watching', 'entering']);
    const cause = (await index.cause(change.seq))!;
    const before = events.filter((e) => e.seq < change.seq);
    const trigger = [...before].reverse().find(isInputEvent)!;
    expect(cause.trigger!.seq).toBe(trigger.seq);
    expect(cause.trigger!.type).toBe('book');
    expect(cause.between.map((e) => e.type)).toEqual(['order_intent']);
    expect(cause.between[0].event.orderId).toBe('flashCrash:tokB:7');
    expect(cause.after.map((e) => e.type)).toEqual(['fill']);
    expect(cause.lastSignal!.seq).toBe([...before].reverse().find((e) => e.type === 'signal')!.seq);
    expect(cause.lastSnapshot!.seq).toBe([...before].reverse().find((e) => e.type === 'market_snapshot')!.seq);
    const recentTypes = new Set(['order_intent', 'fill', 'exchange_fill', 'risk_rejection', 'decision', 'llm_answer']);
    expect(cause.recent.map((e) => e.seq)).toEqual(before.filter((e) => recentTypes.has(e.type)).slice(-6).map((e) => e.seq));
    expect(cause.previous!.seq).toBe(changes().filter((e) => e.key === 'tokB' && e.seq < change.seq).pop()!.seq);
    expect((await index.cause(changes()[5].seq))!.previous).toBeNull();
    expect(await index.cause(trigger.seq)).toBeNull();
  });
});

describe('log index bounds and bad input', () => {
  let bad: string;
  beforeAll(() => {
    bad = mkdtempSync(join(tmpdir(), 'viz-bad-'));
  });
  afterAll(() => rmSync(bad, { recursive: true, force: true }));

  it('keeps at most maxChanges changes and counts the rest', async () => {
    const index = await LogIndex.build(plain, { maxChanges: 10 });
    expect(index.changeCount).toBe(10);
    expect(index.changesTruncated).toBe(20);
  });

  it('names the file, line and field of a bad line', async () => {
    const lines = readFileSync(plain, 'utf8').split('\n');
    const stateLine = lines.findIndex((l) => l.includes('"strategy_state"'));
    lines[stateLine] = lines[stateLine].replace(/,"to":"[a-z]+"/, '');
    const noTo = join(bad, 'no-to.jsonl');
    writeFileSync(noTo, lines.join('\n'));
    await expect(LogIndex.build(noTo)).rejects.toThrow(new InputError({ file: noTo, line: stateLine + 1 }, 'to', 'expected a string, got undefined').message);
    const backwards = join(bad, 'backwards.jsonl');
    const two = readFileSync(plain, 'utf8').split('\n').slice(0, 3);
    writeFileSync(backwards, [two[0], two[2], two[1]].join('\n') + '\n');
    await expect(LogIndex.build(backwards)).rejects.toMatchObject({ name: 'InputError', where: { file: backwards, line: 3 }, field: 'seq' });
  });
});

describe('visualizer HTTP API', () => {
  it('serves the page, the machines and the log over loopback; bad parameters are 400', async () => {
    const index = await LogIndex.build(plain, { checkpointEvery: 32 });
    const server = await startVisualizer({ port: 0, log: index });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(server.url);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('<script src="app.js">');
      const machines = (await (await fetch(`${server.url}api/machines`)).json()) as { name: string }[];
      expect(machines.map((m) => m.name)).toEqual(MACHINES.map((m) => m.name));
      const info = (await (await fetch(`${server.url}api/log`)).json()) as { events: number; actors: { actor: string; machine: string }[] };
      expect(info.events).toBe(events.length);
      expect(info.actors).toEqual([
        { actor: 'flashCrash/tokA', strategy: 'flashCrash', key: 'tokA', machine: 'flashCrash' },
        { actor: 'flashCrash/tokB', strategy: 'flashCrash', key: 'tokB', machine: 'flashCrash' },
      ]);
      const step = (await (await fetch(`${server.url}api/log/step?seq=0&dir=next`)).json()) as { change: { seq: number } };
      expect(step.change.seq).toBe(changes()[0].seq);
      const snapshotSeq = events.find((e) => e.type === 'market_snapshot')!.seq;
      const page2 = (await (await fetch(`${server.url}api/log/events?from=${snapshotSeq}&count=1`)).json()) as { type: string }[];
      expect(page2[0].type).toBe('market_snapshot');
      const bad = await fetch(`${server.url}api/log/events?from=abc`);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toContain("'from'");
      expect((await fetch(`${server.url}api/log/cause?seq=1`)).status).toBe(404);
      expect((await fetch(`${server.url}../../package.json`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('maps strategy names to registry machines', () => {
    expect(machineForStrategy('flash_crash', MACHINES)).toBe('flashCrash');
    expect(machineForStrategy('flashCrash', MACHINES)).toBe('flashCrash');
    expect(machineForStrategy('negRisk', MACHINES)).toBe('negRisk');
    expect(machineForStrategy('fifteen-min', MACHINES)).toBe('fifteenMin');
    expect(machineForStrategy('mystery', MACHINES)).toBeNull();
    expect(machineForStrategy('mystery', MACHINES, { mystery: 'llmCache' })).toBe('llmCache');
  });
});

describe('inspection hub', () => {
  const input = { baseIntervalMs: 60_000, minIntervalMs: 10_000, volatilityThreshold: 0.05, sampleMarkets: 10 };
  const volatile = { type: 'SNAPSHOT' as const, ts: T0, markets: [{ id: 'm', outcomePrices: ['0.90', '0.10'], bestBid: null, bestAsk: null }] };
  const calm = { type: 'SNAPSHOT' as const, ts: T0 + 1000, markets: [{ id: 'm', outcomePrices: ['0.50', '0.50'], bestBid: null, bestAsk: null }] };

  it('follows a real actor, batches changes per flush interval and keeps the last events bounded', () => {
    const clock = new SimulatedClock(T0);
    const hub = new InspectionHub({ clock, flushMs: 100, eventsPerActor: 3 });
    const batches: LiveActorView[][] = [];
    hub.subscribe((changed) => batches.push(structuredClone(changed)));
    const actor = createActor(scanIntervalMachine, { input, inspect: hub.inspect, id: 'scan/all' }).start();
    expect(hub.actor('scan/all')).toMatchObject({ machine: 'scanInterval', state: 'normal', active: ['normal'] });
    actor.send(volatile);
    expect(hub.actor('scan/all')!.state).toBe('fast');
    expect(batches).toEqual([]);
    clock.advanceTo(T0 + 100);
    expect(batches.length).toBe(1);
    expect(batches[0].map((a) => [a.label, a.state])).toEqual([['scan/all', 'fast']]);
    const moved = batches[0][0].lastEvents.filter((e) => e.moved);
    expect(moved.map((e) => [e.type, e.from, e.to])).toEqual([
      ['xstate.init', '', 'normal'],
      ['SNAPSHOT', 'normal', 'fast'],
    ]);
    actor.send(calm);
    actor.send(calm);
    actor.send(volatile);
    clock.advanceTo(T0 + 200);
    const last = batches[1][0];
    expect(last.events).toBe(5);
    expect(last.lastEvents.map((e) => [e.n, e.from, e.to])).toEqual([
      [3, 'fast', 'normal'],
      [4, 'normal', 'normal'],
      [5, 'normal', 'fast'],
    ]);
    actor.stop();
    expect(hub.actor('scan/all')!.status).toBe('stopped');
  });

  it('drops stopped actors first when full; KeyedMachineStrategy names its actors <strategy>/<key>', () => {
    const clock = new SimulatedClock(T0);
    const hub = new InspectionHub({ clock, maxActors: 2 });
    const a = createActor(scanIntervalMachine, { input, inspect: hub.inspect, id: 'a' }).start();
    createActor(scanIntervalMachine, { input, inspect: hub.inspect, id: 'b' }).start();
    a.stop();
    const strategy = new KeyedMachineStrategy(
      {
        name: 'scan',
        machine: scanIntervalMachine,
        handles: ['market_snapshot'],
        route: (e) => [{ key: 'all', event: { type: 'SNAPSHOT' as const, ts: e.ts, markets: [{ id: 'm', outcomePrices: ['0.90', '0.10'], bestBid: null, bestAsk: null }] }, input }],
      },
      { inspect: hub.inspect },
    );
    const out = strategy.react(makeEvent('market_snapshot', T0, { source: 'gamma', request: '/markets', markets: [] }), { now: T0, markets: undefined as never, position: () => '0' });
    expect(out.map((e) => e.type)).toEqual(['strategy_state']);
    expect(hub.actors().map((x) => [x.label, x.state])).toEqual([
      ['b', 'normal'],
      ['scan/all', 'fast'],
    ]);
  });
});
