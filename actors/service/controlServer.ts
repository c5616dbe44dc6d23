import { createHash, timingSafeEqual } from 'node:crypto';
import { chmodSync, lstatSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListenError } from '../listenError';

/** The environment variable (set from the git-ignored deploy/secrets.env) holding the operator's token. */
export const CONTROL_TOKEN_ENV = 'PMA_CONTROL_TOKEN';
/** Shorter tokens are refused at start: guessable, and too short to be scrubbed from logs by value. */
export const MIN_CONTROL_TOKEN_LENGTH = 16;
/** Addresses the control listener may bind: it is never reachable from another host or container. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'] as const;

export interface ControlServerOptions {
  /** A loopback address (config `service.controlHost`), used when `socket` is null. */
  host: string;
  /** Config `service.controlPort`; 0 picks a free port. */
  port: number;
  /** A Unix socket path (config `service.controlSocket`, mode 600) instead of host:port. */
  socket: string | null;
  /** The token every request must present as `Authorization: Bearer <token>`; null refuses every request. */
  token: string | null;
  /** The operator routes (`OperatorControl.routes`); answers and returns true when it handled the path. */
  routes: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;
  /** Told of every refused request (path, method, why), never of what was presented. */
  onRefused: (refusal: { path: string; method: string; reason: string }) => void;
}

export interface ControlServer {
  /** `http://host:port`, or `unix:PATH` for a socket. */
  readonly url: string;
  readonly port: number | null;
  readonly socket: string | null;
  close(): Promise<void>;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Constant-time: both sides are hashed to 32 bytes first, so neither the content nor the length leaks through timing. */
export function tokenMatches(expected: string, presented: string): boolean {
  return timingSafeEqual(digest(expected), digest(presented));
}

/** The reason a request is refused, or null when it carries the token. */
export function refusal(token: string | null, authorization: string | undefined): string | null {
  if (token === null) return `no ${CONTROL_TOKEN_ENV} configured: control routes are disabled`;
  const m = /^Bearer (.+)$/.exec(authorization ?? '');
  if (!m) return 'no bearer token';
  return tokenMatches(token, m[1]) ? null : 'wrong token';
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}) });
  res.end(JSON.stringify(body) + '\n');
}

/** Checks a config's control listener: a loopback host (never the metrics interface) or a socket. */
export function checkControlHost(host: string): string | null {
  return (LOOPBACK_HOSTS as readonly string[]).includes(host) ? null : `service.controlHost: "${host}" is not a loopback address (allowed: ${LOOPBACK_HOSTS.join(', ')}); use service.controlSocket for a Unix socket`;
}

/**
 * The operator's listener: `/control/*` and `/debug/*` only, on loopback or a Unix socket, every
 * request authenticated by the token from the secrets file; the metrics listener never serves them.
 */
export function startControlServer(o: ControlServerOptions): Promise<ControlServer> {
  const hostProblem = o.socket === null ? checkControlHost(o.host) : null;
  if (hostProblem) return Promise.reject(new Error(hostProblem));
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const why = refusal(o.token, req.headers.authorization);
    if (why !== null) {
      req.resume();
      o.onRefused({ path, method: req.method ?? '', reason: why });
      return send(res, 401, { error: `${path}: refused (${why})` });
    }
    o.routes(req, res, path).then(
      (handled) => {
        if (!handled) send(res, 404, { error: `not found: ${path}` });
      },
      (err: unknown) => send(res, 500, { error: err instanceof Error ? err.message : String(err) }),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(o.socket === null ? new ListenError('control server', o.host, o.port, err.code, 'set service.controlPort or --control-port') : new ListenError('control server', o.socket, 0, err.code, 'set service.controlSocket')),
    );
    const done = (): void => {
      const address = server.address();
      const port = o.socket === null ? (address as AddressInfo).port : null;
      if (o.socket !== null) chmodSync(o.socket, 0o600);
      const hostForUrl = o.host.includes(':') ? `[${o.host}]` : o.host;
      resolve({
        url: o.socket === null ? `http://${hostForUrl}:${port}` : `unix:${o.socket}`,
        port,
        socket: o.socket,
        close: () =>
          new Promise<void>((closed) => {
            server.closeAllConnections();
            server.close(() => closed());
          }),
      });
    };
    if (o.socket !== null) {
      if (lstatSync(o.socket, { throwIfNoEntry: false })?.isSocket()) rmSync(o.socket); // left by a killed run
      server.listen(o.socket, done);
    } else server.listen(o.port, o.host, done);
  });
}

/** The operator's token from the environment (deploy/secrets.env); null when unset. Throws when too short. */
export function controlToken(env: NodeJS.ProcessEnv): string | null {
  const token = env[CONTROL_TOKEN_ENV]?.trim();
  if (!token) return null;
  if (token.length < MIN_CONTROL_TOKEN_LENGTH) throw new Error(`${CONTROL_TOKEN_ENV}: at least ${MIN_CONTROL_TOKEN_LENGTH} characters expected, got ${token.length} (e.g. openssl rand -hex 32)`);
  return token;
}
