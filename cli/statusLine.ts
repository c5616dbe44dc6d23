import type { HealthReport } from '../actors/observability/health';
import type { TradingView } from '../actors/observability/metrics';

export interface StatusInput {
  health: HealthReport;
  lastEvent: { seq: number; ts: number; type: string } | null;
  trading: TradingView;
  now: number;
}

const ago = (ms: number) => (ms < 60_000 ? `${Math.max(0, Math.round(ms / 1000))} s` : `${Math.round(ms / 60_000)} min`);

/**
 * `pma start`'s one line on a terminal: each feed (ok, or down), the last event, equity and halts.
 * The details (every reconnect, every error) stay in the JSON log.
 */
export function formatStatus(s: StatusInput): string {
  const feeds = Object.entries(s.health.checks)
    .filter(([name]) => name.startsWith('feed:'))
    .map(([name, c]) => `${name.slice(5)} ${c.status === 'ok' ? 'ok' : /never connected/.test(c.detail ?? '') ? 'never connected' : /no status yet/.test(c.detail ?? '') ? 'connecting' : 'down'}`)
    .join(', ');
  const last = s.lastEvent ? `last event #${s.lastEvent.seq} ${s.lastEvent.type} ${ago(s.now - s.lastEvent.ts)} ago` : 'no event yet';
  const halts = s.trading.halts.length ? `HALTED: ${s.trading.halts.join(', ')}` : 'no halt';
  return `feeds: ${feeds || 'none'} | ${last} | equity ${s.trading.equity.toFixed(2)} USDC | ${halts} | health ${s.health.status}`;
}
