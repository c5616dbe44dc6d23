/**
 * The whole service's Gamma request budget, measured from outside: the real `pma start` (a child
 * process, default settings) against a loopback Gamma/CLOB serving the recorded market list and
 * every 15-minute Up/Down window; Binance, the CLOB and RTDS websockets point at a closed loopback
 * port. The server counts the requests that arrive; the first `WARMUP_S` seconds (start-up) are not
 * counted. Three runs side by side: no faults, 30 % faults (429, 500, hangs past the timeout,
 * truncated bodies), and a Gamma that lists no 15-minute market (every discovery answer negative).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFifteenMinSlug } from '../actors/venues/polymarket/fifteenMinMarkets';
import { SystemClock } from '../events/clock';
import { ServiceProcess } from '../tests/chaos/support/serviceProcess';
import { seededRandom } from '../tests/chaos/support/random';
import { PolymarketServer, standardFaults, twentyMarkets, upDownWindowEvent } from '../tests/support/polymarketServer';

export const name = 'serviceBudget';

const wall = new SystemClock();
/** Seconds counted (steady state), after the warm-up. BENCH_SERVICE_S shortens it while developing. */
const MEASURE_S = Number(process.env.BENCH_SERVICE_S ?? 60);
const WARMUP_S = 15;
/** Polymarket lists the 15-minute markets about a day ahead. */
const LISTED_AHEAD_S = 86_400;
const HTTP_TIMEOUT_MS = 5_000;

export interface BudgetRun {
  gammaPerMin: number;
  marketsPerMin: number;
  eventsPerMin: number;
  clobRestRequests: number;
}

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** One `pma start` at default settings against its own loopback Gamma for warm-up + `measureS` seconds. */
export async function measureService(o: { faultRate: number; listed: boolean; measureS: number; seed: number }): Promise<BudgetRun> {
  const server = await PolymarketServer.start();
  server.markets = twentyMarkets();
  server.eventFor = (slug) => {
    const w = parseFifteenMinSlug(slug);
    if (!o.listed || !w || w.startSec > wall.now() / 1000 + LISTED_AHEAD_S) return undefined;
    return upDownWindowEvent(w.asset.toLowerCase() as 'btc', w.startSec);
  };
  server.faultRate = o.faultRate;
  server.randomFaults = standardFaults(HTTP_TIMEOUT_MS + 1_000);
  server.random = seededRandom(o.seed);
  const dir = mkdtempSync(join(tmpdir(), 'pma-bench-budget-'));
  const dead = `ws://127.0.0.1:${await closedPort()}`;
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ feeds: { gammaUrl: server.url, clobUrl: server.url, binanceWsUrl: dead, clobWsUrl: dead, rtdsWsUrl: dead } }));
  const pma = new ServiceProcess({ args: ['start', '--config', config, '--log', join(dir, 'events.jsonl'), '--metrics-port', '0'], env: {} });
  try {
    await pma.started(60_000);
    await wall.sleep(WARMUP_S * 1000);
    const from = server.arrivals.length;
    await wall.sleep(o.measureS * 1000);
    const seen = server.arrivals.slice(from);
    const perMin = (prefix: string) => (seen.filter((a) => a.path.startsWith(prefix)).length * 60) / o.measureS;
    return {
      gammaPerMin: perMin('/markets') + perMin('/events'),
      marketsPerMin: perMin('/markets'),
      eventsPerMin: perMin('/events'),
      clobRestRequests: seen.filter((a) => a.path.startsWith('/book')).length,
    };
  } finally {
    pma.kill('SIGTERM');
    await pma.exited;
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Record<string, number | string>> {
  const [clean, faulty, unlisted] = await Promise.all([
    measureService({ faultRate: 0, listed: true, measureS: MEASURE_S, seed: 1 }),
    measureService({ faultRate: 0.3, listed: true, measureS: MEASURE_S, seed: 2 }),
    measureService({ faultRate: 0, listed: false, measureS: MEASURE_S, seed: 3 }),
  ]);
  return {
    service_gamma_requests_per_min: clean.gammaPerMin,
    service_gamma_markets_per_min: clean.marketsPerMin,
    service_gamma_events_per_min: clean.eventsPerMin,
    service_gamma_requests_per_min_faults: faulty.gammaPerMin,
    service_gamma_requests_per_min_unlisted: unlisted.gammaPerMin,
    service_clob_book_requests: clean.clobRestRequests + faulty.clobRestRequests + unlisted.clobRestRequests,
    service_budget_measured_s: MEASURE_S,
  };
}
