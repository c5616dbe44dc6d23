/**
 * Outgoing Gamma calls per minute at a 1 s scan interval, three strategies asking for the market
 * list on every scan, with the market-data cache (TTL from config, 2 s) and without it (each ask goes
 * to Gamma). Real HTTP to a loopback Gamma serving recorded markets; simulated time.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { configSchema } from '../actors/config/schema';
import { createMarketData } from '../actors/marketData/createMarketData';
import { SimulatedClock } from '../events/clock';

export const name = 'marketData';

const SCAN_MS = 1_000;
const MINUTE = 60_000;
const STRATEGIES = 3;

export async function run(): Promise<Record<string, number | string>> {
  const markets = readFileSync(join(__dirname, '../tests/fixtures/polymarket/twenty_markets.json'), 'utf8');
  let arrivals = 0;
  const server = createServer((_req, res) => {
    arrivals++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(markets);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const config = configSchema.parse({ feeds: { gammaUrl: url, clobUrl: url } });
    const query = { closed: false, limit: config.marketData.marketsLimit, offset: 0 };
    const minute = async (cached: boolean): Promise<number> => {
      const clock = new SimulatedClock(1_700_000_000_000);
      const md = createMarketData(config, { clock, random: () => 0.5 });
      const start = arrivals;
      for (let t = 0; t < MINUTE; t += SCAN_MS) {
        clock.advanceTo(1_700_000_000_000 + t);
        await Promise.all(Array.from({ length: STRATEGIES }, () => (cached ? md.service.markets(query) : md.gamma.markets(query))));
      }
      const sent = md.counter.total('gamma:');
      if (sent !== arrivals - start) throw new Error(`counter says ${sent} requests, the server saw ${arrivals - start}`);
      return sent;
    };
    const uncached = await minute(false);
    const cached = await minute(true);
    return { gamma_calls_per_min_uncached: uncached, gamma_calls_per_min_cached: cached, gamma_calls_ratio: cached / uncached };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
