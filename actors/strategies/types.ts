import type { AnyEvent, DerivedEvent, EventType } from '../../events/types';
import type { MarketView } from '../../domain/market/marketState';

/** What a strategy may read besides the event: the markets and its own open positions (read only: one context may serve several events of one ms). */
export interface StrategyContext {
  /** Event time of the event being handled. */
  readonly now: number;
  readonly markets: MarketView;
  /** Shares this strategy holds of a token ("0" when none), from the portfolio fold. */
  readonly position: (tokenId: string) => string;
}

/**
 * A strategy actor as the supervisor sees it. `react` is called with every event of the types it
 * `handles` (market snapshots, books, signals, timers, and the fills and rejections of its own
 * orders) and returns the derived events it causes: order intents, state changes, decisions.
 * It must take time only from `ctx.now`, so that a replay gives the same answers.
 */
export interface Strategy {
  readonly name: string;
  readonly handles: ReadonlySet<EventType>;
  /** Synchronous: the supervisor restarts a strategy whose reaction throws (or returns anything but an array). */
  react(event: AnyEvent, ctx: StrategyContext): DerivedEvent[];
  /** A snapshot of every machine, to restart from the last good state (taken after every reaction unless the strategy has `checkpoint`/`rollback`: then keep it cheap). */
  persist(): unknown;
  restore(snapshot: unknown): void;
  /**
   * Optional, for a strategy whose state is costly to snapshot after every reaction: `checkpoint()` marks
   * the state now as the last good one, `rollback()` returns to it (before any checkpoint: the state it was
   * built or restored with). The supervisor uses the pair when a strategy has both, instead of `persist()`
   * after every reaction and `restore()` after a failure.
   */
  checkpoint?(): void;
  rollback?(): void;
}
