import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../actors/config/load';
import type { Strategy } from '../../actors/strategies/types';
import type { LogRecord } from '../../events/log';
import type { AnyEvent, DerivedEvent, EventType } from '../../events/types';
import { demoRun } from './support/demoRun';
import { reportFigures } from './support/figures';
import { chaosSeed, seededRandom } from './support/random';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-chaos-strat-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SNAPSHOTS: ReadonlySet<EventType> = new Set<EventType>(['market_snapshot']);

/** Throws on a seeded 10 % of market snapshots. */
function throwingStrategy(random: () => number): Strategy & { thrown: number; seen: number } {
  return {
    name: 'chaos_thrower',
    handles: SNAPSHOTS,
    thrown: 0,
    seen: 0,
    react(event: AnyEvent): DerivedEvent[] {
      this.seen++;
      if (random() < 0.1) {
        this.thrown++;
        throw new Error(`chaos: thrown on ${event.type} seq ${event.seq}`);
      }
      return [];
    },
    persist: () => ({}),
    restore: () => undefined,
  };
}

const ORDER_TYPES = new Set(['order_intent', 'fill', 'risk_rejection']);
/** The real strategies' order lines, without seq (the extra error events shift it). */
const orderLines = (records: LogRecord[]) => records.filter((r) => ORDER_TYPES.has(r.event.type) && !String((r.event as { strategy?: string }).strategy).startsWith('chaos_')).map((r) => r.line.replace(/"seq":\d+,/, ''));

it('a strategy that throws on 10 % of snapshots leaves the others\u2019 orders byte-identical to a clean run (a hang is the watchdog\u2019s: tests/watchdog.test.ts)', async () => {
  const seed = chaosSeed(7);
  const config = parseConfig({});
  const clean = await demoRun(join(dir, 'clean'), config);
  const thrower = throwingStrategy(seededRandom(seed));
  const faulty = await demoRun(join(dir, 'faulty'), config, [thrower]);

  const errors = faulty.map((r) => r.event).filter((e) => e.type === 'error');
  const bySource = (source: string, kind: string) => errors.filter((e) => e.type === 'error' && e.source === source && e.kind === kind).length;
  expect(thrower.thrown).toBeGreaterThan(0);
  expect(bySource('chaos_thrower', 'throw')).toBe(thrower.thrown);
  expect(errors.filter((e) => e.type === 'error' && !e.source.startsWith('chaos_'))).toEqual([]);

  const expected = orderLines(clean);
  const got = orderLines(faulty);
  expect(expected.length).toBeGreaterThan(10);
  expect(got).toEqual(expected);
  reportFigures('bad strategies beside the real ones (demo backtest)', {
    seed,
    snapshots: thrower.seen,
    strategy_throws: thrower.thrown,
    real_order_lines: expected.length,
    real_order_lines_differing: got.filter((l, i) => l !== expected[i]).length + Math.abs(got.length - expected.length),
  });
}, 120_000);
