import Big from 'big.js';
import type { InputEvent } from '../../events/types';

/**
 * The first oracle price at or after a window's end (or start) decides only when it is this close:
 * Chainlink Data Streams publish about once a second, so a first price later than this means the
 * feed had a gap there and the price that settled the market is not in the data.
 */
export const ORACLE_MAX_LAG_MS = 5_000;

export type Unjudgeable = 'no_oracle_prices' | 'no_oracle_after_end' | 'oracle_gap_at_end' | 'no_strike_and_no_open';

export interface ResolutionReport {
  rule: string;
  maxLagMs: number;
  /** Markets with a recorded outcome. */
  recorded: number;
  judged: number;
  judgedByStrike: number;
  judgedByOpen: number;
  agree: number;
  disagree: number;
  /** agree / judged, or null when none could be judged. */
  agreementRate: number | null;
  disagreements: { slug: string; recorded: string; derived: string; endPrice: string; priceToBeat: string; by: 'strike' | 'open' }[];
  unjudgeable: { slug: string; reason: Unjudgeable }[];
}

interface Window {
  slug: string;
  ids: Set<string>;
  outcomes: string[];
  tokenIds: string[];
  symbol: string;
  startTs: number;
  endTs: number;
  strike: string | null;
  open: string | null;
  openGap: boolean;
  end: string | null;
  endGap: boolean;
  recorded: number | null;
}

export const RESOLUTION_RULE =
  'Up wins when the first oracle price at or after the end is >= the price to beat (the strike, or the first oracle price at or after the window start where the strike is missing); ' +
  `a first price more than ${ORACLE_MAX_LAG_MS} ms late is a feed gap and the market is not judged`;

/**
 * Checks the price-to-beat rule against the venue: for each Up/Down market defined with a window
 * (a `market_definition` with `windowStartTs` and an end) and resolved in the data (`market_resolved`),
 * the outcome derived from the oracle prices is compared with the recorded one. A fold over the input
 * events in log order.
 */
export class ResolutionCheck {
  private readonly windows = new Map<string, Window>();
  private readonly byId = new Map<string, Window>();
  private readonly waiting = new Set<Window>();
  private readonly lastOracle = new Map<string, number>();

  onInput(e: InputEvent): void {
    if (e.type === 'market_definition') {
      const m = e.market;
      if (e.windowStartTs === null || m.endTs === null || e.asset === null || m.outcomes.length !== 2) return;
      const w: Window = { slug: m.slug, ids: new Set([m.id, m.conditionId]), outcomes: m.outcomes, tokenIds: m.tokenIds, symbol: `${e.asset}/usd`, startTs: e.windowStartTs, endTs: m.endTs, strike: e.strike, open: null, openGap: false, end: null, endGap: false, recorded: null };
      this.windows.set(m.slug, w);
      for (const id of w.ids) this.byId.set(id, w);
      this.waiting.add(w);
    } else if (e.type === 'oracle_price') {
      this.lastOracle.set(e.symbol, e.ts);
      for (const w of this.waiting) {
        if (w.symbol !== e.symbol) continue;
        if (w.strike === null && w.open === null && !w.openGap && e.ts >= w.startTs) {
          if (e.ts - w.startTs <= ORACLE_MAX_LAG_MS) w.open = e.value;
          else w.openGap = true;
        }
        if (e.ts >= w.endTs) {
          if (e.ts - w.endTs <= ORACLE_MAX_LAG_MS) w.end = e.value;
          else w.endGap = true;
          this.waiting.delete(w);
        }
      }
    } else if (e.type === 'market_resolved') {
      const w = this.byId.get(e.market);
      if (!w) return;
      const i = w.tokenIds.indexOf(e.winningTokenId);
      w.recorded = i >= 0 ? i : w.outcomes.indexOf(e.winningOutcome);
    }
  }

  /** The comparison, or null when no market with a window was resolved in the data. */
  finish(): ResolutionReport | null {
    const out: ResolutionReport = { rule: RESOLUTION_RULE, maxLagMs: ORACLE_MAX_LAG_MS, recorded: 0, judged: 0, judgedByStrike: 0, judgedByOpen: 0, agree: 0, disagree: 0, agreementRate: null, disagreements: [], unjudgeable: [] };
    for (const w of this.windows.values()) {
      if (w.recorded === null || w.recorded < 0) continue;
      out.recorded++;
      const reason = this.unjudgeable(w);
      if (reason !== null) {
        out.unjudgeable.push({ slug: w.slug, reason });
        continue;
      }
      const by = w.strike !== null ? 'strike' : 'open';
      const toBeat = (w.strike ?? w.open)!;
      const derived = new Big(w.end!).gte(toBeat) ? 0 : 1;
      out.judged++;
      if (by === 'strike') out.judgedByStrike++;
      else out.judgedByOpen++;
      if (derived === w.recorded) out.agree++;
      else {
        out.disagree++;
        out.disagreements.push({ slug: w.slug, recorded: w.outcomes[w.recorded], derived: w.outcomes[derived], endPrice: w.end!, priceToBeat: toBeat, by });
      }
    }
    if (out.recorded === 0) return null;
    out.agreementRate = out.judged === 0 ? null : out.agree / out.judged;
    return out;
  }

  private unjudgeable(w: Window): Unjudgeable | null {
    if (!this.lastOracle.has(w.symbol)) return 'no_oracle_prices';
    if (w.end === null) return w.endGap ? 'oracle_gap_at_end' : 'no_oracle_after_end';
    if (w.strike === null && w.open === null) return 'no_strike_and_no_open';
    return null;
  }
}
