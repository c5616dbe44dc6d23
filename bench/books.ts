/**
 * Order-book updates from the CLOB market channel: `price_change` frames (text) decoded into
 * `book_delta` events, applied to the books in `MarketState`, and the token's best bid and ask read
 * after each (what a strategy does), against bare `JSON.parse` of the same frames, in one run.
 */
import { parseMarketFrame } from '../actors/venues/polymarket/wsParse';
import { makeEvent, type BookLevel } from '../events/types';
import { MarketState } from '../domain/market/marketState';

export const name = 'books';

const MARKET = '0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1';
const TOKENS = ['71321045679252212594626385532706912750332728571942532289631379312455583992563', '52114319501245915516055106046884209969926127482827954674443846427813813222426'];
const MESSAGES = 200_000;

/** Deterministic pseudo-random numbers for the synthetic frames (bench data only). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const tick = (i: number) => (i / 1000).toFixed(3).replace(/0+$/, '');

/** 0.001..0.499 bids and 0.501..0.999 asks, 100 levels each side around the middle. */
function snapshotLevels(side: 'bids' | 'asks'): BookLevel[] {
  const out: BookLevel[] = [];
  for (let i = 0; i < 100; i++) out.push({ price: tick(side === 'bids' ? 499 - i : 501 + i), size: String(100 + i) });
  return out;
}

/** Frames in the current `price_changes[]` shape: 1-3 levels near the top of the book, 30 % removals. */
function makeFrames(): string[] {
  const rand = lcg(7);
  const frames: string[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const changes = [];
    const n = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < n; k++) {
      const buy = rand() < 0.5;
      const level = Math.floor(rand() * 20);
      const size = rand() < 0.3 ? '0' : (Math.floor(rand() * 100000) / 100).toFixed(2);
      changes.push({ asset_id: TOKENS[i % 2], price: tick(buy ? 499 - level : 501 + level), size, side: buy ? 'BUY' : 'SELL', hash: 'bf32b3746fff40c76c98021b7f3f07261169dd26', best_bid: '0.499', best_ask: '0.501' });
    }
    frames.push(JSON.stringify({ market: MARKET, price_changes: changes, timestamp: String(1757908892351 + i), event_type: 'price_change' }));
  }
  return frames;
}

function bareParse(frames: string[]): number {
  let n = 0;
  for (const f of frames) n += (JSON.parse(f) as { price_changes: unknown[] }).price_changes.length;
  return n;
}

function applyAll(frames: string[]): number {
  const state = new MarketState();
  for (const tokenId of TOKENS) state.apply(makeEvent('book', 1757908892000, { source: 'clob_ws', tokenId, market: MARKET, bids: snapshotLevels('bids'), asks: snapshotLevels('asks'), tickSize: '0.001', minOrderSize: '5', negRisk: false, hash: null }));
  let checksum = 0;
  const where = { file: 'bench' };
  for (const f of frames) {
    for (const e of parseMarketFrame(f, where).events) {
      state.apply(e);
      if (e.type === 'book_delta') {
        const book = state.book(e.changes[0].tokenId);
        if (book?.bestBid()) checksum++;
        if (book?.bestAsk()) checksum++;
      }
    }
  }
  return checksum;
}

function timedRate(frames: string[], fn: (frames: string[]) => number): number {
  const t0 = process.hrtime.bigint();
  fn(frames);
  return frames.length / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(): Promise<Record<string, number | string>> {
  const frames = makeFrames();
  // warm up both paths
  bareParse(frames.slice(0, 20_000));
  applyAll(frames.slice(0, 20_000));
  // Alternate the two passes so load from other processes hits both alike; medians of 3 each.
  const parses: number[] = [];
  const applies: number[] = [];
  for (let r = 0; r < 3; r++) {
    parses.push(timedRate(frames, bareParse));
    applies.push(timedRate(frames, applyAll));
  }
  const parse = median(parses);
  const apply = median(applies);
  return {
    book_messages: frames.length,
    book_json_parse_per_s: Math.round(parse),
    book_updates_per_s: Math.round(apply),
    book_parse_ratio: apply / parse,
  };
}
