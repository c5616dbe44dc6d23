import type { InputEvent, OraclePriceEvent } from '../events/types';
import { RtdsChainlinkPrices } from '../actors/venues/polymarket/rtds';
import { numberToDecimal, parseRtdsFrame } from '../actors/venues/polymarket/rtdsParse';
import { CountingClock } from './support/countingClock';
import { waitFor, WsReplayServer } from './support/wsReplayServer';

/** An RTDS Chainlink update in the documented shape. */
const update = (symbol: string, ts: number, value: number) =>
  JSON.stringify({ topic: 'crypto_prices_chainlink', type: 'update', timestamp: ts + 24, payload: { symbol, timestamp: ts, value } });

interface Run {
  feed: RtdsChainlinkPrices;
  clock: CountingClock;
  events: InputEvent[];
}

function run(server: WsReplayServer, symbols: string[], pingMs = 10_000, watchdogMs = 5000): Run {
  const clock = new CountingClock();
  const events: InputEvent[] = [];
  const feed = new RtdsChainlinkPrices({ url: server.url, symbols, clock, random: () => 0.5, watchdogMs, reconnectBaseMs: 10, reconnectMaxMs: 50, pingMs, onEvent: (e) => events.push(e) });
  feed.start();
  return { feed, clock, events };
}

const prices = (events: InputEvent[]) => events.filter((e): e is OraclePriceEvent => e.type === 'oracle_price').map((e) => [e.symbol, e.ts, e.value]);

describe('RtdsChainlinkPrices against a loopback RTDS', () => {
  let server: WsReplayServer | null = null;
  let r: Run | null = null;
  afterEach(async () => {
    await r?.feed.close();
    await server?.stop();
    r = null;
    server = null;
  });

  it('subscribes per pair with a JSON filter, emits the prices asked for, ignores others, and sends PING', async () => {
    const frames = [
      update('btc/usd', 1753314088395, 67234.5),
      update('eth/usd', 1753314064213, 3456.78),
      update('sol/usd', 1753314064300, 189.55), // not asked for
      JSON.stringify({ topic: 'crypto_prices', type: 'update', timestamp: 1, payload: { symbol: 'btcusdt', timestamp: 1, value: 1 } }),
      update('btc/usd', 1753314089395, 67240.25),
    ];
    server = await WsReplayServer.start({ onClientMessage: (c, text) => text.startsWith('{') && frames.forEach((f) => c.send(f)) });
    r = run(server, ['btc/usd', 'eth/usd'], 30);
    await waitFor(() => r!.feed.counters.frames >= frames.length, 'all frames');
    expect(JSON.parse(server.conns[0].received[0])).toEqual({
      action: 'subscribe',
      subscriptions: [
        { topic: 'crypto_prices_chainlink', type: '*', filters: '{"symbol":"btc/usd"}' },
        { topic: 'crypto_prices_chainlink', type: '*', filters: '{"symbol":"eth/usd"}' },
      ],
    });
    expect(prices(r.events)).toEqual([
      ['btc/usd', 1753314088395, '67234.5'],
      ['eth/usd', 1753314064213, '3456.78'],
      ['btc/usd', 1753314089395, '67240.25'],
    ]);
    expect(r.feed.counters).toMatchObject({ prices: 3, ignored: 2, malformed: 0 });
    await waitFor(() => server!.conns[0].received.filter((t) => t === 'PING').length >= 2, 'two PINGs');
  });

  it('after a reconnect it resubscribes; the resent history batch (newest first) is not recorded twice', async () => {
    const t = 1766972700000;
    const batch = (upTo: number) =>
      JSON.stringify({
        topic: 'crypto_prices_chainlink',
        type: 'update',
        timestamp: t + upTo * 1000,
        payload: { symbol: 'btc/usd', data: Array.from({ length: upTo }, (_, i) => ({ timestamp: t + (upTo - 1 - i) * 1000, value: 87000 + (upTo - 1 - i) })) },
      });
    server = await WsReplayServer.start({
      onClientMessage: (c, text) => {
        if (!text.startsWith('{')) return;
        c.send(batch(c.index === 0 ? 3 : 5));
        if (c.index === 0) c.close(1012);
      },
    });
    r = run(server, ['btc/usd']);
    await waitFor(() => r!.feed.counters.frames === 2, 'two batches');
    expect(server.conns[1].received[0]).toBe(server.conns[0].received[0]);
    expect(prices(r.events)).toEqual([0, 1, 2, 3, 4].map((i) => ['btc/usd', t + i * 1000, String(87000 + i)]));
    expect(r.feed.counters).toMatchObject({ prices: 5, repeated: 3, reconnects: 1 });
  });

  it('malformed messages are counted, never a crash; a silent feed is reported stale and replaced', async () => {
    server = await WsReplayServer.start({
      answerPing: false,
      onClientMessage: (c, text) => {
        if (!text.startsWith('{')) return;
        c.send('{oops');
        c.send(JSON.stringify({ topic: 'crypto_prices_chainlink', type: 'update', timestamp: 1, payload: { symbol: 'btc/usd', timestamp: 5, value: -1 } }));
        c.send(update('btc/usd', 1000 + c.index, 90000));
      },
    });
    r = run(server, ['btc/usd'], 10_000, 150);
    await waitFor(() => r!.feed.counters.prices === 2, 'a price from the second socket', 3000);
    expect(r.feed.counters.malformed).toBe(4);
    const statuses = r.events.filter((e) => e.type === 'feed_status').map((e) => (e as { status: string }).status);
    expect(statuses.slice(0, 3)).toEqual(['connected', 'stale', 'disconnected']);
    expect(r.events.every((e) => e.type !== 'feed_status' || (e as { feed: string }).feed === 'rtds')).toBe(true);
  });
});

describe('rtds parsing', () => {
  it('turns JSON numbers into plain decimal strings', () => {
    expect(numberToDecimal(67234.5)).toBe('67234.5');
    expect(numberToDecimal(1e-7)).toBe('0.0000001');
    expect(numberToDecimal(2.5e21)).toBe('2500000000000000000000');
    expect(numberToDecimal(1.23e-7)).toBe('0.000000123');
    expect(numberToDecimal(1.5e-7)).toBe('0.00000015');
  });

  it('names the URL, frame and field of a bad price', () => {
    const text = JSON.stringify({ topic: 'crypto_prices_chainlink', type: 'update', timestamp: 1, payload: { symbol: 'btc/usd', timestamp: 2, value: 'abc' } });
    expect(() => parseRtdsFrame(text, { file: 'wss://ws-live-data.polymarket.com', line: 3 })).toThrow(
      `wss://ws-live-data.polymarket.com:3: field 'payload.value': expected a non-negative decimal, got "abc"`,
    );
  });
});
