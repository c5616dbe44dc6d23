import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SystemClock } from '../../events/clock';
import { FIXTURES } from './shared';

/**
 * A loopback server that answers like the Anthropic Messages API (`POST /v1/messages`): it checks
 * the API key (the SDK sends `authorization: Bearer <key>`; `x-api-key` is accepted too), records
 * every request and answers with what the test scripts: recorded bodies, errors, delays.
 */

export interface ScriptedReply {
  status?: number;
  /** JSON body, or a string sent as it is. */
  body: unknown;
  headers?: Record<string, string>;
  /** Wall-time delay before the answer (for timeouts and latency). */
  delayMs?: number;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export type Responder = (request: ReceivedRequest, index: number) => ScriptedReply;

const clock = new SystemClock();

export class AnthropicServer {
  readonly requests: ReceivedRequest[] = [];
  /** Requests whose answer has not been sent yet. */
  inFlight = 0;
  maxInFlight = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(respond: Responder, apiKey = 'sk-ant-test-key'): Promise<AnthropicServer> {
    let self: AnthropicServer | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const s = self!;
        const auth = req.headers.authorization === `Bearer ${apiKey}` || req.headers['x-api-key'] === apiKey;
        if (!auth) return send(res, { status: 401, body: apiError('authentication_error', 'invalid x-api-key') });
        const path = (req.url ?? '').split('?')[0];
        if (req.method !== 'POST' || path !== '/v1/messages') return send(res, { status: 404, body: apiError('not_found_error', `${req.method} ${path}`) });
        const received: ReceivedRequest = { method: req.method, path, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
        const index = s.requests.push(received) - 1;
        const reply = respond(received, index);
        s.inFlight++;
        s.maxInFlight = Math.max(s.maxInFlight, s.inFlight);
        const finish = () => {
          s.inFlight--;
          send(res, reply);
        };
        if (reply.delayMs) clock.setBackgroundTimeout(finish, reply.delayMs);
        else finish();
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new AnthropicServer(server, `http://127.0.0.1:${port}`);
    return self;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function send(res: ServerResponse, reply: ScriptedReply): void {
  if (res.destroyed || res.writableEnded) return; // the client gave up (timeout)
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', 'request-id': 'req_loopback', ...reply.headers });
  res.end(text);
}

export function apiError(type: string, message: string): Record<string, unknown> {
  return { type: 'error', error: { type, message }, request_id: 'req_loopback' };
}

/** A full Messages answer, in the shape the SDK expects. */
export function message(content: unknown[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'msg_loopback',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content,
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 3, output_tokens: 4 },
    ...overrides,
  };
}

export interface CassetteInteraction {
  request: { uri: string; parsed_body: Record<string, unknown> };
  response: { status: { code: number }; parsed_body: Record<string, unknown>; headers: Record<string, string[]> };
}

/** The interactions of a pydantic-ai VCR cassette copied into tests/fixtures/anthropic/. */
export function cassette(name: string): CassetteInteraction[] {
  const doc = parse(readFileSync(join(FIXTURES, 'anthropic', name), 'utf8')) as { interactions: CassetteInteraction[] };
  return doc.interactions;
}

/** The recorded answer of an interaction, served as it was recorded. */
export function recordedReply(i: CassetteInteraction): ScriptedReply {
  return { status: i.response.status.code, body: i.response.parsed_body };
}
