import type { SignalEvent, TradeEvent } from '../../events/types';
import { JudgementQueue } from './judgementQueue';
import { BySymbol } from './bySymbol';

/**
 * Signal quality at several horizons, for signals and for signal episodes (reports and `pma signals`,
 * never trading). A signal is false at a horizon when the last trade price of its symbol at or before
 * the horizon is on the wrong side of the signal's price (lower after a bullish signal, higher after a
 * bearish one). Horizons: 10 s, 30 s, 60 s after the signal, and the end of the 15-minute window the
 * signal falls in (the question the 15-minute Up/Down market pays on).
 *
 * An episode is a run of same-direction signals of one symbol and one class (volume-confirmed or not),
 * each within `episodeGapMs` of the previous one: a burst of prints counts once, judged from its first
 * signal. Signals whose horizon runs past the end of the data are `unevaluated`.
 */

export const HORIZON_NAMES = ['10s', '30s', '60s', 'windowEnd'] as const;
export type HorizonName = (typeof HORIZON_NAMES)[number];

const FIXED_MS: Record<Exclude<HorizonName, 'windowEnd'>, number> = { '10s': 10_000, '30s': 30_000, '60s': 60_000 };
export const WINDOW_MS = 900_000;

export interface HorizonCounts {
  judged: number;
  falseSignals: number;
  unevaluated: number;
  /** falseSignals / judged, or null when none could be judged. */
  falseSignalRate: number | null;
}

export interface ClassQuality {
  signals: number;
  episodes: number;
  bySignal: Record<HorizonName, HorizonCounts>;
  byEpisode: Record<HorizonName, HorizonCounts>;
}

export interface HorizonQuality {
  episodeGapMs: number;
  horizons: HorizonName[];
  confirmed: ClassQuality;
  unconfirmed: ClassQuality;
  /** Per horizon: the confirmed episodes' false-signal rate is below the unconfirmed ones' (null: either undefined). */
  confirmationReducesFalseSignals: Record<HorizonName, boolean | null>;
}

/** When a signal at `ts` is judged at `horizon`. */
export function horizonDeadline(horizon: HorizonName, ts: number): number {
  return horizon === 'windowEnd' ? Math.floor(ts / WINDOW_MS) * WINDOW_MS + WINDOW_MS : ts + FIXED_MS[horizon];
}

interface Tally {
  signals: number;
  episodes: number;
  bySignal: Record<HorizonName, { falseSignals: number; judged: number; unevaluated: number }>;
  byEpisode: Record<HorizonName, { falseSignals: number; judged: number; unevaluated: number }>;
}

const perHorizon = () => Object.fromEntries(HORIZON_NAMES.map((h) => [h, { falseSignals: 0, judged: 0, unevaluated: 0 }])) as Tally['bySignal'];

type Counts = { falseSignals: number; judged: number; unevaluated: number };

/** A judgement's tag: bit 0 bullish, bit 1 confirmed, bit 2 an episode's (not a signal's) judgement. */
const BULLISH = 1;
const CONFIRMED = 2;
const EPISODE = 4;

/** One symbol: per horizon the judgements still waiting (deadlines ascending), the earliest of their deadlines, its last trade price (as written), its last signal per class. */
interface SymbolState {
  queues: JudgementQueue[];
  nextDeadline: number;
  lastPrice: string | null;
  /** Per class (0 unconfirmed, 1 confirmed): the last signal's ts (-Infinity: none yet) and direction. */
  lastSignalTs: [number, number];
  lastSignalBullish: [boolean, boolean];
}

export class SignalHorizons {
  private readonly tally = { confirmed: newTally(), unconfirmed: newTally() };
  private readonly symbols = new BySymbol<SymbolState>();
  /** Per horizon, the counts a judgement adds to, by its tag without the direction bit (`tag >> 1`). */
  private readonly countsByTag: Counts[][] = HORIZON_NAMES.map((h) => [this.tally.unconfirmed.bySignal[h], this.tally.confirmed.bySignal[h], this.tally.unconfirmed.byEpisode[h], this.tally.confirmed.byEpisode[h]]);
  private counts: Counts[] = [];
  private readonly judged = (tag: number, wrong: boolean): void => {
    const c = this.counts[tag >> 1];
    c.judged++;
    if (wrong) c.falseSignals++;
  };
  private readonly unevaluated = (tag: number): void => {
    this.counts[tag >> 1].unevaluated++;
  };

  constructor(readonly episodeGapMs = 10_000) {}

  onTrade(trade: TradeEvent): void {
    const s = this.symbolState(trade.symbol);
    if (s.nextDeadline < trade.ts) {
      const before = Number(s.lastPrice);
      let next = Infinity;
      for (let h = 0; h < s.queues.length; h++) {
        const queue = s.queues[h];
        this.counts = this.countsByTag[h];
        queue.judgeBefore(trade.ts, before, this.judged);
        if (queue.firstDeadline < next) next = queue.firstDeadline;
      }
      s.nextDeadline = next;
    }
    s.lastPrice = trade.price;
  }

  onSignal(signal: SignalEvent): void {
    const t = signal.confirmed ? this.tally.confirmed : this.tally.unconfirmed;
    const bullish = signal.direction === 'bullish';
    const s = this.symbolState(signal.symbol);
    const c = signal.confirmed ? 1 : 0;
    const newEpisode = s.lastSignalTs[c] === -Infinity || s.lastSignalBullish[c] !== bullish || signal.ts - s.lastSignalTs[c] > this.episodeGapMs;
    s.lastSignalTs[c] = signal.ts;
    s.lastSignalBullish[c] = bullish;
    t.signals++;
    if (newEpisode) t.episodes++;
    const price = Number(signal.price);
    const tag = (bullish ? BULLISH : 0) | (signal.confirmed ? CONFIRMED : 0);
    for (let h = 0; h < HORIZON_NAMES.length; h++) {
      const deadline = horizonDeadline(HORIZON_NAMES[h], signal.ts);
      s.queues[h].push(deadline, price, tag);
      if (newEpisode) s.queues[h].push(deadline, price, tag | EPISODE);
      if (deadline < s.nextDeadline) s.nextDeadline = deadline;
    }
  }

  private symbolState(symbol: string): SymbolState {
    return this.symbols.get(symbol, newSymbol);
  }

  /** Judgements still waiting at the end of the data are unevaluated. */
  finish(): HorizonQuality {
    for (const { queues } of this.symbols.values()) {
      queues.forEach((queue, h) => {
        this.counts = this.countsByTag[h];
        queue.drain(this.unevaluated);
      });
    }
    const confirmed = quality(this.tally.confirmed);
    const unconfirmed = quality(this.tally.unconfirmed);
    const reduces = Object.fromEntries(
      HORIZON_NAMES.map((h) => {
        const c = confirmed.byEpisode[h].falseSignalRate;
        const u = unconfirmed.byEpisode[h].falseSignalRate;
        return [h, c === null || u === null ? null : c < u];
      }),
    ) as Record<HorizonName, boolean | null>;
    return { episodeGapMs: this.episodeGapMs, horizons: [...HORIZON_NAMES], confirmed, unconfirmed, confirmationReducesFalseSignals: reduces };
  }
}

function newSymbol(): SymbolState {
  return { queues: HORIZON_NAMES.map(() => new JudgementQueue()), nextDeadline: Infinity, lastPrice: null, lastSignalTs: [-Infinity, -Infinity], lastSignalBullish: [false, false] };
}

function newTally(): Tally {
  return { signals: 0, episodes: 0, bySignal: perHorizon(), byEpisode: perHorizon() };
}

function quality(t: Tally): ClassQuality {
  const rate = (c: { falseSignals: number; judged: number; unevaluated: number }): HorizonCounts => ({ ...c, falseSignalRate: c.judged > 0 ? c.falseSignals / c.judged : null });
  const map = (r: Tally['bySignal']) => Object.fromEntries(HORIZON_NAMES.map((h) => [h, rate(r[h])])) as Record<HorizonName, HorizonCounts>;
  return { signals: t.signals, episodes: t.episodes, bySignal: map(t.bySignal), byEpisode: map(t.byEpisode) };
}
