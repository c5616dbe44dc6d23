/**
 * Supervisor benchmark (issue 3, docs/backtest.md, docs/benchmarks.md): three real strategies
 * (flash crash, 15-minute crypto, negRisk, as configured by default) whose reactions each wait
 * 200 ms of simulated I/O on a real timer before deciding. One scan cycle hands one market snapshot
 * to all three; it is timed with the `Supervisor` (all at once) and with the three awaited one
 * after another. `scan_parallel_speedup` = sequential / supervised median cycle time (at most 3.0).
 * The snapshots are the market model's quotes for the demo tick file's Binance trades.
 */
import { resolve } from 'node:path';
import { defaultConfig } from '../actors/config/load';
import { Portfolio } from '../actors/execution/portfolio';
import type { Strategy, StrategyContext } from '../actors/strategies/types';
import { Supervisor } from '../actors/supervisor';
import { configuredStrategies } from '../actors/system';
import { monotonicMs, SimulatedClock, SystemClock } from '../events/clock';
import { readEventBatches } from '../events/log';
import type { AnyEvent, DerivedEvent, EventType, InputEvent, MarketSnapshotEvent, TradeEvent } from '../events/types';
import { MarketState } from '../streams/marketState';
import { FifteenMinMarketModel } from '../streams/marketModel';

export const name = 'supervisor';

const IO_MS = 200;
const CYCLES = 5;
const DEMO = resolve(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');

/** A strategy that does its I/O (here a 200 ms wait on a real timer, like a book fetch) before deciding. */
class StrategyWithIo implements Strategy {
  readonly name: string;
  readonly handles: ReadonlySet<EventType>;
  constructor(
    private readonly inner: Strategy,
    private readonly clock: SystemClock,
  ) {
    this.name = inner.name;
    this.handles = inner.handles;
  }
  async react(event: AnyEvent, ctx: StrategyContext): Promise<DerivedEvent[]> {
    await this.clock.sleep(IO_MS);
    return this.inner.react(event, ctx);
  }
  persist(): unknown {
    return this.inner.persist();
  }
  restore(snapshot: unknown): void {
    this.inner.restore(snapshot);
  }
}

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

function strategies(clock: SystemClock): Strategy[] {
  const config = defaultConfig();
  const real = configuredStrategies(config, new Portfolio(config.risk.startingCapital), new SimulatedClock(0));
  if (real.length !== 3 || !real.every((s) => s.handles.has('market_snapshot'))) throw new Error('supervisor bench: expected the three default strategies, each handling market_snapshot');
  return real.map((s) => new StrategyWithIo(s, clock));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(): Promise<Record<string, number | string>> {
  const clock = new SystemClock();
  const { events, markets } = await snapshots(CYCLES);
  const ctx = (now: number): StrategyContext => ({ now, markets, position: () => '0' });

  const supervisor = new Supervisor(strategies(clock), { deadlineMs: 5 * IO_MS, deadlineClock: clock });
  const supervised: number[] = [];
  const supervisedOut: string[] = [];
  for (const e of events) {
    const start = monotonicMs();
    const out = await supervisor.dispatch(e, () => ctx(e.ts));
    supervised.push(monotonicMs() - start);
    supervisedOut.push(JSON.stringify(out));
  }

  const plain = strategies(clock);
  const sequential: number[] = [];
  const sequentialOut: string[] = [];
  for (const e of events) {
    const start = monotonicMs();
    const out: DerivedEvent[] = [];
    for (const s of plain) out.push(...(await s.react(e, ctx(e.ts))));
    sequential.push(monotonicMs() - start);
    sequentialOut.push(JSON.stringify(out));
  }
  // The same work either way (outputs and the machines' states after the cycles): only the waiting differs.
  const states = (list: readonly Strategy[]) => JSON.stringify(list.map((s) => s.persist()));
  if (supervisedOut.join('\n') !== sequentialOut.join('\n') || states(supervisor.strategies) !== states(plain)) {
    throw new Error('supervisor bench: the supervised and sequential cycles came to different outputs or states');
  }
  if (supervisor.health().some((h) => h.errors + h.timeouts > 0)) throw new Error(`supervisor bench: a strategy failed: ${JSON.stringify(supervisor.health())}`);

  const par = median(supervised);
  const seq = median(sequential);
  return {
    scan_cycle_supervised_ms: par,
    scan_cycle_sequential_ms: seq,
    scan_parallel_speedup: seq / par,
  };
}
