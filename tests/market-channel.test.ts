import { readFileSync } from 'node:fs';
import type { BookEvent, FeedStatusEvent, InputEvent } from '../events/types';
import { ClobMarketChannel } from '../actors/venues/polymarket/marketChannel';
import { parseMarketFrame } from '../actors/venues/polymarket/wsParse';
import { MarketState } from '../domain/market/marketState';
import { CountingClock } from './support/countingClock';
import { describeWithShared } from './support/shared';
import { waitFor, WsReplayServer, type ServerConn } from './support/wsReplayServer';

type Level = { price: string; size: string };
type RawBook = { event_type: 'book'; asset_id: string; market: string; bids: Level[]; asks: Level[]; timestamp: string; hash: string };

interface Run {
  channel: ClobMarketChannel;
  clock: CountingClock;
  events: InputEvent[];
  state: MarketState;
  /** isStale(token) right after each feed_status event, for the tokens given. */
  staleAt: { status: FeedStatusEvent['status']; stale: boolean[] }[];
}

function run(server: WsReplayServer, assetIds: string[], watchTokens: string[] = assetIds, watchdogMs = 5000): Run {
  const clock = new CountingClock();
  const events: InputEvent[] = [];
  const state = new MarketState();
  const staleAt: Run['staleAt'] = [];
  const channel = new ClobMarketChannel({
    url: server.url + '/ws/market',
    assetIds,
    clock,
    random: () => 0.5,
    watchdogMs,
    reconnectBaseMs: 10,
    reconnectMaxMs: 50,
    pingMs: 10_000,
    onEvent: (e) => {
      events.push(e);
      state.apply(e);
      if (e.type === 'feed_status') staleAt.push({ status: e.status, stale: watchTokens.map((t) => state.isStale(t)) });
    },
  });
  channel.start();
  return { channel, clock, events, state, staleAt };
}

const ofType = <T extends InputEvent['type']>(events: InputEvent[], type: T) => events.filter((e): e is Extract<InputEvent, { type: T }> => e.type === type);

/** Independent book: price (as a number key, so "0.50" = "0.5") -> size, with "0" removing the level. */
class RefBook {
  bids = new Map<number, string>();
  asks = new Map<number, string>();
  constructor(book: RawBook) {
    for (const l of book.bids) this.bids.set(Number(l.price), l.size);
    for (const l of book.asks) this.asks.set(Number(l.price), l.size);
  }
  set(side: string, price: string, size: string) {
    const m = side === 'BUY' ? this.bids : this.asks;
    if (Number(size) === 0) m.delete(Number(price));
    else m.set(Number(price), size);
  }
  sorted(side: 'bids' | 'asks'): [number, number][] {
    const out = [...this[side]].filter(([, s]) => Number(s) > 0).map(([p, s]) => [p, Number(s)] as [number, number]);
    return out.sort((a, b) => (side === 'bids' ? b[0] - a[0] : a[0] - b[0]));
  }
}

const asNumbers = (levels: readonly Level[]) => levels.map((l) => [Number(l.price), Number(l.size)]);

/** A small deterministic generator (test data only). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const MARKET = '0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1';
const YES = '71321045679252212594626385532706912750332728571942532289631379312455583992563';
const NO = '52114319501245915516055106046884209969926127482827954674443846427813813222426';

function makeBook(asset: string, ts: number, reverse = false): RawBook {
  const bids = [0.45, 0.46, 0.47, 0.48].map((p, i) => ({ price: String(p), size: String(100 + i * 10) }));
  const asks = [0.52, 0.53, 0.54].map((p, i) => ({ price: String(p), size: String(50 + i * 5) }));
  return { event_type: 'book', asset_id: asset, market: MARKET, bids: reverse ? bids.reverse() : bids, asks: reverse ? asks.reverse() : asks, timestamp: String(ts), hash: 'h' + ts };
}

describe('ClobMarketChannel against a loopback market channel', () => {
  let server: WsReplayServer | null = null;
  let r: Run | null = null;
  afterEach(async () => {
    await r?.channel.close();
    await server?.stop();
    r = null;
    server = null;
  });

  it('subscribes, takes an array first frame of books (sorted, whatever the source order), and every message type', async () => {
    const t0 = 1757908892000;
    const frames = [
      JSON.stringify([makeBook(YES, t0, true), makeBook(NO, t0)]),
      JSON.stringify({
        market: MARKET,
        price_changes: [
          { asset_id: YES, price: '0.5', size: '200', side: 'BUY', hash: 'a', best_bid: '0.5', best_ask: '0.52' },
          { asset_id: YES, price: '0.52', size: '0', side: 'SELL', hash: 'b', best_bid: '0.5', best_ask: '0.53' },
        ],
        timestamp: String(t0 + 1),
        event_type: 'price_change',
      }),
      JSON.stringify({ event_type: 'last_trade_price', asset_id: YES, market: MARKET, price: '0.5', side: 'BUY', size: '12.5', fee_rate_bps: '0', timestamp: String(t0 + 2) }),
      JSON.stringify({ event_type: 'best_bid_ask', market: MARKET, asset_id: YES, best_bid: '0.5', best_ask: '0.53', spread: '0.03', timestamp: String(t0 + 3) }),
      JSON.stringify({ event_type: 'tick_size_change', asset_id: YES, market: MARKET, old_tick_size: '0.01', new_tick_size: '0.001', timestamp: String(t0 + 4) }),
      JSON.stringify({ event_type: 'new_market', id: '1', question: 'q', market: '0xabc', slug: 's', assets_ids: ['1', '2'], outcomes: ['Yes', 'No'], timestamp: String(t0 + 5) }),
      JSON.stringify({ event_type: 'market_resolved', id: '1', market: MARKET, assets_ids: [YES, NO], winning_asset_id: YES, winning_outcome: 'Yes', timestamp: String(t0 + 6) }),
    ];
    server = await WsReplayServer.start({ onClientMessage: (c, text) => text.startsWith('{') && frames.forEach((f) => c.send(f)) });
    r = run(server, [YES, NO]);
    await waitFor(() => ofType(r!.events, 'market_resolved').length === 1, 'all messages');
    expect(server.conns[0].path).toBe('/ws/market');
    expect(JSON.parse(server.conns[0].received[0])).toEqual({ assets_ids: [YES, NO], type: 'market', custom_feature_enabled: true });

    const books = ofType(r.events, 'book');
    expect(books.map((b) => b.tokenId)).toEqual([YES, NO]);
    for (const b of books) {
      expect(b.source).toBe('clob_ws');
      expect(b.ts).toBe(t0);
      expect(b.bids.map((l) => l.price)).toEqual(['0.48', '0.47', '0.46', '0.45']);
      expect(b.asks.map((l) => l.price)).toEqual(['0.52', '0.53', '0.54']);
    }
    const delta = ofType(r.events, 'book_delta')[0];
    expect(delta).toMatchObject({ ts: t0 + 1, market: MARKET, changes: [{ tokenId: YES, side: 'BUY', price: '0.5', size: '200' }, { tokenId: YES, side: 'SELL', price: '0.52', size: '0' }] });
    expect(ofType(r.events, 'last_trade')[0]).toMatchObject({ ts: t0 + 2, tokenId: YES, price: '0.5', size: '12.5', side: 'BUY' });
    expect(ofType(r.events, 'best_bid_ask')[0]).toMatchObject({ ts: t0 + 3, tokenId: YES, bestBid: '0.5', bestAsk: '0.53' });
    expect(ofType(r.events, 'tick_size_change')[0]).toMatchObject({ tokenId: YES, oldTickSize: '0.01', newTickSize: '0.001' });
    expect(ofType(r.events, 'market_resolved')[0]).toMatchObject({ market: MARKET, winningTokenId: YES, winningOutcome: 'Yes' });
    // The book after the delta: a new best bid 0.5, the 0.52 ask removed.
    expect(r.state.bestBid(YES)).toBe('0.5');
    expect(r.state.bestAsk(YES)).toBe('0.53');
    expect(r.channel.counters).toMatchObject({ books: 2, deltas: 1, lastTrades: 1, bestBidAsks: 1, tickSizeChanges: 1, resolutions: 1, ignored: 1, malformed: 0 });
  });

  it('adds and removes assets on the open socket, and resubscribes to the whole set after the server closes', async () => {
    server = await WsReplayServer.start({
      onClientMessage: (c, text) => {
        if (!text.startsWith('{')) return;
        const msg = JSON.parse(text);
        if (msg.type === 'market') c.send(JSON.stringify(msg.assets_ids.map((id: string) => makeBook(id, 1000 + c.index))));
      },
    });
    r = run(server, [YES]);
    await waitFor(() => ofType(r!.events, 'book').length === 1, 'first snapshot');
    r.channel.subscribe([NO, YES]);
    r.channel.unsubscribe(['999']); // not subscribed: nothing sent
    await waitFor(() => server!.conns[0].received.length === 2, 'subscribe message');
    expect(JSON.parse(server.conns[0].received[1])).toEqual({ assets_ids: [NO], operation: 'subscribe' });
    server.conns[0].close(1001);
    await waitFor(() => ofType(r!.events, 'book').length === 3, 'snapshots after resubscribe');
    expect(JSON.parse(server.conns[1].received[0])).toEqual({ assets_ids: [YES, NO], type: 'market', custom_feature_enabled: true });
    expect(ofType(r.events, 'book').slice(1).map((b) => [b.tokenId, b.ts])).toEqual([
      [YES, 1001],
      [NO, 1001],
    ]);
    r.channel.unsubscribe([YES]);
    await waitFor(() => server!.conns[1].received.length === 2, 'unsubscribe message');
    expect(JSON.parse(server.conns[1].received[1])).toEqual({ assets_ids: [YES], operation: 'unsubscribe' });
    expect(r.channel.assetIds).toEqual([NO]);
  });

  it('silent feed: books marked stale (no live book to trade on) until fresh snapshots after the reconnect', async () => {
    server = await WsReplayServer.start({
      answerPing: false,
      onClientMessage: (c, text) => {
        if (text.startsWith('{')) c.send(JSON.stringify([makeBook(YES, 2000 + c.index), makeBook(NO, 2000 + c.index)]));
        // then nothing at all: the socket stays open and silent
      },
    });
    r = run(server, [YES, NO], [YES, NO], 150);
    await waitFor(() => ofType(r!.events, 'book').length === 4, 'snapshots on the second socket', 3000);
    const statuses = r.staleAt.map((s) => s.status);
    expect(statuses.slice(0, 3)).toEqual(['connected', 'stale', 'disconnected']);
    // Right after `stale`, both books are stale: MarketState serves no live book for them.
    expect(r.staleAt[1].stale).toEqual([true, true]);
    // Fresh snapshots clear the flag.
    expect([YES, NO].map((t) => r!.state.isStale(t))).toEqual([false, false]);
    expect(r.state.book(YES)?.updatedTs).toBe(2001);
    expect(r.channel.counters.stale).toBeGreaterThanOrEqual(1);
  });

  it('malformed messages are counted, never a crash; good messages in the same frame survive', async () => {
    const good = makeBook(YES, 3000);
    const frames = [
      'not json',
      JSON.stringify([{ event_type: 'book', market: MARKET, bids: [], asks: [], timestamp: '1' }, good]), // first lacks asset_id
      JSON.stringify({ event_type: 'price_change', market: MARKET, price_changes: [{ asset_id: YES, price: '0.5', size: '1', side: 'HOLD' }], timestamp: '2' }),
      JSON.stringify({ event_type: 'last_trade_price', asset_id: YES, market: MARKET, price: '1.5', side: 'BUY', size: '1', timestamp: '3' }),
      JSON.stringify([7]),
      JSON.stringify({ market: MARKET, price_changes: [{ asset_id: YES, price: '0.47', size: '0', side: 'BUY' }], timestamp: '3001', event_type: 'price_change' }),
    ];
    server = await WsReplayServer.start({ onClientMessage: (c, text) => text.startsWith('{') && frames.forEach((f) => c.send(f)) });
    r = run(server, [YES]);
    await waitFor(() => r!.channel.counters.frames === frames.length, 'all frames');
    expect(r.channel.counters).toMatchObject({ malformed: 5, books: 1, deltas: 1 });
    expect(r.state.book(YES)!.bids().map((l) => l.price)).toEqual(['0.48', '0.46', '0.45']);
  });
});

describe('parseMarketFrame', () => {
  it('names the message, field and frame of a bad value', () => {
    const bad = JSON.stringify([makeBook(YES, 1), { event_type: 'last_trade_price', asset_id: YES, market: MARKET, price: 'x', side: 'BUY', size: '1', timestamp: '1' }]);
    const frame = parseMarketFrame(bad, { file: 'wss://example/ws/market', line: 9 });
    expect(frame.events.map((e) => e.type)).toEqual(['book']);
    expect(frame.errors.map((e) => e.message)).toEqual([`wss://example/ws/market:9: field '[1].price': expected a non-negative decimal, got "x"`]);
  });

  it('reads prices written without a leading zero (".48") as documented by Polymarket', () => {
    const f = parseMarketFrame(JSON.stringify({ ...makeBook(YES, 5), bids: [{ price: '.48', size: '30' }, { price: '.50', size: '15' }] }), { file: 'x' });
    expect((f.events[0] as BookEvent).bids).toEqual([
      { price: '0.50', size: '15' },
      { price: '0.48', size: '30' },
    ]);
  });

  it('takes a book\'s tick size only when positive (".01" read as "0.01"); a tick of 0 is an error naming the field', () => {
    const read = (tick: string) => parseMarketFrame(JSON.stringify([{ ...makeBook(YES, 5), tick_size: tick }]), { file: 'wss://example/ws/market', line: 3 });
    expect((read('.01').events[0] as BookEvent).tickSize).toBe('0.01');
    expect((read('').events[0] as BookEvent).tickSize).toBeNull();
    const zero = read('0');
    expect(zero.events).toEqual([]);
    expect(zero.errors.map((e) => e.message)).toEqual([`wss://example/ws/market:3: field '[0].tick_size': expected a positive decimal, got "0"`]);
  });
});

describeWithShared(
  'ClobMarketChannel on the recorded NautilusTrader market-channel messages',
  ['polymarket/nautilus_trader/ws_messages/book.json', 'polymarket/nautilus_trader/ws_messages/price_change.json', 'polymarket/nautilus_trader/ws_messages/last_trade_price.json', 'polymarket/nautilus_trader/ws_messages/tick_size_change.json'],
  ([bookPath, changePath, tradePath, tickPath]) => {
    const book = JSON.parse(readFileSync(bookPath, 'utf8')) as RawBook;
    const legacyChange = JSON.parse(readFileSync(changePath, 'utf8'));
    const lastTrade = JSON.parse(readFileSync(tradePath, 'utf8'));
    const tick = JSON.parse(readFileSync(tickPath, 'utf8'));

    let server: WsReplayServer | null = null;
    let r: Run | null = null;
    afterEach(async () => {
      await r?.channel.close();
      await server?.stop();
      r = null;
      server = null;
    });

    it('recorded book (array first frame) + legacy price_change + last trade + tick size: books equal an independent computation', async () => {
      // The legacy price_change is for the book's token; make it land on the book's market so it applies.
      const change = { ...legacyChange, asset_id: book.asset_id, market: book.market, timestamp: String(Number(book.timestamp) + 1) };
      server = await WsReplayServer.start({
        onClientMessage: (c: ServerConn, text) => {
          if (!text.startsWith('{')) return;
          c.send(JSON.stringify([book]));
          c.send(JSON.stringify(change));
          c.send(JSON.stringify(lastTrade));
          c.send(JSON.stringify(tick));
        },
      });
      r = run(server, [book.asset_id]);
      await waitFor(() => r!.channel.counters.frames === 4, 'four frames');
      const ref = new RefBook(book);
      const snapshot = ofType(r.events, 'book')[0];
      expect(snapshot.bids.length).toBe(book.bids.length);
      expect(asNumbers(snapshot.bids)).toEqual(ref.sorted('bids'));
      expect(asNumbers(snapshot.asks)).toEqual(ref.sorted('asks'));
      expect(snapshot).toMatchObject({ ts: Number(book.timestamp), tokenId: book.asset_id, market: book.market, hash: book.hash });
      ref.set(change.side, change.price, change.size);
      const live = r.state.book(book.asset_id)!;
      expect(asNumbers(live.bids())).toEqual(ref.sorted('bids'));
      expect(asNumbers(live.asks())).toEqual(ref.sorted('asks'));
      expect(ofType(r.events, 'last_trade')[0]).toMatchObject({ ts: Number(lastTrade.timestamp), tokenId: lastTrade.asset_id, price: lastTrade.price, size: lastTrade.size, side: lastTrade.side });
      expect(ofType(r.events, 'tick_size_change')[0]).toMatchObject({ tokenId: tick.asset_id, oldTickSize: tick.old_tick_size, newTickSize: tick.new_tick_size });
    });

    it('a long sequence of price_changes (new form) with level removals rebuilds the independently computed book', async () => {
      const rand = lcg(42);
      const prices = [...book.bids, ...book.asks].map((l) => l.price);
      const frames: string[] = [];
      const ref = new RefBook(book);
      for (let i = 0; i < 400; i++) {
        const changes = [];
        for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
          const side = rand() < 0.5 ? 'BUY' : 'SELL';
          const p = prices[Math.floor(rand() * prices.length)];
          const size = rand() < 0.3 ? '0' : (Math.floor(rand() * 100000) / 100).toFixed(2);
          changes.push({ asset_id: book.asset_id, price: p, size, side, hash: `h${i}`, best_bid: '0', best_ask: '1' });
          ref.set(side, p, size);
        }
        frames.push(JSON.stringify({ market: book.market, price_changes: changes, timestamp: String(Number(book.timestamp) + i + 1), event_type: 'price_change' }));
      }
      server = await WsReplayServer.start({
        onClientMessage: (c, text) => {
          if (!text.startsWith('{')) return;
          c.send(JSON.stringify([book]));
          frames.forEach((f) => c.send(f));
        },
      });
      r = run(server, [book.asset_id]);
      await waitFor(() => r!.channel.counters.frames === frames.length + 1, 'all frames');
      const live = r.state.book(book.asset_id)!;
      expect(asNumbers(live.bids())).toEqual(ref.sorted('bids'));
      expect(asNumbers(live.asks())).toEqual(ref.sorted('asks'));
      expect(live.updatedTs).toBe(Number(book.timestamp) + 400);
      expect(r.channel.counters.deltas).toBe(400);
    });
  },
);
