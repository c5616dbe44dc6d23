import Anthropic from '@anthropic-ai/sdk';
import type { Clock } from '../../../events/clock';
import { AnthropicCallError, type CallErrorKind } from './callError';

export { AnthropicCallError, type CallErrorKind } from './callError';

export interface MessagesClientOptions {
  /** From the environment; never logged, never put into events or errors. */
  apiKey: string;
  /** null: the SDK default (api.anthropic.com, or ANTHROPIC_BASE_URL). */
  baseUrl: string | null;
  /** Hard budget of one call, retries included. */
  timeoutMs: number;
  clock: Clock;
}

/**
 * No temperature: the SDK sends `anthropic-version: 2026-10-21`, which answers HTTP 400 to any
 * sampling parameter (temperature, top_p, top_k), and SDK 1.x no longer types them.
 */
export interface MessagesCall {
  model: string;
  maxTokens: number;
  system: string;
  user: string;
  tool: { name: string; description: string; input_schema: { type: 'object'; [k: string]: unknown } };
}

export interface MessagesResult {
  message: Anthropic.Message;
  attempts: number;
}

/** `retry-after-ms` or `retry-after` (seconds or an HTTP date), in ms; null when absent or unreadable. */
export function retryAfterMs(headers: Headers | undefined, now: number): number | null {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers?.get('retry-after');
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * The Anthropic Messages API through `@anthropic-ai/sdk`, with one hard time budget per call: the
 * request is aborted when it runs out. The SDK's own retries are off; a 429 or 529 is retried only
 * when its retry-after fits inside what is left of the budget, otherwise it fails at once.
 */
export class AnthropicMessagesClient {
  private readonly sdk: Anthropic;

  constructor(private readonly opts: MessagesClientOptions) {
    this.sdk = new Anthropic({ apiKey: opts.apiKey, ...(opts.baseUrl ? { baseURL: opts.baseUrl } : {}), maxRetries: 0, timeout: opts.timeoutMs });
  }

  async create(call: MessagesCall): Promise<MessagesResult> {
    const { clock, timeoutMs } = this.opts;
    const deadline = clock.now() + timeoutMs;
    const abort = new AbortController();
    const timer = clock.setTimeout(() => abort.abort(), timeoutMs);
    let attempts = 0;
    try {
      for (;;) {
        attempts++;
        try {
          const message = await this.sdk.messages.create(
            {
              model: call.model,
              max_tokens: call.maxTokens,
              system: call.system,
              messages: [{ role: 'user', content: call.user }],
              tools: [call.tool],
              tool_choice: { type: 'tool', name: call.tool.name },
            },
            { signal: abort.signal, maxRetries: 0, timeout: Math.max(1, deadline - clock.now()) },
          );
          return { message, attempts };
        } catch (err) {
          const failure = classify(err, timeoutMs, abort.signal.aborted);
          const status = failure.status;
          if (status !== 429 && status !== 529) throw failure;
          const wait = retryAfterMs(err instanceof Anthropic.APIError ? err.headers : undefined, clock.now());
          const left = deadline - clock.now();
          if (wait === null) throw new AnthropicCallError(failure.kind, `${failure.message.slice(failure.kind.length + 2)}; no retry-after`, status);
          // Leave the retried request some of the budget too, else it is a timeout with extra steps.
          if (wait >= left) throw new AnthropicCallError(failure.kind, `retry-after ${wait} ms does not fit the ${left} ms left of the ${timeoutMs} ms budget`, status);
          await sleep(clock, wait, abort.signal);
          if (abort.signal.aborted) throw new AnthropicCallError('timeout', `no answer within ${timeoutMs} ms`);
        }
      }
    } finally {
      clock.clearTimeout(timer);
    }
  }
}

function classify(err: unknown, timeoutMs: number, aborted: boolean): AnthropicCallError {
  if (aborted || err instanceof Anthropic.APIConnectionTimeoutError) return new AnthropicCallError('timeout', `no answer within ${timeoutMs} ms`);
  if (err instanceof Anthropic.APIError && typeof err.status === 'number') {
    const s = err.status;
    const kind: CallErrorKind = s === 429 ? 'http_429' : s === 529 ? 'http_529' : s >= 500 ? 'http_5xx' : 'http_4xx';
    const what = [err.type, err.apiMessage].filter(Boolean).join(': ') || 'no error body';
    return new AnthropicCallError(kind, `HTTP ${s} ${what}`, s);
  }
  if (err instanceof Anthropic.APIConnectionError) return new AnthropicCallError('connection', err.message);
  throw err;
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const id = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clock.clearTimeout(id);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
