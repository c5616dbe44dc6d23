import type { Clock } from '../../../events/clock';
import type { RateLimiter } from './rateLimiter';
import type { RequestCounter, RequestResult } from './requestCounter';

export interface HttpClientOptions {
  /** e.g. https://gamma-api.polymarket.com (no trailing path). */
  baseUrl: string;
  /** Rate-limit and counter prefix: requests are counted as `${venue}:${endpoint}`. */
  venue: 'gamma' | 'clob';
  clock: Clock;
  /** Jitter source in [0, 1). */
  random: () => number;
  limiter: RateLimiter;
  counter: RequestCounter;
  /** Per attempt, for the whole response (headers and body). */
  timeoutMs: number;
  /** Attempts after the first. */
  retries: number;
  retryBaseMs: number;
  retryMaxMs?: number;
  /** A Retry-After longer than this fails at once instead of waiting. */
  maxRetryAfterMs?: number;
}

export interface JsonRequest {
  method: 'GET' | 'POST';
  /** Path with query, e.g. `/markets?closed=false&limit=100&offset=0`. */
  path: string;
  /** Rate-limit rule and counter name, e.g. `/markets`, `/events`, `/book`. */
  endpoint: string;
  body?: unknown;
}

export interface JsonResponse {
  url: string;
  /** 200, or 404 (with whatever body the venue sent, null when it was not JSON). */
  status: number;
  body: unknown;
  /** Clock time when the body was completely read. */
  fetchedAt: number;
  attempts: number;
}

/** A request that failed for good: after every retry, or at once for a 4xx other than 404 and 429. */
export class HttpError extends Error {
  constructor(
    readonly url: string,
    readonly result: RequestResult,
    readonly status: number | null,
    readonly attempts: number,
    detail: string,
  ) {
    super(`${url}: ${result}${status !== null ? ` (HTTP ${status})` : ''} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${detail}`);
    this.name = 'HttpError';
  }
}

interface Attempt {
  result: RequestResult;
  status: number | null;
  body: unknown;
  detail: string;
  retryAfterMs: number | null;
}

const RETRYABLE: ReadonlySet<RequestResult> = new Set(['http_429', 'http_5xx', 'timeout', 'network', 'bad_json']);

/**
 * JSON over HTTP for one venue: waits for a rate-limit slot, times each attempt out, retries 429,
 * 5xx, timeouts, dropped connections and malformed JSON with exponential backoff and jitter
 * (honouring Retry-After), and counts every attempt.
 */
export class HttpClient {
  private readonly retryMaxMs: number;
  private readonly maxRetryAfterMs: number;

  constructor(private readonly o: HttpClientOptions) {
    this.retryMaxMs = o.retryMaxMs ?? 10_000;
    this.maxRetryAfterMs = o.maxRetryAfterMs ?? 30_000;
  }

  get baseUrl(): string {
    return this.o.baseUrl;
  }

  url(path: string): string {
    return this.o.baseUrl.replace(/\/+$/, '') + path;
  }

  async request(req: JsonRequest): Promise<JsonResponse> {
    const url = this.url(req.path);
    const counterKey = `${this.o.venue}:${req.endpoint}`;
    for (let attempt = 0; ; attempt++) {
      const slot = await this.o.limiter.acquire([this.o.venue, `${this.o.venue}:budget`, counterKey]);
      let a: Attempt;
      try {
        a = await this.attempt(url, req);
      } finally {
        slot.release();
      }
      this.o.counter.record(counterKey, a.result, this.o.clock.now());
      if (a.result === 'ok' || a.result === 'not_found') {
        return { url, status: a.status!, body: a.body, fetchedAt: this.o.clock.now(), attempts: attempt + 1 };
      }
      if (!RETRYABLE.has(a.result) || attempt >= this.o.retries) throw new HttpError(url, a.result, a.status, attempt + 1, a.detail);
      if (a.retryAfterMs !== null && a.retryAfterMs > this.maxRetryAfterMs) {
        throw new HttpError(url, a.result, a.status, attempt + 1, `Retry-After ${a.retryAfterMs} ms exceeds ${this.maxRetryAfterMs} ms`);
      }
      await this.sleep(Math.max(this.backoffMs(attempt), a.retryAfterMs ?? 0));
    }
  }

  /** Exponential backoff with equal jitter: half the step fixed, half random. */
  backoffMs(attempt: number): number {
    const step = Math.min(this.retryMaxMs, this.o.retryBaseMs * 2 ** attempt);
    return Math.round(step / 2 + this.o.random() * (step / 2));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.o.clock.setTimeout(() => resolve(), ms));
  }

  private async attempt(url: string, req: JsonRequest): Promise<Attempt> {
    const abort = new AbortController();
    let timedOut = false;
    const timer = this.o.clock.setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.o.timeoutMs);
    try {
      const res = await fetch(url, {
        method: req.method,
        signal: abort.signal,
        headers: req.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
      });
      const text = await res.text();
      const status = res.status;
      if (status === 429) return fault('http_429', status, `rate limited`, this.retryAfter(res.headers.get('retry-after')));
      if (status >= 500) return fault('http_5xx', status, text.slice(0, 120), this.retryAfter(res.headers.get('retry-after')));
      if (status === 404) return { result: 'not_found', status, body: tryJson(text), detail: 'not found', retryAfterMs: null };
      if (status < 200 || status >= 300) return fault('http_4xx', status, text.slice(0, 120), null);
      try {
        return { result: 'ok', status, body: JSON.parse(text), detail: '', retryAfterMs: null };
      } catch (err) {
        return fault('bad_json', status, `malformed JSON (${(err as Error).message}) in ${text.length} bytes`, null);
      }
    } catch (err) {
      if (timedOut) return fault('timeout', null, `no complete response within ${this.o.timeoutMs} ms`, null);
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return fault('network', null, cause?.code ?? cause?.message ?? (err as Error).message, null);
    } finally {
      this.o.clock.clearTimeout(timer);
    }
  }

  /** Retry-After: delay in seconds or an HTTP date. */
  private retryAfter(header: string | null): number | null {
    if (header === null) return null;
    if (/^\d+(\.\d+)?$/.test(header.trim())) return Math.round(Number(header) * 1000);
    const at = Date.parse(header);
    return Number.isFinite(at) ? Math.max(0, at - this.o.clock.now()) : null;
  }
}

function fault(result: RequestResult, status: number | null, detail: string, retryAfterMs: number | null): Attempt {
  return { result, status, body: null, detail, retryAfterMs };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
