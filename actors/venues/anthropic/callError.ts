// Apart from the SDK client, so code that only classifies errors does not load `@anthropic-ai/sdk`.

/** Why a call produced no answer; the prefix of the `llm_answer` event's `error` and a metric label. */
export type CallErrorKind = 'timeout' | 'http_429' | 'http_529' | 'http_5xx' | 'http_4xx' | 'connection';

export class AnthropicCallError extends Error {
  constructor(
    readonly kind: CallErrorKind,
    detail: string,
    readonly status: number | null = null,
  ) {
    super(`${kind}: ${detail}`);
    this.name = 'AnthropicCallError';
  }
}
