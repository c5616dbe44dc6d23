import type { FeedStatusEvent } from '../events/types';
import { WsConnection, type WsConnectionOptions } from '../actors/venues/wsConnection';
import { CountingClock } from './support/countingClock';
import { pause, waitFor, WsReplayServer } from './support/wsReplayServer';

interface Harness {
  conn: WsConnection;
  clock: CountingClock;
  messages: string[];
  statuses: FeedStatusEvent[];
}

function connect(url: string, extra: Partial<WsConnectionOptions> = {}): Harness {
  const clock = new CountingClock();
  const messages: string[] = [];
  const statuses: FeedStatusEvent[] = [];
  const conn = new WsConnection({
    feed: 'test',
    url,
    clock,
    random: () => 0.5,
    watchdogMs: 2000,
    reconnectBaseMs: 20,
    reconnectMaxMs: 200,
    onMessage: (t) => messages.push(t),
    onStatus: (e) => statuses.push(e),
    ...extra,
  });
  conn.start();
  return { conn, clock, messages, statuses };
}

const kinds = (h: Harness) => h.statuses.map((s) => s.status);

describe('WsConnection', () => {
  let server: WsReplayServer | null = null;
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.conn.close();
    await server?.stop();
    h = null;
    server = null;
  });

  it('delivers frames, reports connected, sends the subscription on open, and close() leaves no timers', async () => {
    server = await WsReplayServer.start({ onConnection: (c) => ['a', 'b', 'c'].forEach((t) => c.send(t)) });
    const before = new CountingClock().now();
    h = connect(server.url, { onOpen: (send) => send('SUB'), keepalive: { text: 'PING', everyMs: 1000 }, maxConnectionMs: 60_000 });
    await waitFor(() => h!.messages.length === 3, 'three frames');
    expect(h.messages).toEqual(['a', 'b', 'c']);
    await waitFor(() => server!.conns[0].received.length === 1, 'subscription');
    expect(server.conns[0].received).toEqual(['SUB']);
    expect(kinds(h)).toEqual(['connected']);
    expect(h.statuses[0].feed).toBe('test');
    expect(h.statuses[0].ts).toBeGreaterThanOrEqual(before);
    expect(h.clock.pending.size).toBeGreaterThan(0); // watchdog, keepalive, planned reconnect
    await h.conn.close();
    expect(h.clock.pending.size).toBe(0);
    expect(kinds(h)).toEqual(['connected', 'disconnected']);
    await waitFor(() => server!.openConns.length === 0, 'server sees the close');
  });

  it('reconnects with backoff after the server closes, and reports disconnected then recovered', async () => {
    server = await WsReplayServer.start({
      onConnection: (c) => {
        c.send(`hello ${c.index}`);
        if (c.index === 0) c.close(1001);
      },
    });
    h = connect(server.url);
    await waitFor(() => h!.messages.includes('hello 1'), 'second connection');
    expect(h.messages).toEqual(['hello 0', 'hello 1']);
    expect(kinds(h)).toEqual(['connected', 'disconnected', 'connected', 'recovered']);
    expect(h.statuses[1].detail).toContain('code 1001');
    expect(h.conn.counters.reconnects).toBe(1);
  });

  it('backs off exponentially with jitter while the server keeps refusing', async () => {
    server = await WsReplayServer.start({ onConnection: (c) => c.drop() });
    const draws: number[] = [];
    const wall = new CountingClock();
    const t0 = wall.now();
    h = connect(server.url, { reconnectBaseMs: 40, reconnectMaxMs: 160, random: () => (draws.push(0), 0) });
    await waitFor(() => server!.conns.length >= 4, 'four attempts', 4000);
    const elapsed = wall.now() - t0;
    // With random() = 0 each delay is half its cap: 20, 40, 80 ms before attempts 2, 3, 4.
    expect(elapsed).toBeGreaterThanOrEqual(20 + 40 + 80 - 5);
    expect(draws.length).toBeGreaterThanOrEqual(3);
  });

  it('replaces a socket that stays open but goes silent (watchdog), then recovers', async () => {
    server = await WsReplayServer.start({
      onConnection: (c) => {
        c.send(`first ${c.index}`); // connection 0 then says nothing more
      },
    });
    h = connect(server.url, { watchdogMs: 150 });
    await waitFor(() => h!.messages.includes('first 1'), 'second connection after the watchdog', 3000);
    expect(kinds(h).slice(0, 5)).toEqual(['connected', 'stale', 'disconnected', 'connected', 'recovered']);
    expect(h.statuses[1].detail).toMatch(/no message for \d+ ms/);
    expect(h.conn.counters.stale).toBeGreaterThanOrEqual(1);
  });

  it('sends the keepalive text on schedule and the server answers PONG', async () => {
    server = await WsReplayServer.start();
    h = connect(server.url, { keepalive: { text: 'PING', everyMs: 40 }, watchdogMs: 1000 });
    await waitFor(() => (server!.conns[0]?.received.length ?? 0) >= 3, 'three PINGs');
    expect(server.conns[0].received.slice(0, 3)).toEqual(['PING', 'PING', 'PING']);
    expect(h.messages.filter((m) => m === 'PONG').length).toBeGreaterThanOrEqual(2);
    // PONGs are messages: the watchdog never fired.
    expect(kinds(h)).toEqual(['connected']);
  });

  it('planned reconnect opens the new socket before closing the old one', async () => {
    let overlapEnded = 0;
    let oldOpenWhenNewArrived: boolean | null = null;
    server = await WsReplayServer.start({
      onConnection: (c) => {
        if (c.index === 1) oldOpenWhenNewArrived = server!.conns[0].ws.readyState === c.ws.OPEN;
        c.send(`from ${c.index}`);
      },
    });
    h = connect(server.url, { maxConnectionMs: 100, onOverlapEnd: () => overlapEnded++ });
    await waitFor(() => overlapEnded === 1, 'first planned reconnect ends');
    expect(oldOpenWhenNewArrived).toBe(true);
    expect(h.messages.slice(0, 2)).toEqual(['from 0', 'from 1']);
    const statuses = kinds(h);
    expect(statuses.slice(0, 2)).toEqual(['connected', 'connected']);
    expect(statuses).not.toContain('disconnected');
    expect(h.conn.counters.plannedReconnects).toBeGreaterThanOrEqual(1);
    await waitFor(() => server!.conns[0].ws.readyState === server!.conns[0].ws.CLOSED, 'old socket closed');
  });

  it('reports an HTTP 451 geo-block clearly and keeps retrying', async () => {
    server = await WsReplayServer.start({ rejectStatus: 451 });
    h = connect(server.url, { reconnectBaseMs: 10, reconnectMaxMs: 20 });
    await waitFor(() => h!.statuses.filter((s) => s.status === 'disconnected').length >= 2, 'two refused attempts');
    expect(h.statuses[0].status).toBe('disconnected');
    expect(h.statuses[0].detail).toMatch(/HTTP 451 .*geo-block/);
  });

  it('reports a DNS failure by host name', async () => {
    h = connect('ws://no-such-host.invalid:9443/stream', { reconnectBaseMs: 5000, reconnectMaxMs: 5000 });
    await waitFor(() => h!.statuses.length >= 1, 'a disconnect', 10_000);
    expect(h.statuses[0].status).toBe('disconnected');
    expect(h.statuses[0].detail).toMatch(/no-such-host\.invalid/);
    expect(h.statuses[0].detail).toMatch(/DNS lookup failed|EAI_AGAIN|ENOTFOUND/);
  });

  it('close() during a pending reconnect cancels it', async () => {
    server = await WsReplayServer.start({ onConnection: (c) => c.drop() });
    h = connect(server.url, { reconnectBaseMs: 10_000, reconnectMaxMs: 10_000 });
    await waitFor(() => kinds(h!).includes('disconnected'), 'first drop');
    expect(h.clock.pending.size).toBe(1); // the reconnect
    await h.conn.close();
    expect(h.clock.pending.size).toBe(0);
    await pause(30);
    expect(server.conns.length).toBe(1);
  });
});
