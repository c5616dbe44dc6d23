import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import { runBacktest } from '../actors/backtest/run';
import { defaultConfig } from '../actors/config/load';
import { Portfolio } from '../actors/execution/portfolio';
import { TradingService } from '../actors/service/service';
import type { KeyedMachineStrategy } from '../actors/strategies/keyedMachines';
import { SystemClock } from '../events/clock';
import { InputError } from '../events/errors';
import { EventLogWriter, lineWithSeq, parseEventLine, readAllEvents, type LogRecord } from '../events/log';
import { eventVersion, isInputType, STRATEGY_NAMED_TYPES } from '../events/types';

/**
 * Event version 2 renamed the flash-crash strategy `flash_crash` -> `flashCrash` (events/migrate.ts).
 * The fixture is the head of the demo's event log as version 1 wrote it.
 */
const OLD_LOG = resolve(__dirname, 'fixtures/logs/demo-v1.head2700.events.jsonl.gz');
const DEMO = resolve(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');
const quiet = pino({ level: 'silent' });
const oldLines = gunzipSync(readFileSync(OLD_LOG)).toString('utf8').trim().split('\n');

let dir: string;
let current: LogRecord[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pma-versions-'));
  await runBacktest({ ticks: [DEMO], config: defaultConfig(), reportDir: join(dir, 'now') });
  current = (await readAllEvents(join(dir, 'now', 'events.jsonl'))).records;
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('event version 1 logs (flash crash named flash_crash)', () => {
  it('the fixture is an old log: version 1 throughout, naming flash_crash in strategies and order ids', () => {
    expect(oldLines).toHaveLength(2700);
    expect(oldLines.every((l) => l.startsWith('{"v":1,'))).toBe(true);
    expect(oldLines.filter((l) => l.includes('"type":"fill"') && l.includes('"strategy":"flash_crash"') && l.includes('"orderId":"flash_crash:'))).toHaveLength(6);
  });

  it('reads as version 2: every event equals the one the current code writes from the same inputs', async () => {
    const old = (await readAllEvents(OLD_LOG)).records;
    expect(old.map((r) => JSON.stringify(r.event))).toEqual(current.slice(0, old.length).map((r) => r.line));
    const named = old.filter((r) => (STRATEGY_NAMED_TYPES as readonly string[]).includes(r.event.type));
    expect(named.map((r) => r.event.type).sort()).toEqual([...Array(6).fill('fill'), ...Array(6).fill('order_intent'), ...Array(13).fill('strategy_state')]);
    for (const r of old) expect(r.event.v).toBe(eventVersion(r.event.type));
    const fills = old.map((r) => r.event).filter((e) => e.type === 'fill');
    expect(fills.map((f) => f.type === 'fill' && f.strategy)).toEqual(Array(6).fill('flashCrash'));
    expect(fills.every((f) => f.type === 'fill' && f.orderId.startsWith('flashCrash:model:'))).toBe(true);
  });

  it('copied into a log (appendLine, lineWithSeq), old lines come out as the current version writes them', async () => {
    const path = join(dir, 'copied.jsonl');
    const w = EventLogWriter.open(path, { truncate: true });
    for (const line of oldLines) w.appendLine(line);
    w.close();
    const want = current.slice(0, oldLines.length).map((r) => r.line);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toEqual(want);
    expect(oldLines.map((l, i) => lineWithSeq(l, i + 1))).toEqual(want);
    // As the engine appends what it read (appendRead): a line copied through only where it is current.
    const read = join(dir, 'read.jsonl');
    const r = EventLogWriter.open(read, { truncate: true });
    for (const rec of (await readAllEvents(OLD_LOG)).records) r.appendRead(rec.event, rec.line);
    r.close();
    expect(readFileSync(read, 'utf8').trim().split('\n')).toEqual(want);
  });

  it('a service restarting on an old log rebuilds the state a new log gives: positions and machines under flashCrash', async () => {
    // The old log cut at the first input boundary at which the flash-crash strategy holds a position.
    const old = (await readAllEvents(OLD_LOG)).records;
    const folded = new Portfolio(defaultConfig().risk.startingCapital);
    let cut = -1;
    for (let i = 0; i + 1 < old.length && cut < 0; i++) {
      folded.apply(old[i].event);
      if (folded.positions().length > 0 && isInputType(old[i + 1].event.type)) cut = i + 1;
    }
    expect(cut).toBeGreaterThan(0);
    const logPath = join(dir, 'old-live.jsonl');
    writeFileSync(logPath, oldLines.slice(0, cut).join('\n') + '\n');

    const svc = new TradingService({ config: defaultConfig(), logPath, env: {}, logger: quiet, clock: new SystemClock() });
    const rebuilt = await svc.rebuild();
    expect(rebuilt.events).toBe(cut);
    // The old log's last derived events are those the rebuild derives, read as version 2.
    expect(rebuilt.derivedMismatch).toBeNull();
    expect(old.slice(0, cut).filter((r) => r.event.type === 'fill').length).toBeGreaterThan(0);
    const capital = defaultConfig().risk.startingCapital;
    const expected = Portfolio.fromEvents(capital, current.slice(0, cut).map((r) => r.event));
    expect(JSON.stringify(svc.system.portfolio)).toBe(JSON.stringify(expected));
    const held = svc.system.portfolio.positions();
    expect(held.map((p) => p.strategy)).toEqual(['flashCrash']);
    const owner = svc.system.strategies.find((s) => s.name === 'flashCrash') as KeyedMachineStrategy<never>;
    expect(owner.states()[held[0].tokenId]).toBe('holding');
  });

  it('upgrades each version-1 line of a named type by its fields; other types and current lines are left as they are', () => {
    const read = (line: string) => JSON.stringify(parseEventLine(line, 'old.jsonl', 1));
    expect(read('{"v":1,"seq":1,"ts":5,"type":"exchange_fill","orderId":"flash_crash:tok:3","tokenId":"tok","side":"SELL","price":"0.5","size":"2","fee":"0"}')).toBe(
      '{"v":2,"seq":1,"ts":5,"type":"exchange_fill","orderId":"flashCrash:tok:3","tokenId":"tok","side":"SELL","price":"0.5","size":"2","fee":"0"}',
    );
    expect(read('{"v":1,"seq":1,"ts":5,"type":"order_update","orderId":"flash_crash:tok:3","strategy":"flash_crash","tokenId":"tok","exchangeOrderId":"0x1","status":"accepted","reason":"live","detail":""}')).toBe(
      '{"v":2,"seq":1,"ts":5,"type":"order_update","orderId":"flashCrash:tok:3","strategy":"flashCrash","tokenId":"tok","exchangeOrderId":"0x1","status":"accepted","reason":"live","detail":""}',
    );
    expect(read('{"v":1,"seq":1,"ts":5,"type":"error","source":"flash_crash","kind":"throw","message":"boom"}')).toBe('{"v":2,"seq":1,"ts":5,"type":"error","source":"flashCrash","kind":"throw","message":"boom"}');
    // Other strategies only change version; a name that merely contains the old one is kept.
    expect(read('{"v":1,"seq":1,"ts":5,"type":"risk_rejection","orderId":"fifteenMin:BTC:1","strategy":"fifteenMin","reason":"r","detail":"flash_crash"}')).toBe(
      '{"v":2,"seq":1,"ts":5,"type":"risk_rejection","orderId":"fifteenMin:BTC:1","strategy":"fifteenMin","reason":"r","detail":"flash_crash"}',
    );
    const timer = '{"v":1,"seq":1,"ts":5,"type":"timer","name":"flash_crash"}';
    expect(read(timer)).toBe(timer);
    expect(() => parseEventLine('{"v":2,"seq":1,"ts":5,"type":"timer","name":"tick"}', 'new.jsonl', 7)).toThrow(new InputError({ file: 'new.jsonl', line: 7 }, 'v', 'expected event version 1, got 2'));
    expect(() => parseEventLine('{"v":3,"seq":1,"ts":5,"type":"exchange_fill","orderId":"o","tokenId":"t","side":"BUY","price":"0.5","size":"1","fee":"0"}', 'new.jsonl', 8)).toThrow('expected event version 2, got 3');
  });
});
