import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Health } from './health';
import { ListenError } from '../listenError';

export const METRICS_PATH = '/metrics';
export const HEALTH_PATH = '/healthz';

export interface ObservabilityServerOptions {
  /** Config `service.metricsHost` (127.0.0.1 by default; 0.0.0.0 inside a container). */
  host: string;
  /** Config `service.metricsPort`; 0 picks a free port. */
  port: number;
  registry: Registry;
  health: Health;
}

export interface ObservabilityServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` */
  readonly url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse, o: ObservabilityServerOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path !== METRICS_PATH && path !== HEALTH_PATH) return send(res, 404, 'text/plain', `not found: ${path} (try ${METRICS_PATH} or ${HEALTH_PATH})\n`);
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only\n');
  if (path === METRICS_PATH) return send(res, 200, o.registry.contentType, await o.registry.metrics());
  const report = o.health.report();
  send(res, report.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(report) + '\n');
}

/**
 * One small HTTP server: `/metrics` (Prometheus text format) and `/healthz` (JSON naming every
 * check that is not ok; 200 when all are ok, 503 otherwise). Nothing else: the operator's routes are on
 * their own listener (`actors/service/controlServer.ts`), never on this one, which a container binds to 0.0.0.0.
 */
export function startObservabilityServer(o: ObservabilityServerOptions): Promise<ObservabilityServer> {
  const server = createServer((req, res) => {
    handle(req, res, o).catch((err: unknown) => send(res, 500, 'text/plain', `${err instanceof Error ? err.message : String(err)}\n`));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new ListenError('metrics server', o.host, o.port, err.code, 'set service.metricsPort or --metrics-port')));
    server.listen(o.port, o.host, () => {
      const { port } = server.address() as AddressInfo;
      const hostForUrl = o.host.includes(':') ? `[${o.host}]` : o.host;
      resolve({
        host: o.host,
        port,
        url: `http://${hostForUrl}:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
