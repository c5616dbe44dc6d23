import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseConfig } from '../../actors/config/load';
import { TradingService } from '../../actors/service/service';
import type { BinanceLiveCounters } from '../../actors/venues/binance/liveTrades';
import { SystemClock } from '../../events/clock';
import { readAllEvents } from '../../events/log';
import type { TradeEvent } from '../../events/types';
import { WsReplayServer, type ServerConn } from '../support/wsReplayServer';
import { DEMO_TICKS } from './support/demoRun';
import { LONG, percentile, reportFigures } from './support/figures';
import { chaosSeed, seededRandom } from './support/random';
import { wallClock } from './support/serviceProcess';
import { binanceFrame } from './support/tradeFeed';

const clock = new SystemClock();
let dir: string;
let recorded: TradeEvent[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pma-chaos-binance-'));
  recorded = (await readAllEvents(DEMO_TICKS)).records.flatMap((r) => (r.event.type === 'trade' ? [r.event] : []));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = (t: { symbol: string; tradeId: number }) => `${t.symbol}:${t.tradeId}`;

interface Sent {
  /** Trade keys in the order sent, per connection. */
  perConn: string[][];
  openedAt: number[];
  closedAt: number[];
}

/** Runs the service's Binance feed against `script`, then returns what the log holds. */
async function run(name: string, watchdogMs: number, script: (conn: ServerConn, sent: Sent, server: WsReplayServer) => Promise<void>, done: (sent: Sent, logged: number) => boolean, timeoutMs: number) {
  const sent: Sent = { perConn: [], openedAt: [], closedAt: [] };
  const server: WsReplayServer = await WsReplayServer.start({
    onConnection: (conn) => {
      sent.perConn[conn.index] = [];
      sent.openedAt[conn.index] = wallClock.now();
      conn.ws.on('close', () => (sent.closedAt[conn.index] = wallClock.now()));
      void script(conn, sent, server);
    },
  });
  const config = parseConfig({ feeds: { binanceWsUrl: server.url, symbols: ['BTCUSDT', 'ETHUSDT'], watchdogMs, reconnectBaseMs: 50, reconnectMaxMs: 200 }, service: { tickMs: 3_600_000 } });
  const logPath = join(dir, `${name}.jsonl`);
  const svc = new TradingService({ config, logPath, env: {}, logger: pino({ level: 'silent' }), clock, disable: { clobWs: true, rtds: true, scan: true } });
  // The Binance feed's own counters (the service exposes them as the metrics' narrower view).
  const counters = () => svc.feedCounters()[0].counters() as BinanceLiveCounters;
  try {
    await svc.start();
    const until = wallClock.now() + timeoutMs;
    while (!done(sent, svc.engine.stats().trades) && wallClock.now() < until) await wallClock.sleep(20);
    await wallClock.sleep(300); // the last frames in flight
  } finally {
    await svc.stop('test');
    await server.stop();
  }
  const c = counters();
  const events = (await readAllEvents(logPath)).records.map((r) => r.event);
  const logged = events.flatMap((e) => (e.type === 'trade' ? [key(e)] : []));
  const loggedSet = new Set(logged);
  // Lost while connected: sent on a connection before the last trade of it that the log holds, yet not logged.
  let lost = 0;
  let inFlight = 0;
  for (const keys of sent.perConn) {
    const last = keys.map((k) => loggedSet.has(k)).lastIndexOf(true);
    lost += new Set(keys.slice(0, last + 1).filter((k) => !loggedSet.has(k))).size;
    inFlight += keys.length - (last + 1);
  }
  const distinctSent = new Set(sent.perConn.flat()).size;
  return { sent, logged, lost, inFlight, doubled: logged.length - loggedSet.size, distinctSent, counters: c, events };
}

/** Sends trades from a shared cursor, `perStep` frames every `stepMs`, while the connection is open and `go()` says so. */
function pump(cursor: { i: number }, trades: TradeEvent[], perStep: number, stepMs: number, go: (conn: ServerConn, sentOnConn: number) => boolean) {
  return async (conn: ServerConn, sent: Sent) => {
    const mine = sent.perConn[conn.index];
    while (conn.ws.readyState === conn.ws.OPEN && cursor.i < trades.length) {
      if (!go(conn, mine.length)) return;
      for (let n = 0; n < perStep && cursor.i < trades.length; n++, cursor.i++) {
        conn.ws.send(binanceFrame(trades[cursor.i]));
        mine.push(key(trades[cursor.i]));
      }
      await wallClock.sleep(stepMs);
    }
  };
}

it('socket closed by the venue every few seconds: every trade sent while connected is logged once; reconnects and recovery time', async () => {
  const random = seededRandom(chaosSeed(11));
  const totalMs = LONG ? 180_000 : 20_000;
  const cursor = { i: 0 };
  const started = wallClock.now();
  // Each connection lives a seeded 0.5-3 s, then the server closes it (close frame, as Binance's 24 h cut does).
  const life = new Map<number, number>();
  const trades = Array.from({ length: Math.ceil(totalMs / 5) * 4 }, (_, i) => {
    const t = recorded[i % recorded.length];
    return { ...t, tradeId: t.tradeId + Math.floor(i / recorded.length) * 10_000_000 };
  });
  const script = pump(cursor, trades, 4, 5, (conn) => {
    if (!life.has(conn.index)) life.set(conn.index, wallClock.now() + 500 + random() * 2500);
    if (wallClock.now() - started > totalMs) return false;
    if (wallClock.now() > life.get(conn.index)!) {
      conn.close(1001);
      return false;
    }
    return true;
  });
  const r = await run('closes', 5_000, script, () => wallClock.now() - started > totalMs, totalMs + 10_000);
  const recover = r.sent.closedAt.slice(0, -1).map((closed, i) => r.sent.openedAt[i + 1] - closed);
  reportFigures('Binance feed: socket closed every 0.5-3 s', {
    seconds: totalMs / 1000,
    binance_reconnects: r.counters.reconnects,
    server_connections: r.sent.perConn.length,
    time_to_recover_ms_p50: Math.round(percentile(recover, 50)),
    time_to_recover_ms_max: Math.round(Math.max(...recover)),
    trades_sent: r.distinctSent,
    trades_logged: r.logged.length,
    trades_lost_while_connected: r.lost,
    trades_double_counted: r.doubled,
  });
  expect(r.sent.perConn.length).toBeGreaterThanOrEqual(LONG ? 60 : 6);
  expect(r.counters.reconnects).toBe(r.sent.perConn.length - 1);
  expect({ lost: r.lost, doubled: r.doubled, unsent: r.inFlight }).toEqual({ lost: 0, doubled: 0, unsent: 0 });
}, 240_000);

it('a feed silent for longer than the watchdog (socket open): the service reconnects and takes the trades sent after', async () => {
  const cursor = { i: 0 };
  // Connection 0 sends 400 trades then falls silent with the socket open; later connections send the rest.
  const trades = recorded.slice(0, 1200);
  const script = pump(cursor, trades, 20, 5, (conn, n) => conn.index > 0 || n < 400);
  const r = await run('silent', 600, script, () => cursor.i >= trades.length, 15_000);
  const stale = r.events.filter((e) => e.type === 'feed_status' && e.feed === 'binance' && e.status === 'stale').length;
  reportFigures('Binance feed: silent for longer than the watchdog (600 ms)', {
    stale_detected: stale,
    binance_reconnects: r.counters.reconnects,
    time_to_recover_ms: Math.round(r.sent.openedAt[1] - r.sent.openedAt[0]),
    trades_sent: r.distinctSent,
    trades_logged: r.logged.length,
    trades_lost_while_connected: r.lost,
    trades_double_counted: r.doubled,
  });
  expect(stale).toBeGreaterThanOrEqual(1);
  expect(r.counters.reconnects).toBeGreaterThanOrEqual(1);
  expect(r.logged.length).toBe(trades.length);
  expect({ lost: r.lost, doubled: r.doubled }).toEqual({ lost: 0, doubled: 0 });
}, 60_000);

it('frames duplicated and reordered: each trade is logged exactly once', async () => {
  const random = seededRandom(chaosSeed(12));
  const trades = recorded.slice(0, 5000);
  let dups = 0;
  let swaps = 0;
  const script = async (conn: ServerConn, sent: Sent) => {
    const mine = sent.perConn[conn.index];
    const out: TradeEvent[] = [];
    for (let i = 0; i < trades.length; i++) {
      out.push(trades[i]);
      if (random() < 0.1) {
        out.push(trades[i]);
        dups++;
      }
    }
    for (let i = 0; i + 1 < out.length; i++) {
      if (random() < 0.05) {
        [out[i], out[i + 1]] = [out[i + 1], out[i]];
        swaps++;
        i++;
      }
    }
    for (let i = 0; i < out.length; i++) {
      conn.ws.send(binanceFrame(out[i]));
      mine.push(key(out[i]));
      if (i % 50 === 49) await wallClock.sleep(2);
    }
  };
  const r = await run('dups', 5_000, script, (s) => (s.perConn[0]?.length ?? 0) >= trades.length + dups, 20_000);
  reportFigures('Binance feed: 10 % of frames duplicated, 5 % of neighbours swapped', {
    frames_sent: r.sent.perConn[0].length,
    frames_duplicated: dups,
    pairs_swapped: swaps,
    trades_logged: r.logged.length,
    duplicates_dropped: r.counters.duplicates,
    late_accepted: r.counters.late,
    trades_lost_while_connected: r.lost,
    trades_double_counted: r.doubled,
  });
  expect({ lost: r.lost, doubled: r.doubled, logged: r.logged.length }).toEqual({ lost: 0, doubled: 0, logged: trades.length });
}, 60_000);

it('a burst of 50,000 trades per second (frames back to back): all logged once', async () => {
  const trades = Array.from({ length: 50_000 }, (_, i) => {
    const t = recorded[i % recorded.length];
    return { ...t, tradeId: t.tradeId + Math.floor(i / recorded.length) * 10_000_000 };
  });
  let sentMs = 0;
  // Written in one synchronous loop (the service, in this process, reads nothing until it ends): a true burst.
  const script = async (conn: ServerConn, sent: Sent) => {
    const mine = sent.perConn[conn.index];
    const t0 = wallClock.now();
    for (let i = 0; i < trades.length; i++) {
      conn.ws.send(binanceFrame(trades[i]));
      mine.push(key(trades[i]));
    }
    sentMs = wallClock.now() - t0;
  };
  const r = await run('burst', 10_000, script, (_, logged) => logged >= trades.length, 20_000);
  reportFigures('Binance feed: burst of 50,000 trades sent back to back', {
    trades_sent: r.distinctSent,
    send_ms: Math.round(sentMs),
    server_trades_per_s: Math.round((r.distinctSent / Math.max(1, sentMs)) * 1000),
    trades_logged: r.logged.length,
    trades_lost_while_connected: r.lost,
    trades_double_counted: r.doubled,
  });
  expect(sentMs).toBeLessThan(1000);
  expect({ lost: r.lost, doubled: r.doubled, logged: r.logged.length }).toEqual({ lost: 0, doubled: 0, logged: trades.length });
}, 60_000);
