import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListenError } from '../listenError';
import { extname, join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { MACHINES, type MachineEntry } from '../../machines/registry';
import { abridge } from './abridge';
import type { InspectionHub, LiveActorView } from './inspectionHub';
import { layoutStatechart, type LaidOutChart } from './layout';
import type { LogEventView, LogIndex } from './logIndex';
import { extractStatechart } from './statechart';

export interface VisualizerOptions {
  host?: string;
  port?: number;
  machines?: readonly MachineEntry[];
  /** Live actors; the page follows their states over the websocket. */
  hub?: InspectionHub;
  /** A recorded log to step through. */
  log?: LogIndex;
  /** Strategy name in the log -> registry machine name, where the names alone do not match. */
  strategyMachines?: Record<string, string>;
}

export interface VisualizerServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Messages the page receives on `/ws`. */
export type LiveMessage = { type: 'actors'; actors: LiveActorView[] } | { type: 'update'; actors: LiveActorView[] };

const PAGE_DIR = join(__dirname, 'page');
const MIME: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
const MAX_PAGE = 500;

const normalise = (s: string): string => s.replace(/[^a-z0-9]/gi, '').toLowerCase();

/** `flash_crash` -> `flashCrash`: the registry entry whose name or machine id matches, ignoring case and separators. */
export function machineForStrategy(strategy: string, machines: readonly MachineEntry[], explicit: Record<string, string> = {}): string | null {
  if (explicit[strategy]) return explicit[strategy];
  const n = normalise(strategy);
  const hit = machines.find((m) => normalise(m.name) === n || normalise(m.machine.id) === n);
  return hit?.name ?? null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function intParam(url: URL, name: string, fallback?: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new HttpError(400, `query parameter '${name}' is required`);
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new HttpError(400, `query parameter '${name}': expected an integer, got ${JSON.stringify(raw)}`);
  return n;
}

const view = (e: LogEventView | null): unknown => (e ? { seq: e.seq, ts: e.ts, type: e.type, event: abridge(e.event) } : null);

/**
 * The visualizer's HTTP server: the page and its assets (from actors/visualizer/page, nothing
 * remote), a JSON API over the machines and the recorded log, and a websocket (`/ws`) that pushes
 * live actor states from the inspection hub.
 */
export async function startVisualizer(options: VisualizerOptions = {}): Promise<VisualizerServer> {
  const machines = options.machines ?? MACHINES;
  const charts: LaidOutChart[] = machines.map((m) => layoutStatechart(extractStatechart(m.machine, m.name, m.title)));
  const assets = new Map(readdirSync(PAGE_DIR).filter((f) => MIME[extname(f)]).map((f) => [f, readFileSync(join(PAGE_DIR, f))]));
  const log = options.log;
  const machineOf = (strategy: string) => machineForStrategy(strategy, machines, options.strategyMachines);

  const api = async (url: URL): Promise<unknown> => {
    const path = url.pathname;
    if (path === '/api/machines') return charts;
    if (path === '/api/live') return options.hub ? options.hub.actors() : [];
    if (!path.startsWith('/api/log')) throw new HttpError(404, `no such endpoint: ${path}`);
    if (path === '/api/log' && !log) return null;
    if (!log) throw new HttpError(404, 'no log loaded (start with --log FILE)');
    const count = Math.min(MAX_PAGE, Math.max(0, intParam(url, 'count', 20)));
    switch (path) {
      case '/api/log':
        return {
          file: log.file,
          events: log.events,
          firstSeq: log.firstSeq,
          lastSeq: log.lastSeq,
          firstTs: log.firstTs,
          lastTs: log.lastTs,
          types: log.types,
          changes: log.changeCount,
          changesTruncated: log.changesTruncated,
          tornTail: log.tornTail,
          actors: log.actors().map((a) => ({ ...a, machine: machineOf(a.strategy) })),
        };
      case '/api/log/events': {
        const events = url.searchParams.has('before') ? await log.eventsBefore(intParam(url, 'before'), count) : await log.eventsFrom(intParam(url, 'from'), count);
        return events.map(view);
      }
      case '/api/log/states':
        return log.statesAt(intParam(url, 'seq')).map((s) => ({ ...s, machine: machineOf(s.strategy) }));
      case '/api/log/step': {
        const dir = url.searchParams.get('dir');
        if (dir !== 'next' && dir !== 'prev') throw new HttpError(400, `query parameter 'dir': expected next or prev, got ${JSON.stringify(dir)}`);
        const actor = url.searchParams.get('actor') || undefined;
        return { change: log.stepChange(intParam(url, 'seq'), dir === 'next' ? 1 : -1, actor) };
      }
      case '/api/log/seek': {
        if (url.searchParams.has('ts')) return { seq: await log.seqAtTime(intParam(url, 'ts')) };
        const [e] = await log.eventsFrom(intParam(url, 'seq'), 1);
        return { seq: e ? e.seq : null };
      }
      case '/api/log/cause': {
        const cause = await log.cause(intParam(url, 'seq'));
        if (!cause) throw new HttpError(404, `no strategy_state event at seq ${url.searchParams.get('seq')}`);
        return {
          ...cause,
          machine: machineOf(cause.change.strategy),
          trigger: view(cause.trigger),
          between: cause.between.map(view),
          after: cause.after.map(view),
          lastSignal: view(cause.lastSignal),
          lastSnapshot: view(cause.lastSnapshot),
          recent: cause.recent.map(view),
        };
      }
      default:
        throw new HttpError(404, `no such endpoint: ${path}`);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method !== 'GET') throw new HttpError(405, 'only GET');
      if (url.pathname.startsWith('/api/')) {
        const body = JSON.stringify(await api(url));
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(body);
        return;
      }
      const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
      const asset = assets.get(name);
      if (!asset) throw new HttpError(404, `not found: ${url.pathname}`);
      res.writeHead(200, { 'content-type': MIME[extname(name)], 'cache-control': 'no-store' });
      res.end(asset);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: (err as Error).message }));
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  const wss = new WebSocketServer({ server, path: '/ws' });
  const sockets = new Set<WebSocket>();
  const send = (ws: WebSocket, msg: LiveMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    send(ws, { type: 'actors', actors: options.hub ? options.hub.actors() : [] });
  });
  const unsubscribe = options.hub?.subscribe((changed) => {
    for (const ws of sockets) send(ws, { type: 'update', actors: changed });
  });

  await new Promise<void>((resolve, reject) => {
    const host = options.host ?? '127.0.0.1';
    const port = options.port ?? 0;
    // The websocket server re-emits the http server's errors: both answered here, or a taken port crashes the process.
    const fail = (err: NodeJS.ErrnoException) => {
      unsubscribe?.();
      reject(new ListenError('visualizer', host, port, err.code, 'give another with --port, or --port 0 for any free one'));
    };
    server.once('error', fail);
    wss.once('error', () => undefined);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    port: address.port,
    close: async () => {
      unsubscribe?.();
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
