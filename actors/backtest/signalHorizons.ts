import type { SignalEvent, TradeEvent } from '../../events/types';

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

interface Pending {
  deadline: number;
  price: number;
  bullish: boolean;
  counts: { falseSignals: number; judged: number; unevaluated: number };
}

interface Tally {
  signals: number;
  episodes: number;
  bySignal: Record<HorizonName, { falseSignals: number; judged: number; unevaluated: number }>;
  byEpisode: Record<HorizonName, { falseSignals: number; judged: number; unevaluated: number }>;
}

const perHorizon = () => Object.fromEntries(HORIZON_NAMES.map((h) => [h, { falseSignals: 0, judged: 0, unevaluated: 0 }])) as Tally['bySignal'];

/** One symbol: per horizon the judgements still waiting (deadlines ascending), the earliest of their deadlines, its last trade price (as written). */
interface SymbolState {
  lists: Pending[][];
  nextDeadline: number;
  lastPrice: string | null;
}

export class SignalHorizons {
  private readonly tally = { confirmed: newTally(), unconfirmed: newTally() };
  private readonly symbols = new Map<string, SymbolState>();
  private lastSymbol: string | null = null;
  private last: SymbolState | null = null;
  private readonly lastSignal = new Map<string, { ts: number; bullish: boolean }>();

  constructor(readonly episodeGapMs = 10_000) {}

  onTrade(trade: TradeEvent): void {
    const s = this.symbolState(trade.symbol);
    if (s.nextDeadline < trade.ts) {
      const before = Number(s.lastPrice);
      let next = Infinity;
      for (const list of s.lists) {
        let n = 0;
        while (n < list.length && list[n].deadline < trade.ts) {
          const p = list[n++];
          p.counts.judged++;
          if (p.bullish ? before < p.price : before > p.price) p.counts.falseSignals++;
        }
        if (n > 0) list.splice(0, n);
        if (list.length > 0 && list[0].deadline < next) next = list[0].deadline;
      }
      s.nextDeadline = next;
    }
    s.lastPrice = trade.price;
  }

  onSignal(signal: SignalEvent): void {
    const t = signal.confirmed ? this.tally.confirmed : this.tally.unconfirmed;
    const bullish = signal.direction === 'bullish';
    const key = `${signal.symbol}|${signal.confirmed}`;
    const last = this.lastSignal.get(key);
    const newEpisode = last === undefined || last.bullish !== bullish || signal.ts - last.ts > this.episodeGapMs;
    this.lastSignal.set(key, { ts: signal.ts, bullish });
    t.signals++;
    if (newEpisode) t.episodes++;
    const s = this.symbolState(signal.symbol);
    const { lists } = s;
    const price = Number(signal.price);
    HORIZON_NAMES.forEach((h, i) => {
      const deadline = horizonDeadline(h, signal.ts);
      lists[i].push({ deadline, price, bullish, counts: t.bySignal[h] });
      if (newEpisode) lists[i].push({ deadline, price, bullish, counts: t.byEpisode[h] });
      if (deadline < s.nextDeadline) s.nextDeadline = deadline;
    });
  }

  /** A symbol's state; the last one asked for is at hand without a lookup (trades of one symbol come in runs). */
  private symbolState(symbol: string): SymbolState {
    if (symbol === this.lastSymbol && this.last !== null) return this.last;
    let s = this.symbols.get(symbol);
    if (s === undefined) this.symbols.set(symbol, (s = newSymbol()));
    this.lastSymbol = symbol;
    this.last = s;
    return s;
  }

  /** Judgements still waiting at the end of the data are unevaluated. */
  finish(): HorizonQuality {
    for (const { lists } of this.symbols.values()) {
      for (const list of lists) for (const p of list) p.counts.unevaluated++;
      for (const list of lists) list.length = 0;
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
  return { lists: HORIZON_NAMES.map(() => []), nextDeadline: Infinity, lastPrice: null };
}

function newTally(): Tally {
  return { signals: 0, episodes: 0, bySignal: perHorizon(), byEpisode: perHorizon() };
}

function quality(t: Tally): ClassQuality {
  const rate = (c: { falseSignals: number; judged: number; unevaluated: number }): HorizonCounts => ({ ...c, falseSignalRate: c.judged > 0 ? c.falseSignals / c.judged : null });
  const map = (r: Tally['bySignal']) => Object.fromEntries(HORIZON_NAMES.map((h) => [h, rate(r[h])])) as Record<HorizonName, HorizonCounts>;
  return { signals: t.signals, episodes: t.episodes, bySignal: map(t.bySignal), byEpisode: map(t.byEpisode) };
}
