import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FeedStatusEvent, InputEvent, TradeEvent } from '../events/types';
import { BinanceLiveTrades } from '../actors/venues/binance/liveTrades';
import { TradeIdTracker } from '../actors/venues/binance/tradeIds';
import { CountingClock } from './support/countingClock';
import { FIXTURES } from './support/shared';
import { pause, waitFor, WsReplayServer, type ServerConn } from './support/wsReplayServer';

/** A recorded frame: the raw JSON Binance sent, and the trade read independently of the adapter's decoder. */
interface Frame {
  localNs: bigint;
  json: string;
  expected: Omit<TradeEvent, 'seq' | 'v'>;
}

function loadFrames(name: string): Frame[] {
  const text = readFileSync(join(FIXTURES, 'ws', name), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => {
      const space = line.indexOf(' ');
      const json = line.slice(space + 1);
      const d = JSON.parse(json).data;
      return {
        localNs: BigInt(line.slice(0, space)),
        json,
        expected: { ts: d.T, type: 'trade', venue: 'binance', symbol: d.s, tradeId: d.t, price: d.p, qty: d.q, buyerMaker: d.m },
      } as Frame;
    });
}

const btc = loadFrames('btcusdt_20240808.trades.head300.txt');
const eth = loadFrames('ethusdt_20240808.trades.head200.txt');
/** Both symbols in the order the collector received them. */
const merged = [...btc, ...eth].sort((a, b) => (a.localNs < b.localNs ? -1 : a.localNs > b.localNs ? 1 : 0));

interface Run {
  feed: BinanceLiveTrades;
  clock: CountingClock;
  trades: TradeEvent[];
  statuses: FeedStatusEvent[];
}

function run(server: WsReplayServer, symbols: string[], extra: { watchdogMs?: number; maxConnectionMs?: number } = {}): Run {
  const clock = new CountingClock();
  const trades: TradeEvent[] = [];
  const statuses: FeedStatusEvent[] = [];
  const feed = new BinanceLiveTrades({
    baseUrl: server.url + '/',
    symbols,
    clock,
    random: () => 0.5,
    watchdogMs: extra.watchdogMs ?? 5000,
    maxConnectionMs: extra.maxConnectionMs ?? 3_600_000,
    reconnectBaseMs: 10,
    reconnectMaxMs: 50,
    onEvent: (e: InputEvent) => {
      if (e.type === 'trade') trades.push(e);
      else if (e.type === 'feed_status') statuses.push(e);
    },
  });
  feed.start();
  return { feed, clock, trades, statuses };
}

const strip = (t: TradeEvent) => {
  const { v: _v, seq: _s, ...rest } = t;
  return rest;
};
const sendAll = (c: ServerConn, frames: Frame[]) => frames.forEach((f) => c.send(f.json));

describe('BinanceLiveTrades against a loopback server replaying recorded frames', () => {
  let server: WsReplayServer | null = null;
  let r: Run | null = null;
  afterEach(async () => {
    await r?.feed.close();
    await server?.stop();
    r = null;
    server = null;
  });

  it('normal flow: two symbols on the combined stream, events equal the recorded trades in order; close leaves no timers', async () => {
    server = await WsReplayServer.start({ onConnection: (c) => sendAll(c, merged) });
    r = run(server, ['BTCUSDT', 'ETHUSDT']);
    await waitFor(() => r!.trades.length === merged.length, 'all trades');
    expect(server.conns[0].path).toBe('/stream?streams=btcusdt@trade/ethusdt@trade');
    expect(r.trades.map(strip)).toEqual(merged.map((f) => f.expected));
    expect(r.feed.counters).toMatchObject({ frames: 500, trades: 500, duplicates: 0, gaps: 0, malformed: 0 });
    await r.feed.close();
    expect(r.clock.pending.size).toBe(0);
  });

  it('server closes the socket: reconnects, and no trade is lost or doubled', async () => {
    server = await WsReplayServer.start({
      onConnection: (c) => {
        if (c.index === 0) {
          sendAll(c, btc.slice(0, 120));
          c.close(1001);
        } else {
          sendAll(c, btc.slice(100)); // the venue resends 20 trades the client already has
        }
      },
    });
    r = run(server, ['BTCUSDT']);
    await waitFor(() => r!.trades.length === btc.length, 'all trades');
    await pause(20);
    expect(r.trades.map(strip)).toEqual(btc.map((f) => f.expected));
    expect(r.feed.counters).toMatchObject({ duplicates: 20, gaps: 0, reconnects: 1 });
    expect(r.statuses.map((s) => s.status)).toEqual(['connected', 'disconnected', 'connected', 'recovered']);
  });

  it('duplicate and missing trade ids: duplicates dropped, the gap counted and reported with its range', async () => {
    const sent = [...btc.slice(0, 50), ...btc.slice(55, 70), ...btc.slice(60, 70), ...btc.slice(70)];
    server = await WsReplayServer.start({ onConnection: (c) => sendAll(c, sent) });
    r = run(server, ['BTCUSDT']);
    await waitFor(() => r!.feed.counters.frames === sent.length, 'all frames');
    const expected = [...btc.slice(0, 50), ...btc.slice(55)].map((f) => f.expected);
    expect(r.trades.map(strip)).toEqual(expected);
    expect(r.feed.counters).toMatchObject({ duplicates: 10, gaps: 1, missingTrades: 5 });
    const gap = r.statuses.find((s) => s.status === 'gap')!;
    expect(gap.feed).toBe('binance');
    expect(gap.detail).toBe(`BTCUSDT trade ids ${btc[50].expected.tradeId}-${btc[54].expected.tradeId} missing (5)`);
  });

  it('malformed frames are counted, never a crash, and the good trades around them all arrive', async () => {
    const bad = [
      'not json at all',
      '{"stream":"btcusdt@trade","data":{"e":"trade","s":"BTCUSDT","t":1,"p":"abc","q":"1","T":1,"m":true}}',
      '[1,2,3]',
      btc[3].json.slice(0, 40),
      '{"stream":"btcusdt@trade","data":"oops"}',
    ];
    const other = '{"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTCUSDT","b":"1","B":"1","a":"2","A":"1"}}';
    const sent = [...btc.slice(0, 10).map((f) => f.json), ...bad, other, ...btc.slice(10, 40).map((f) => f.json)];
    server = await WsReplayServer.start({ onConnection: (c) => sent.forEach((t) => c.send(t)) });
    r = run(server, ['BTCUSDT']);
    await waitFor(() => r!.feed.counters.frames === sent.length, 'all frames');
    expect(r.trades.map(strip)).toEqual(btc.slice(0, 40).map((f) => f.expected));
    expect(r.feed.counters).toMatchObject({ malformed: bad.length, ignored: 1, trades: 40 });
  });

  it('server goes silent with the socket open: the watchdog reconnects and trading resumes', async () => {
    server = await WsReplayServer.start({
      onConnection: (c) => sendAll(c, c.index === 0 ? btc.slice(0, 100) : btc.slice(100)),
    });
    r = run(server, ['BTCUSDT'], { watchdogMs: 150 });
    await waitFor(() => r!.trades.length === btc.length, 'all trades', 3000);
    expect(r.trades.map(strip)).toEqual(btc.map((f) => f.expected));
    expect(r.statuses.map((s) => s.status).slice(0, 5)).toEqual(['connected', 'stale', 'disconnected', 'connected', 'recovered']);
    expect(r.feed.counters.stale).toBe(1);
  });

  it('planned reconnect: the overlap of old and new sockets is absorbed, nothing lost or doubled', async () => {
    let old: ServerConn | null = null;
    server = await WsReplayServer.start({
      onConnection: (c) => {
        if (c.index === 0) {
          old = c;
          sendAll(c, btc.slice(0, 100));
        } else if (c.index === 1) {
          // The new socket runs ahead; the old one still has trades 100..149 in flight (and repeats 140..149 on the new one).
          sendAll(c, btc.slice(140));
          sendAll(old!, btc.slice(100, 150));
        }
      },
    });
    r = run(server, ['BTCUSDT'], { maxConnectionMs: 150 });
    await waitFor(() => r!.trades.length === btc.length, 'all trades', 3000);
    await waitFor(() => old!.ws.readyState === old!.ws.CLOSED, 'old socket closed');
    const byId = [...r.trades].sort((a, b) => a.tradeId - b.tradeId).map(strip);
    expect(byId).toEqual(btc.map((f) => f.expected));
    expect(r.feed.counters).toMatchObject({ gaps: 0, duplicates: 10, plannedReconnects: 1 });
    // Usually the new socket is read first and trades 100..139 arrive late from the old one.
    expect([0, 40]).toContain(r.feed.counters.late);
    expect(r.statuses.map((s) => s.status)).not.toContain('disconnected');
  });
});

describe('TradeIdTracker', () => {
  it('holds holes while overlapping, fills them late, and reports what is left as gaps', () => {
    const t = new TradeIdTracker();
    expect([10, 11, 15].map((id) => t.accept(id))).toEqual(['new', 'new', 'new']);
    expect(t.accept(13)).toBe('late');
    expect(t.accept(13)).toBe('duplicate');
    expect(t.accept(11)).toBe('duplicate');
    expect(t.takeGaps(false)).toEqual([]);
    expect(t.takeGaps(true)).toEqual([
      { from: 12, to: 12 },
      { from: 14, to: 14 },
    ]);
    // Reported as a gap but never seen: when it does arrive (reordered frames) it is late, not a duplicate; a second copy is.
    expect(t.accept(14)).toBe('late');
    expect(t.accept(14)).toBe('duplicate');
    expect(t.takeGaps(true)).toEqual([]);
  });

  it('keeps memory bounded: beyond maxHoles the oldest hole is given up', () => {
    const t = new TradeIdTracker(2);
    for (const id of [1, 3, 5, 7]) t.accept(id);
    expect(t.takeGaps(false)).toEqual([{ from: 2, to: 2 }]);
    expect(t.takeGaps(true)).toEqual([
      { from: 4, to: 4 },
      { from: 6, to: 6 },
    ]);
  });
});
