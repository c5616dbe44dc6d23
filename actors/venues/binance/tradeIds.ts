/** A run of missing trade ids, inclusive. */
export interface IdRange {
  from: number;
  to: number;
}

const NONE: readonly IdRange[] = [];

export type TradeIdVerdict = 'new' | 'late' | 'duplicate';

/**
 * Trade-id bookkeeping for one symbol's stream (Binance ids rise by one per trade). Remembers the
 * highest id seen and the holes below it that are not yet known to be lost: during a planned
 * reconnect the new socket can run ahead of the old one, whose trades then fill the holes late.
 * Holes become gaps when the owner says no overlap is in progress (`takeGaps`). Memory is bounded:
 * beyond `maxHoles` the oldest hole is given up as a gap.
 */
export class TradeIdTracker {
  private maxId: number | null = null;
  /** Sorted, disjoint. */
  private holes: IdRange[] = [];
  private given: IdRange[] = [];
  /**
   * Holes already reported as gaps, newest last (at most `maxHoles`): a trade that arrives out of
   * order after its hole was reported is late, not a duplicate (it was never seen, so dropping it lost it).
   */
  private reported: IdRange[] = [];

  constructor(private readonly maxHoles = 256) {}

  accept(id: number): TradeIdVerdict {
    if (this.maxId === null || id > this.maxId) {
      if (this.maxId !== null && id > this.maxId + 1) {
        this.holes.push({ from: this.maxId + 1, to: id - 1 });
        if (this.holes.length > this.maxHoles) this.given.push(this.holes.shift()!);
      }
      this.maxId = id;
      return 'new';
    }
    for (let i = this.holes.length - 1; i >= 0; i--) {
      const h = this.holes[i];
      if (id > h.to) break;
      if (id < h.from) continue;
      const parts: IdRange[] = [];
      if (h.from < id) parts.push({ from: h.from, to: id - 1 });
      if (id < h.to) parts.push({ from: id + 1, to: h.to });
      this.holes.splice(i, 1, ...parts);
      return 'late';
    }
    if (fill(this.reported, id)) return 'late';
    return 'duplicate';
  }

  /** Holes that can no longer be filled (all of them, when no overlap is in progress). */
  takeGaps(allHoles: boolean): readonly IdRange[] {
    if (this.given.length === 0 && (!allHoles || this.holes.length === 0)) return NONE;
    const out = this.given;
    this.given = [];
    if (allHoles && this.holes.length > 0) {
      out.push(...this.holes);
      this.holes = [];
    }
    this.reported.push(...out);
    if (this.reported.length > this.maxHoles) this.reported.splice(0, this.reported.length - this.maxHoles);
    return out;
  }

  get highest(): number | null {
    return this.maxId;
  }
}

/** Takes `id` out of the range holding it (splitting it); false when no range holds it. */
function fill(ranges: IdRange[], id: number): boolean {
  for (let i = ranges.length - 1; i >= 0; i--) {
    const h = ranges[i];
    if (id < h.from || id > h.to) continue;
    const parts: IdRange[] = [];
    if (h.from < id) parts.push({ from: h.from, to: id - 1 });
    if (id < h.to) parts.push({ from: id + 1, to: h.to });
    ranges.splice(i, 1, ...parts);
    return true;
  }
  return false;
}
