/**
 * Supervisor benchmark (docs/benchmarks.md): the three default strategies (flash crash, 15-minute
 * crypto, negRisk) react synchronously; one scan cycle hands one market snapshot to all three. Each
 * cycle is timed through the `Supervisor` (isolation: a throw is caught and the strategy restarted
 * from its last good state, so it persists after each reaction) and as three direct calls.
 * `supervisor_overhead_ratio` = supervised / direct median cycle time. The snapshots are the market
 * model's quotes for the demo tick file's Binance trades.
 */
import { resolve } from 'node:path';
import { defaultConfig } from '../actors/config/load';
import { Portfolio } from '../actors/execution/portfolio';
import type { Strategy, StrategyContext } from '../actors/strategies/types';
import { Supervisor } from '../actors/supervisor';
import { configuredStrategies } from '../actors/system';
import { monotonicMs, SimulatedClock } from '../events/clock';
import { readEventBatches } from '../events/log';
import type { DerivedEvent, InputEvent, MarketSnapshotEvent, TradeEvent } from '../events/types';
import { MarketState } from '../domain/market/marketState';
import { FifteenMinMarketModel } from '../actors/backtest/marketModel';

export const name = 'supervisor';

const CYCLES = 200;
const DEMO = resolve(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');

/** The model's first quoted snapshots of the demo file, with the market state they build. */
async function snapshots(count: number): Promise<{ events: MarketSnapshotEvent[]; markets: MarketState }> {
  const model = new FifteenMinMarketModel();
  const markets = new MarketState();
  const events: MarketSnapshotEvent[] = [];
  const take = (e: InputEvent) => {
    markets.apply(e);
    if (e.type === 'market_snapshot' && events.length < count) events.push(e);
  };
  for await (const batch of readEventBatches(DEMO)) {
    for (const r of batch) if (r.event.type === 'trade') model.onTrade(r.event as TradeEvent).forEach(take);
    if (events.length >= count) break;
  }
  if (events.length < count) throw new Error(`supervisor bench: only ${events.length} model snapshots in ${DEMO}`);
  return { events, markets };
}

function strategies(): Strategy[] {
  const config = defaultConfig();
  const real = configuredStrategies(config, new Portfolio(config.risk.startingCapital), new SimulatedClock(0));
  if (real.length !== 3 || !real.every((s) => s.handles.has('market_snapshot'))) throw new Error('supervisor bench: expected the three default strategies, each handling market_snapshot');
  return real;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(): Promise<Record<string, number | string>> {
  const { events, markets } = await snapshots(CYCLES);
  const ctx = (now: number): StrategyContext => ({ now, markets, position: () => '0' });

  const supervisor = new Supervisor(strategies());
  const supervised: number[] = [];
  const supervisedOut: string[] = [];
  for (const e of events) {
    const start = monotonicMs();
    const out = supervisor.dispatch(e, () => ctx(e.ts));
    supervised.push(monotonicMs() - start);
    supervisedOut.push(JSON.stringify(out));
  }

  const plain = strategies();
  const direct: number[] = [];
  const directOut: string[] = [];
  for (const e of events) {
    const start = monotonicMs();
    const out: DerivedEvent[] = [];
    for (const s of plain) out.push(...s.react(e, ctx(e.ts)));
    direct.push(monotonicMs() - start);
    directOut.push(JSON.stringify(out));
  }
  // The same work either way (outputs and the machines' states after the cycles): only the supervision differs.
  const states = (list: readonly Strategy[]) => JSON.stringify(list.map((s) => s.persist()));
  if (supervisedOut.join('\n') !== directOut.join('\n') || states(supervisor.strategies) !== states(plain)) {
    throw new Error('supervisor bench: the supervised and direct cycles came to different outputs or states');
  }
  if (supervisor.health().some((h) => h.errors > 0)) throw new Error(`supervisor bench: a strategy failed: ${JSON.stringify(supervisor.health())}`);

  const sup = median(supervised);
  const dir = median(direct);
  return {
    scan_cycle_supervised_ms: sup,
    scan_cycle_direct_ms: dir,
    supervisor_overhead_ratio: sup / dir,
  };
}
