import { Counter, type Registry } from 'prom-client';

/** How an outgoing request ended (one count per attempt, retries included). */
export type RequestResult = 'ok' | 'not_found' | 'http_429' | 'http_4xx' | 'http_5xx' | 'timeout' | 'network' | 'bad_json';

const MINUTE = 60_000;
const METRIC = 'pma_polymarket_requests_total';

/**
 * Every outgoing Polymarket request, counted per endpoint (`gamma:/markets`, `clob:/book`, ...) per
 * minute of the injected clock. `perMinute` is a plain object; with a prom-client `Registry` the
 * same counts are also exported as `pma_polymarket_requests_total{endpoint,result}`.
 */
export class RequestCounter {
  /** endpoint -> minute start (ms) -> requests sent in that minute. Only the last `keepMinutes` are kept. */
  readonly perMinute: Record<string, Record<number, number>> = {};
  private readonly totals: Record<string, number> = {};
  private readonly metric: Counter<'endpoint' | 'result'> | null;
  private readonly keepMinutes: number;

  constructor(options: { registry?: Registry; keepMinutes?: number } = {}) {
    this.keepMinutes = options.keepMinutes ?? 60;
    const registry = options.registry;
    if (!registry) this.metric = null;
    else {
      const existing = registry.getSingleMetric(METRIC);
      this.metric = existing instanceof Counter ? (existing as Counter<'endpoint' | 'result'>) : new Counter({ name: METRIC, help: 'Outgoing Polymarket HTTP requests (attempts) by endpoint and result', labelNames: ['endpoint', 'result'], registers: [registry] });
    }
  }

  record(endpoint: string, result: RequestResult, now: number): void {
    const minute = now - (now % MINUTE);
    const byMinute = (this.perMinute[endpoint] ??= {});
    byMinute[minute] = (byMinute[minute] ?? 0) + 1;
    for (const key of Object.keys(byMinute)) if (Number(key) <= minute - this.keepMinutes * MINUTE) delete byMinute[Number(key)];
    this.totals[endpoint] = (this.totals[endpoint] ?? 0) + 1;
    this.metric?.inc({ endpoint, result });
  }

  /** Requests sent to `endpoint` (or to every endpoint whose name starts with it, e.g. `gamma:`). */
  total(prefix = ''): number {
    let n = 0;
    for (const [endpoint, count] of Object.entries(this.totals)) if (endpoint.startsWith(prefix)) n += count;
    return n;
  }

  /** Requests to `endpoint` in the minute that holds `now`. */
  inMinute(endpoint: string, now: number): number {
    return this.perMinute[endpoint]?.[now - (now % MINUTE)] ?? 0;
  }
}
