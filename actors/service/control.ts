import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../events/clock';
import { makeEvent, type InputEvent, type RiskControlEvent } from '../../events/types';

export const KILL_PATH = '/control/kill';
export const RESUME_PATH = '/control/resume';
export const PORTFOLIO_PATH = '/debug/portfolio';

/** What the control needs of the running service. */
export interface ControlTarget {
  /** Resolves once the event is in the event log and folded (rejects when the log has failed). */
  append(event: InputEvent): Promise<void>;
  /** The portfolio as the service holds it now (sorted-key JSON, comparable with `Portfolio.fromEvents`). */
  portfolio(): unknown;
  /** Live mode: cancels every resting order at the venue; resolves with their intent order ids. */
  cancelResting?: () => Promise<string[]>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body) + '\n');
}

/**
 * The operator's kill switch: `risk_control` input events, logged before anything reacts, so the
 * portfolio fold (and every replay) halts where the live run did. While killed, risk rejects every
 * new order with `kill_switch`, exits included (docs/hardening.md).
 */
export class OperatorControl {
  constructor(
    private readonly target: ControlTarget,
    private readonly clock: Clock,
  ) {}

  /** Logs the command; a kill then cancels the resting live orders (`cancelled` lists them; a failed cancel is in `cancelError`). */
  async command(action: RiskControlEvent['action'], detail: string): Promise<RiskControlEvent & { cancelled?: string[]; cancelError?: string }> {
    const event = makeEvent('risk_control', this.clock.now(), { action, detail });
    await this.target.append(event);
    if (action !== 'kill' || !this.target.cancelResting) return event;
    try {
      return { ...event, cancelled: await this.target.cancelResting() };
    } catch (err) {
      return { ...event, cancelError: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * Routes for the control server (`controlServer.ts`, loopback or a Unix socket, token checked before these):
   * `POST /control/kill`, `POST /control/resume`, `GET /debug/portfolio`; other methods get 405.
   */
  readonly routes = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    const action = path === KILL_PATH ? 'kill' : path === RESUME_PATH ? 'resume' : null;
    if (action === null && path !== PORTFOLIO_PATH) return false;
    const from = req.socket.remoteAddress ?? 'unix socket';
    if (action === null) {
      if (req.method !== 'GET') send(res, 405, { error: `${path}: GET only` }, { allow: 'GET' });
      else send(res, 200, this.target.portfolio());
      return true;
    }
    if (req.method !== 'POST') {
      send(res, 405, { error: `${path}: POST only` }, { allow: 'POST' });
      return true;
    }
    req.resume(); // the body is not read: the path is the command
    try {
      const event = await this.command(action, `operator: POST ${path} from ${from}`);
      send(res, 200, { action, ts: event.ts, ...(event.cancelled ? { cancelled: event.cancelled } : {}), ...(event.cancelError ? { cancelError: event.cancelError } : {}) });
    } catch (err) {
      send(res, 503, { error: `${action} not logged: ${err instanceof Error ? err.message : String(err)}` });
    }
    return true;
  };
}
