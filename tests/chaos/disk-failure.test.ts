import { mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAllEvents } from '../../events/log';
import type { TradeEvent } from '../../events/types';
import { PolymarketServer, twentyMarkets } from '../support/polymarketServer';
import { WsReplayServer } from '../support/wsReplayServer';
import { DEMO_TICKS } from './support/demoRun';
import { reportFigures } from './support/figures';
import { ServiceProcess, wallClock } from './support/serviceProcess';
import { TradeFeed } from './support/tradeFeed';

let dir: string;
let trades: TradeEvent[];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pma-chaos-disk-'));
  trades = (await readAllEvents(DEMO_TICKS)).records.flatMap((r) => (r.event.type === 'trade' ? [r.event] : [])).slice(0, 20_000);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Health {
  status: string;
  checks: Record<string, { status: string; detail?: string }>;
}

const counter = (metrics: string, name: string) =>
  metrics
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

async function runUntilLogFails(name: string, logPath: string, fileSizeLimitBytes?: number) {
  const feed = await TradeFeed.start({ trades, perStep: 20, stepMs: 5 });
  const silent = await WsReplayServer.start();
  const gamma = await PolymarketServer.start();
  gamma.markets = twentyMarkets();
  const configPath = join(dir, `${name}.json`);
  writeFileSync(configPath, JSON.stringify({ feeds: { symbols: ['BTCUSDT', 'ETHUSDT'], reconnectBaseMs: 50, reconnectMaxMs: 100 }, service: { tickMs: 100 } }));
  const env = { BINANCE_WS_URL: feed.url, GAMMA_URL: gamma.url, CLOB_URL: gamma.url, CLOB_WS_URL: silent.url, RTDS_WS_URL: silent.url };
  const p = new ServiceProcess({ args: ['start', '--config', configPath, '--log', logPath, '--metrics-port', '0'], env, fileSizeLimitBytes });
  try {
    await p.started();
    let health: Health = { status: 'ok', checks: {} };
    const deadline = wallClock.now() + 30_000;
    while (health.checks.event_log?.status !== 'failed') {
      if (wallClock.now() > deadline) throw new Error(`the log never failed: ${JSON.stringify(health)}`);
      health = JSON.parse((await p.get('/healthz')).body) as Health;
      await wallClock.sleep(20);
    }
    const metricsAtFailure = (await p.get('/metrics')).body;
    const sizeAtFailure = statSync(logPath).size;
    const connsAtFailure = feed.server.conns.length;
    const sentAtFailure = feed.cursor;
    // The venue goes on: nothing more may be taken in, logged, ordered or filled.
    await wallClock.sleep(1500);
    const metricsLater = (await p.get('/metrics')).body;
    const healthStatus = (await p.get('/healthz')).status;
    p.kill('SIGTERM');
    const exit = await p.exited;
    const fatal = p.logLines().filter((l) => l.level === 60);
    return {
      health,
      healthStatus,
      exit,
      fatal,
      ordersAfter: counter(metricsLater, 'pma_orders_total') - counter(metricsAtFailure, 'pma_orders_total'),
      fillsAfter: counter(metricsLater, 'pma_fills_total') - counter(metricsAtFailure, 'pma_fills_total'),
      appendsAfter: counter(metricsLater, 'pma_event_log_append_seconds_count') - counter(metricsAtFailure, 'pma_event_log_append_seconds_count'),
      bytesAfter: statSync(logPath).size - sizeAtFailure,
      reconnectsAfter: feed.server.conns.length - connsAtFailure,
      feedOpenAfter: feed.server.openConns.length,
      tradesSentBeforeFailure: sentAtFailure,
      logBytes: statSync(logPath).size,
    };
  } finally {
    if (p.running) p.kill('SIGKILL');
    await feed.stop();
    await silent.stop();
    await gamma.close();
  }
}

function check(r: Awaited<ReturnType<typeof runUntilLogFails>>, reason: RegExp) {
  expect(r.health.checks.event_log.detail).toMatch(reason);
  expect(r.healthStatus).toBe(503);
  expect(r.fatal.map((l) => `${l.msg} ${l.err}`)).toEqual([expect.stringMatching(/event log failed: trading stopped/)]);
  expect(String(r.fatal[0].err)).toMatch(reason);
  expect(r.exit.code).not.toBe(0);
  expect({ orders: r.ordersAfter, fills: r.fillsAfter, appends: r.appendsAfter, bytes: r.bytesAfter, reconnects: r.reconnectsAfter, open: r.feedOpenAfter }).toEqual({ orders: 0, fills: 0, appends: 0, bytes: 0, reconnects: 0, open: 0 });
}

it('a disk that fills up mid-run (RLIMIT_FSIZE: EFBIG): trading stops, the fatal line and /healthz say why, SIGTERM exits non-zero', async () => {
  const r = await runUntilLogFails('full', join(dir, 'full.jsonl'), 256 * 1024);
  reportFigures('disk fills up mid-run (pma start child, log limited to 256 KiB)', {
    log_bytes_at_failure: r.logBytes,
    trades_sent_before_failure: r.tradesSentBeforeFailure,
    orders_after_failure: r.ordersAfter,
    appends_after_failure: r.appendsAfter,
    feed_reconnects_after_failure: r.reconnectsAfter,
    exit_code_on_sigterm: r.exit.code ?? -1,
  });
  check(r, /EFBIG|file too large/);
  expect(r.tradesSentBeforeFailure).toBeGreaterThan(0);
}, 90_000);

it('a log that cannot be written from the start (/dev/full: ENOSPC): the same', async () => {
  const logPath = join(dir, 'devfull.jsonl');
  symlinkSync('/dev/full', logPath);
  const r = await runUntilLogFails('devfull', logPath);
  reportFigures('log on /dev/full (pma start child)', {
    orders_after_failure: r.ordersAfter,
    appends_after_failure: r.appendsAfter,
    exit_code_on_sigterm: r.exit.code ?? -1,
  });
  check(r, /ENOSPC|no space/);
}, 90_000);
