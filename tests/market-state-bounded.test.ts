import { MarketState, RESOLVED_KEPT_MS } from '../domain/market/marketState';
import { makeEvent, type MarketInfo } from '../events/types';
import { marketInfo } from './support/execution';

const T0 = 1_723_161_600_000;
const WINDOW_MS = 900_000;

/** The market of window i, as the 15-minute model lists it: its own ids and tokens. */
function windowMarket(i: number): MarketInfo {
  return marketInfo({ id: `w${i}`, conditionId: `0xc${i}`, slug: `btc-updown-15m-${i}`, tokenIds: [`up${i}`, `down${i}`], outcomes: ['Up', 'Down'] });
}

/** One window's life: listed with its books and a trade print while open, then resolved as the next one is listed. */
function playWindow(state: MarketState, i: number): void {
  const start = T0 + i * WINDOW_MS;
  const m = windowMarket(i);
  state.apply(makeEvent('market_snapshot', start, { source: 'model', request: 'model:fifteen-min', markets: [m] }));
  for (const [k, tokenId] of m.tokenIds.entries()) {
    state.apply(makeEvent('book', start, { source: 'model', tokenId, market: m.conditionId, bids: [{ price: '0.4', size: '10' }], asks: [{ price: k === 0 ? '0.6' : '0.5', size: '10' }], tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: null }));
    state.apply(makeEvent('last_trade', start + 1, { market: m.conditionId, tokenId, price: '0.55', size: '5', side: 'BUY' }));
  }
  state.apply(makeEvent('market_snapshot', start + WINDOW_MS, { source: 'model', request: 'model:fifteen-min', markets: [windowMarket(i + 1)] }));
  state.apply(makeEvent('market_resolved', start + WINDOW_MS, { market: m.conditionId, winningTokenId: m.tokenIds[0], winningOutcome: 'Up' }));
}

describe('MarketState over many windows', () => {
  it('keeps a resolved market readable for RESOLVED_KEPT_MS, then only its resolution', () => {
    const state = new MarketState();
    playWindow(state, 0);
    const resolvedAt = T0 + WINDOW_MS;
    // Right after the resolution, and until RESOLVED_KEPT_MS later, everything about the market is still there.
    const late = resolvedAt + RESOLVED_KEPT_MS - 1;
    state.apply(makeEvent('market_snapshot', late, { source: 'model', request: 'model:fifteen-min', markets: [windowMarket(99)] }));
    expect(state.market('w0')?.slug).toBe('btc-updown-15m-0');
    expect(state.marketIdOf('0xc0')).toBe('w0');
    expect(state.token('up0')?.outcome).toBe('Up');
    expect(state.book('up0')?.bestAsk()).toEqual({ price: '0.6', size: '10' });
    expect(state.bestBid('down0')).toBe('0.4');
    expect(state.lastTrade('down0')).toEqual({ ts: T0 + 1, price: '0.55' });
    expect(state.lastListed('up0')).toBe(T0);
    // From then on it is gone, all but who won.
    state.apply(makeEvent('market_snapshot', late + 1, { source: 'model', request: 'model:fifteen-min', markets: [windowMarket(99)] }));
    expect(state.market('w0')).toBeUndefined();
    expect(state.token('up0')).toBeUndefined();
    expect(state.book('up0')).toBeUndefined();
    expect(state.bestAsk('up0')).toBeNull();
    expect(state.lastTrade('down0')).toBeUndefined();
    expect(state.lastListed('up0')).toBeNull();
    expect(state.resolution('w0')).toBe('up0');
    expect(state.market('w99')?.tokenIds).toEqual(['up99', 'down99']);
  });

  it('holds the markets of the last RESOLVED_KEPT_MS, not every window of a long run', () => {
    const state = new MarketState();
    const windows = 2_000; // about 21 days of 15-minute windows
    const kept = RESOLVED_KEPT_MS / WINDOW_MS;
    let most = 0;
    for (let i = 0; i < windows; i++) {
      playWindow(state, i);
      most = Math.max(most, state.held().books);
    }
    const held = state.held();
    // The resolved windows of the last hour plus the one listed now, each with its two tokens and books.
    expect(held).toEqual({ markets: kept + 1, tokens: 2 * (kept + 1), books: 2 * kept, resolved: windows });
    expect(most).toBeLessThanOrEqual(2 * (kept + 1));
  });

  it('keeps a resolved market that a snapshot still lists', () => {
    const state = new MarketState();
    const m = windowMarket(0);
    state.apply(makeEvent('market_snapshot', T0, { source: 'gamma', request: '/markets', markets: [m] }));
    state.apply(makeEvent('market_resolved', T0 + 1, { market: 'w0', winningTokenId: 'down0', winningOutcome: 'Down' }));
    state.apply(makeEvent('market_snapshot', T0 + 2 * RESOLVED_KEPT_MS, { source: 'gamma', request: '/markets', markets: [m] }));
    expect(state.token('down0')?.market.id).toBe('w0');
    state.apply(makeEvent('market_snapshot', T0 + 3 * RESOLVED_KEPT_MS, { source: 'gamma', request: '/markets', markets: [] }));
    state.apply(makeEvent('market_snapshot', T0 + 4 * RESOLVED_KEPT_MS, { source: 'gamma', request: '/markets', markets: [] }));
    expect(state.token('down0')).toBeUndefined();
    expect(state.resolution('w0')).toBe('down0');
  });
});
