import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readAllEvents } from '../events/log';
import type { InputEvent } from '../events/types';
import { FIXTURES } from './support/shared';
import { waitFor, WsReplayServer } from './support/wsReplayServer';

const ROOT = resolve(__dirname, '..');
const btc = readFileSync(join(FIXTURES, 'ws', 'btcusdt_20240808.trades.head300.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.length > 0)
  .map((l) => l.slice(l.indexOf(' ') + 1));

const TOKEN = '71321045679252212594626385532706912750332728571942532289631379312455583992563';
const MARKET = '0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1';

function lineCount(path: string): number {
  try {
    return readFileSync(path, 'utf8').split('\n').length - 1;
  } catch {
    return 0;
  }
}

describe('pma record (child process) against loopback venues', () => {
  let dir: string;
  const servers: WsReplayServer[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-record-'));
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes every frame sent as a valid input event, and SIGINT flushes, closes, summarises and exits 0', async () => {
    const binance = await WsReplayServer.start({ onConnection: (c) => btc.forEach((f) => c.send(f)) });
    const book = { event_type: 'book', asset_id: TOKEN, market: MARKET, bids: [{ price: '0.48', size: '10' }], asks: [{ price: '0.52', size: '20' }], timestamp: '1757908892000', hash: 'h' };
    const clob = await WsReplayServer.start({ onClientMessage: (c, t) => t.startsWith('{') && c.send(JSON.stringify([book])) });
    const rtds = await WsReplayServer.start({
      onClientMessage: (c, t) =>
        t.startsWith('{') && c.send(JSON.stringify({ topic: 'crypto_prices_chainlink', type: 'update', timestamp: 1, payload: { symbol: 'btc/usd', timestamp: 1766972700000, value: 87123.45 } })),
    });
    servers.push(binance, clob, rtds);
    const out = join(dir, 'live.ticks.jsonl');
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ feeds: { symbols: ['BTCUSDT'] } }));

    const child = spawn(
      process.execPath,
      ['bin/pma.js', 'record', '--out', out, '--config', config, '--binance-url', binance.url, '--clob-ws-url', clob.url + '/ws/market', '--assets', TOKEN, '--rtds-url', rtds.url, '--oracle', 'btc/usd'],
      { cwd: ROOT, env: { ...process.env, CLOB_WS_URL: '', RTDS_WS_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));

    // 3 connected statuses + 300 trades + 1 book + 1 oracle price, all on disk before the signal.
    await waitFor(() => lineCount(out) >= 305, `305 lines in ${out} (stderr: ${stderr.slice(-500)})`, 30_000);
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^recorded 308 events to .*live\.ticks\.jsonl \(/);

    const { records, summary } = await readAllEvents(out);
    expect(summary.tornTail).toBeNull();
    expect(records.map((r) => r.event.seq)).toEqual(records.map((_, i) => i + 1));
    const events = records.map((r) => r.event as InputEvent);
    const trades = events.filter((e) => e.type === 'trade');
    expect(trades.map((t) => t.type === 'trade' && t.tradeId)).toEqual(btc.map((f) => JSON.parse(f).data.t));
    expect(trades.map((t) => t.ts)).toEqual(btc.map((f) => JSON.parse(f).data.T));
    expect(events.filter((e) => e.type === 'book').map((e) => e.type === 'book' && e.tokenId)).toEqual([TOKEN]);
    expect(events.filter((e) => e.type === 'oracle_price').map((e) => e.type === 'oracle_price' && [e.symbol, e.value])).toEqual([['btc/usd', '87123.45']]);
    const statuses = events.filter((e) => e.type === 'feed_status').map((e) => e.type === 'feed_status' && `${e.feed}:${e.status}`);
    expect(statuses.filter((s) => String(s).endsWith(':connected')).sort()).toEqual(['binance:connected', 'clob_ws:connected', 'rtds:connected']);
    // The last three lines: each feed closed by the client on SIGINT.
    expect(statuses.slice(-3).sort()).toEqual(['binance:disconnected', 'clob_ws:disconnected', 'rtds:disconnected']);
    await waitFor(() => [binance, clob, rtds].every((s) => s.openConns.length === 0), 'sockets closed');

    // The recorded session (trades, books, Chainlink prices) replays to byte-identical logs.
    const logs = [join(dir, 'replay1.jsonl'), join(dir, 'replay2.jsonl')];
    for (const log of logs) {
      const replay = spawn(process.execPath, ['bin/pma.js', 'replay', out, '--out', log], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      replay.stderr.on('data', (d) => (err += d));
      const rc = await new Promise<number | null>((res) => replay.on('exit', (c) => res(c)));
      expect({ rc, err }).toEqual({ rc: 0, err: '' });
    }
    const [first, second] = logs.map((l) => readFileSync(l));
    expect(first.equals(second)).toBe(true);
    const replayed = first.toString('utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l).type as string);
    for (const type of ['trade', 'book', 'oracle_price', 'feed_status']) expect(replayed).toContain(type);
  }, 40_000);
});
