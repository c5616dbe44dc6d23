import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { SystemClock } from '../../events/clock';

const wallClock = new SystemClock();

/** One client connection as the server sees it. */
export interface ServerConn {
  index: number;
  ws: WebSocket;
  /** Request path with query, e.g. `/stream?streams=btcusdt@trade`. */
  path: string;
  /** Text frames received from the client, in order. */
  received: string[];
  send(text: string): void;
  /** Closes from the server side (close frame). */
  close(code?: number): void;
  /** Drops the TCP connection without a close frame. */
  drop(): void;
}

export interface ReplayServerOptions {
  /** Called for every new connection (index from 0). Script the venue's behaviour here. */
  onConnection?: (conn: ServerConn) => void;
  /** Called for every text frame a client sends (after it is stored in `received`). */
  onClientMessage?: (conn: ServerConn, text: string) => void;
  /** Answer text `PING` with `PONG` as Polymarket does (default true). */
  answerPing?: boolean;
  /** Refuse the websocket upgrade with this HTTP status (e.g. 451). */
  rejectStatus?: number;
}

/**
 * A loopback websocket server on 127.0.0.1 (port 0) for adapter tests: each test scripts what
 * the venue sends per connection, and can close, drop or go silent.
 */
export class WsReplayServer {
  readonly conns: ServerConn[] = [];
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private port = 0;

  private constructor(private readonly opts: ReplayServerOptions) {
    this.http = createServer((_req, res) => {
      res.writeHead(404).end();
    });
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    this.http.on('upgrade', (req, socket, head) => {
      if (opts.rejectStatus !== undefined) {
        socket.end(`HTTP/1.1 ${opts.rejectStatus} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req.url ?? '/'));
    });
  }

  static async start(opts: ReplayServerOptions = {}): Promise<WsReplayServer> {
    const server = new WsReplayServer(opts);
    await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
    server.port = (server.http.address() as AddressInfo).port;
    return server;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Connections currently open. */
  get openConns(): ServerConn[] {
    return this.conns.filter((c) => c.ws.readyState === c.ws.OPEN);
  }

  private accept(ws: WebSocket, path: string): void {
    const conn: ServerConn = {
      index: this.conns.length,
      ws,
      path,
      received: [],
      send: (text) => {
        if (ws.readyState === ws.OPEN) ws.send(text);
      },
      close: (code = 1000) => ws.close(code),
      drop: () => ws.terminate(),
    };
    this.conns.push(conn);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      conn.received.push(text);
      if (text === 'PING' && this.opts.answerPing !== false) conn.send('PONG');
      this.opts.onClientMessage?.(conn, text);
    });
    ws.on('error', () => undefined);
    this.opts.onConnection?.(conn);
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

/** Waits (polling every 5 ms, real time) until `check` is true; fails after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = wallClock.now();
  while (!check()) {
    if (wallClock.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await wallClock.sleep(5);
  }
}

/** Real-time pause in tests. */
export function pause(ms: number): Promise<void> {
  return wallClock.sleep(ms);
}
