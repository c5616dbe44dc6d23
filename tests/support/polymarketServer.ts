import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SystemClock } from '../../events/clock';
import { FIXTURES } from './shared';

const wallClock = new SystemClock();

type Json = Record<string, unknown>;

/** A scripted misbehaviour for the next request matching a path prefix. */
export interface Fault {
  status?: number;
  headers?: Record<string, string>;
  /** Raw body text (default: the normal answer for status 200, `{"error":"..."}` otherwise). */
  body?: string;
  /** Wait this long (wall ms) before answering. */
  delayMs?: number;
  /** Declare the full length but send only the first half of the body, then drop the connection. */
  truncate?: boolean;
}

export interface Arrival {
  method: string;
  /** Path with query. */
  path: string;
  /** When the request arrived, on `arrivalClock` (wall-clock ms unless a test sets it). */
  at: number;
}

/**
 * A loopback Polymarket (Gamma + CLOB REST) on 127.0.0.1, port 0, serving the JSON it is given in the
 * venue's shapes: `GET /markets`, `/events`, `/events/slug/{slug}`, `/book?token_id=`, `POST /books`.
 * Every arrival is logged with its wall time; faults are queued per path prefix.
 */
export class PolymarketServer {
  readonly arrivals: Arrival[] = [];
  /** Raw Gamma market objects served by `/markets`. */
  markets: Json[] = [];
  /** Raw Gamma event objects (with `markets[]`) served by `/events` and `/events/slug/{slug}`. */
  events: Json[] = [];
  /** Raw CLOB book objects by `asset_id`. */
  books = new Map<string, Json>();
  /** Delay (wall ms) added to every answer. */
  delayMs = 0;
  /** Answers `/events/slug/{slug}` (and `/markets?slug=`) for slugs not in `events`, e.g. every 15-minute window. */
  eventFor: ((slug: string) => Json | undefined) | null = null;
  /** A share of requests (0..1) answered with a random fault of `randomFaults`, drawn from `random`. */
  faultRate = 0;
  randomFaults: Fault[] = [];
  random: () => number = () => 0.5;
  /** Stamps arrivals: the wall clock, or the clock of the service under test. */
  arrivalClock: { now(): number } = wallClock;
  private readonly faults: { prefix: string; fault: Fault }[] = [];
  private readonly server: Server;
  private port = 0;

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(): Promise<PolymarketServer> {
    const s = new PolymarketServer();
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.port = (s.server.address() as AddressInfo).port;
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Queues faults for the next requests whose path starts with `prefix`, one per request, in order. */
  fail(prefix: string, ...faults: Fault[]): void {
    for (const fault of faults) this.faults.push({ prefix, fault });
  }

  /** Requests that arrived whose path starts with `prefix`. */
  count(prefix = '/'): number {
    return this.arrivals.filter((a) => a.path.startsWith(prefix)).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    this.arrivals.push({ method: req.method ?? 'GET', path, at: this.arrivalClock.now() });
    let body = '';
    for await (const chunk of req) body += chunk;
    const i = this.faults.findIndex((f) => path.startsWith(f.prefix));
    let fault = i >= 0 ? this.faults.splice(i, 1)[0].fault : null;
    if (!fault && this.faultRate > 0 && this.random() < this.faultRate) fault = this.randomFaults[Math.floor(this.random() * this.randomFaults.length)] ?? null;
    const delay = this.delayMs + (fault?.delayMs ?? 0);
    if (delay > 0) await wallClock.sleep(delay);
    if (res.destroyed) return;
    const status = fault?.status ?? 200;
    let [code, text] = status === 200 ? this.answer(req.method ?? 'GET', path, body) : [status, JSON.stringify({ error: `HTTP ${status}` })];
    if (fault?.body !== undefined) text = fault.body;
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...fault?.headers };
    res.writeHead(code, headers);
    if (fault?.truncate) {
      res.write(text.slice(0, Math.floor(text.length / 2)));
      setImmediate(() => res.destroy());
      return;
    }
    res.end(text);
  }

  private answer(method: string, path: string, body: string): [number, string] {
    const url = new URL(path, 'http://x');
    const q = url.searchParams;
    if (method === 'GET' && url.pathname === '/markets') {
      const slug = q.get('slug');
      const generated = slug === null ? undefined : this.eventFor?.(slug);
      const markets = generated ? [...this.markets, ...(generated.markets as Json[])] : this.markets;
      return [200, JSON.stringify(page(filter(markets, q), q))];
    }
    if (method === 'GET' && url.pathname === '/events') return [200, JSON.stringify(page(filter(this.events, q), q))];
    if (method === 'GET' && url.pathname.startsWith('/events/slug/')) {
      const slug = decodeURIComponent(url.pathname.slice('/events/slug/'.length));
      const event = this.events.find((e) => e.slug === slug) ?? this.eventFor?.(slug);
      return event ? [200, JSON.stringify(event)] : [404, JSON.stringify({ type: 'not found error', error: 'not found' })];
    }
    if (method === 'GET' && url.pathname === '/book') {
      const book = this.books.get(q.get('token_id') ?? '');
      return book ? [200, JSON.stringify(book)] : [404, JSON.stringify({ error: 'No orderbook exists for the requested token id' })];
    }
    if (method === 'POST' && url.pathname === '/books') {
      const wanted = JSON.parse(body) as { token_id: string }[];
      return [200, JSON.stringify(wanted.map((w) => this.books.get(w.token_id)).filter((b) => b !== undefined))];
    }
    return [404, JSON.stringify({ error: `no route ${method} ${url.pathname}` })];
  }
}

function filter(items: Json[], q: URLSearchParams): Json[] {
  let out = items;
  const slug = q.get('slug');
  if (slug !== null) out = out.filter((m) => m.slug === slug);
  const closed = q.get('closed');
  if (closed !== null) out = out.filter((m) => String(m.closed ?? false) === closed);
  return out;
}

function page(items: Json[], q: URLSearchParams): Json[] {
  const offset = Number(q.get('offset') ?? 0);
  const limit = Number(q.get('limit') ?? 100);
  return items.slice(offset, offset + limit);
}

/** The 20 recorded Gamma markets (polymarket/agents, MIT), a fresh copy per call. */
export function twentyMarkets(): Json[] {
  return JSON.parse(readFileSync(join(FIXTURES, 'polymarket/twenty_markets.json'), 'utf8')) as Json[];
}

/**
 * A complete negRisk event of three outcomes in Gamma's `/events` shape, assembled from three real
 * negRisk legs of the recording (no recording holds a whole one): the legs get the first leg's
 * `negRiskMarketID`, except the third, which carries none and must inherit it from the event.
 */
export function assembledNegRiskEvent(): Json {
  const legs = twentyMarkets().filter((r) => r.negRisk === true).slice(0, 3);
  const id = legs[0].negRiskMarketID;
  return {
    id: '900001',
    slug: 'assembled-negrisk-event',
    title: 'Assembled from three real negRisk legs',
    closed: false,
    negRisk: true,
    negRiskMarketID: id,
    negRiskAugmented: false,
    markets: legs.map((leg, i) => {
      const m: Json = { ...leg };
      delete m.events;
      if (i === 2) delete m.negRiskMarketID;
      else m.negRiskMarketID = id;
      return m;
    }),
  };
}

/** The four faults of the chaos tests: 429 with Retry-After, 500, a hang past `hangMs`, a body cut off mid-way. */
export function standardFaults(hangMs: number): Fault[] {
  return [{ status: 429, headers: { 'retry-after': '1' } }, { status: 500 }, { delayMs: hangMs }, { truncate: true }];
}

/**
 * The Gamma event of a 15-minute Up/Down window (`{asset}-updown-15m-{startSec}`), assembled from the
 * first recorded market (no MIT recording holds one): outcomes Up/Down, the window's end date, and
 * a market id and token ids of its own per asset and window, so windows are distinct markets.
 */
export function upDownWindowEvent(asset: 'btc' | 'eth' | 'sol' | 'xrp', startSec: number): Json {
  const slug = `${asset}-updown-15m-${startSec}`;
  const base = twentyMarkets()[0];
  const tokens = JSON.parse(base.clobTokenIds as string) as string[];
  const market: Json = {
    ...base,
    id: `${asset}${startSec}`,
    slug,
    question: `${asset.toUpperCase()} Up or Down ${startSec}`,
    outcomes: JSON.stringify(['Up', 'Down']),
    endDate: new Date((startSec + 900) * 1000).toISOString(),
    clobTokenIds: JSON.stringify(tokens.map((t) => `${t.slice(0, -11)}${startSec}${['btc', 'eth', 'sol', 'xrp'].indexOf(asset)}`)),
  };
  delete market.events;
  return { id: `e-${asset}-${startSec}`, slug, negRisk: false, markets: [market] };
}
