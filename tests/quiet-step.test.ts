/**
 * `quietStep` (machines/quietStep.ts) stands in for XState's interpreter on events that move no
 * state. Checked here against XState's own pure `transition` on every machine event of the demo
 * backtest (all three strategies): wherever quietStep answers, XState gives the same state, an equal
 * context and emits nothing; where it declines, the wrapper takes XState's step.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { defaultConfig } from '../actors/config/load';
import { runBacktest } from '../actors/backtest/run';
import { flashCrashMachine } from '../machines/flashCrash';
import { fifteenMinMachine } from '../machines/fifteenMin';

const checked = { quiet: new Map<string, number>(), declined: new Map<string, number>(), mismatches: [] as string[] };

jest.mock('../machines/quietStep', () => {
  const actual = jest.requireActual('../machines/quietStep');
  return {
    quietStep(snapshot: AnyMachineSnapshot, event: EventObject) {
      const out = actual.quietStep(snapshot, event);
      const id = (snapshot.machine as { id: string }).id;
      const tally = out === null ? checked.declined : checked.quiet;
      tally.set(id, (tally.get(id) ?? 0) + 1);
      if (out !== null) {
        const [reference, actions] = transition(snapshot.machine, snapshot as never, event);
        const same = JSON.stringify(reference.value) === JSON.stringify(out.value) && reference.status === out.status &&
          JSON.stringify(reference.context) === JSON.stringify(out.context) && !actions.some((a) => (a.type as string) === 'xstate.emit' || (a.type as string) === 'xstate.raise');
        if (!same && checked.mismatches.length < 5) checked.mismatches.push(`${id} ${event.type} at ${JSON.stringify(snapshot.value)}`);
      }
      return out;
    },
  };
});

const DEMO = resolve(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');

describe('quietStep against XState on the demo backtest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-quiet-'));
    await runBacktest({ ticks: [DEMO], config: defaultConfig(), reportDir: dir });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers as XState wherever it answers', () => {
    expect(checked.mismatches).toEqual([]);
  });

  it('answers most events of flash crash and the 15-minute machine, and declines those that move a state', () => {
    for (const id of [flashCrashMachine.id, fifteenMinMachine.id]) {
      const quiet = checked.quiet.get(id) ?? 0;
      const declined = checked.declined.get(id) ?? 0;
      expect(quiet).toBeGreaterThan(10 * declined);
      expect(declined).toBeGreaterThan(0);
    }
  });
});
