import type { InstantRecord } from '../engine';
import { renderedText } from '../../events/bytes';
import { seqHead, TimedLine } from '../../events/timedLine';
import type { BookEvent, BookLevel, InputEvent, MarketInfo, MarketSnapshotEvent } from '../../events/types';

/** Stands for a field that changes from one event to the next in a template (its JSON is where the field goes). */
const HOLE = '\u0000';
const HOLE_JSON = JSON.stringify(HOLE);

/** The JSON of `value` cut where its holes are. */
function template(value: unknown): string[] {
  return JSON.stringify(value).split(HOLE_JSON);
}

/**
 * The event lines of the market model's quotes (`market_snapshot` and `book`, `source: "model"`), as
 * `JSON.stringify` writes them, from the pieces that repeat: per token and per market everything but
 * the prices is the same at every quote of its window, and a side's levels are the same frozen list
 * for the same best price (PriceGrid). A quote's snapshot and books are about 11 kB of JSON, and most
 * of a quote's cost was `JSON.stringify`. Tested: every model event of the demo file, line for line.
 */
export class ModelLines {
  private readonly books = new Map<string, BookPieces>();
  private readonly markets = new Map<string, MarketPieces>();
  private readonly levels = new WeakMap<readonly BookLevel[], string>();
  private snapshot: string[] | null = null;
  /** The markets of the last snapshot: a market it no longer lists has no more quotes, its pieces go. */
  private listed: readonly MarketInfo[] = [];

  /** The event with its line when it is a model quote (appended as a line the backtest made, rendered straight into the log), else the event. */
  readonly record = (event: InputEvent): InputEvent | InstantRecord => {
    const rest = this.restOf(event);
    return rest === null ? event : { event, line: new TimedLine(HEAD_BYTES, event.ts, rest), made: true };
  };

  /** The event's line with seq 0, or null when it is not a model quote. */
  lineOf(event: InputEvent): string | null {
    const rest = this.restOf(event);
    return rest === null ? null : renderedText(new TimedLine(HEAD_BYTES, event.ts, rest), 0);
  }

  /** The event's line after its ts, or null when it is not a model quote. */
  private restOf(event: InputEvent): string | null {
    if (event.type === 'book' && event.source === 'model') return this.bookLine(event);
    if (event.type === 'market_snapshot' && event.source === 'model') return this.snapshotLine(event);
    return null;
  }

  private bookLine(e: BookEvent): string {
    let b = this.books.get(e.tokenId);
    if (b === undefined) this.books.set(e.tokenId, (b = { template: checkHead(template({ ...e, seq: 0, ts: HOLE, bids: HOLE, asks: HOLE })), bids: null, asks: null, rest: '' }));
    const t = b.template;
    // Consecutive quotes of a token often repeat its levels (the same frozen lists): then all after ts is the same.
    if (e.bids !== b.bids || e.asks !== b.asks || !Object.isFrozen(e.bids) || !Object.isFrozen(e.asks)) {
      b.rest = t[1] + this.levelsJson(e.bids) + t[2] + this.levelsJson(e.asks) + t[3];
      b.bids = e.bids;
      b.asks = e.asks;
    }
    return b.rest;
  }

  private levelsJson(levels: readonly BookLevel[]): string {
    if (!Object.isFrozen(levels)) return JSON.stringify(levels);
    let json = this.levels.get(levels);
    if (json === undefined) this.levels.set(levels, (json = JSON.stringify(levels)));
    return json;
  }

  private snapshotLine(e: MarketSnapshotEvent): string {
    const t = (this.snapshot ??= checkHead(template({ ...e, seq: 0, ts: HOLE, markets: HOLE })));
    if (e.markets !== this.listed) this.forgetUnlisted(e.markets);
    let markets = '';
    for (let i = 0; i < e.markets.length; i++) markets += (i === 0 ? '' : ',') + this.marketJson(e.markets[i]);
    return t[1] + '[' + markets + ']' + t[2];
  }

  /** How many markets and tokens have pieces kept (those of the latest snapshot: bounded over a long run). */
  held(): { markets: number; books: number } {
    return { markets: this.markets.size, books: this.books.size };
  }

  private forgetUnlisted(markets: readonly MarketInfo[]): void {
    for (const old of this.listed) {
      if (markets.some((m) => m.id === old.id)) continue;
      this.markets.delete(old.id);
      for (const tokenId of old.tokenIds) this.books.delete(tokenId);
    }
    this.listed = markets;
  }

  private marketJson(m: MarketInfo): string {
    let p = this.markets.get(m.id);
    if (p === undefined) this.markets.set(m.id, (p = { template: template({ ...m, outcomePrices: [HOLE, HOLE], bestBid: HOLE, bestAsk: HOLE }), market: null, json: '' }));
    // The model quotes the same (frozen) market object again while its prices stay.
    if (p.market !== m || !Object.isFrozen(m)) {
      const t = p.template;
      p.json = t[0] + text(m.outcomePrices[0]) + t[1] + text(m.outcomePrices[1]) + t[2] + text(m.bestBid) + t[3] + text(m.bestAsk) + t[4];
      p.market = m;
    }
    return p.json;
  }
}

/** What `JSON.stringify` writes of a model quote before its ts (keys v, seq, ts first): the line `TimedLine` renders starts so. */
const HEAD = '{"v":1,"seq":0,"ts":';
const HEAD_BYTES = seqHead(1);

function checkHead(template: string[]): string[] {
  if (template[0] !== HEAD) throw new Error(`ModelLines: a quote's line starts ${template[0]}, not ${HEAD}`);
  return template;
}

/** A token's book template, and its last levels with the line after `ts` they make. */
interface BookPieces {
  template: string[];
  bids: readonly BookLevel[] | null;
  asks: readonly BookLevel[] | null;
  rest: string;
}

/** A market's template, and its last object with the JSON it makes. */
interface MarketPieces {
  template: string[];
  market: MarketInfo | null;
  json: string;
}

/** A decimal as JSON (the model's prices need no escaping). */
function text(d: string | null): string {
  return d === null ? 'null' : '"' + d + '"';
}
