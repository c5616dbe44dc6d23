import type { Clock } from '../../events/clock';
import type { AnyEvent, FeedStatusEvent } from '../../events/types';
import type { StrategyHealth } from '../supervisor';
import type { HealthCheck } from './health';

export interface ServiceStatusOptions {
  /** The live clock: ages are measured against it. */
  clock: Clock;
  /** Market data older than this is stale (config `marketData.maxStaleMs`). */
  marketDataMaxAgeMs: number;
  /** Config `llm.enabled`: when false the LLM being off is what the operator asked for. */
  llmEnabled: boolean;
  /** Why the LLM is off when it is (shown by its check, which is then ok: the rules decide). */
  llmOffReason?: string;
  /** Recent LLM answers looked at (default 10). */
  llmWindow?: number;
  /** Degraded when at least this share of the recent answers failed (default 0.5). */
  llmErrorShare?: number;
}

const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

/**
 * The health of the parts that report through events: feeds (`feed_status`), market data
 * (`market_snapshot` age), the LLM engine (`feed_status` of feed `llm`, `llm_answer` errors).
 * Feed it every event (`onEvent`) and register its checks on a `Health`.
 */
export class ServiceStatus {
  private readonly feeds = new Map<string, FeedStatusEvent>();
  /** Per feed: when its current outage began (retries do not restart it) and whether it was ever connected. */
  private readonly outages = new Map<string, { since: number | null; everConnected: boolean }>();
  private lastSnapshotAt: number | null = null;
  private llmOn: FeedStatusEvent | null = null;
  private readonly answers: (string | null)[] = [];

  constructor(private readonly o: ServiceStatusOptions) {}

  onEvent(event: AnyEvent): void {
    if (event.type === 'feed_status') {
      if (event.feed === 'llm') this.llmOn = event;
      // A gap is reported and counted; the feed itself stays as it was.
      else if (event.status !== 'gap') {
        this.feeds.set(event.feed, event);
        const o = this.outages.get(event.feed) ?? { since: null, everConnected: false };
        if (event.status === 'connected' || event.status === 'recovered') this.outages.set(event.feed, { since: null, everConnected: true });
        else this.outages.set(event.feed, { since: o.since ?? event.ts, everConnected: o.everConnected });
      }
    } else if (event.type === 'market_snapshot') {
      const at = event.fetchedAt ?? event.ts;
      if (this.lastSnapshotAt === null || at > this.lastSnapshotAt) this.lastSnapshotAt = at;
    } else if (event.type === 'llm_answer') {
      this.answers.push(event.error);
      if (this.answers.length > (this.o.llmWindow ?? 10)) this.answers.shift();
    }
  }

  /** Degraded until the feed reports connected, and while it is disconnected or stale. */
  feedCheck(feed: string): HealthCheck {
    return () => {
      const last = this.feeds.get(feed);
      if (!last) return { status: 'degraded', detail: 'no status yet (connecting)' };
      if (last.status === 'connected' || last.status === 'recovered') return { status: 'ok', detail: last.detail };
      const outage = this.outages.get(feed);
      const down = seconds(this.o.clock.now() - (outage?.since ?? last.ts));
      if (outage && !outage.everConnected) return { status: 'degraded', detail: `never connected (trying for ${down}): ${last.detail}` };
      return { status: 'degraded', detail: `${last.status} for ${down}: ${last.detail}` };
    };
  }

  /** Degraded when no market snapshot was fetched within `marketDataMaxAgeMs` (strategies will not trade on it). */
  marketDataCheck(): HealthCheck {
    return () => {
      if (this.lastSnapshotAt === null) return { status: 'degraded', detail: 'no market snapshot yet' };
      const age = this.o.clock.now() - this.lastSnapshotAt;
      if (age > this.o.marketDataMaxAgeMs) return { status: 'degraded', detail: `last market snapshot fetched ${seconds(age)} ago (limit ${seconds(this.o.marketDataMaxAgeMs)})` };
      return { status: 'ok', detail: `fetched ${seconds(age)} ago` };
    };
  }

  /** Degraded when the LLM engine is off though enabled in config, or when many recent answers failed. */
  llmCheck(): HealthCheck {
    return () => {
      if (!this.o.llmEnabled) return { status: 'ok', detail: this.o.llmOffReason ?? 'disabled in config (llm.enabled = false)' };
      if (!this.llmOn) return { status: 'degraded', detail: 'engine not started' };
      if (this.llmOn.status !== 'connected') return { status: 'degraded', detail: `off: ${this.llmOn.detail}` };
      const failed = this.answers.filter((e) => e !== null);
      if (this.answers.length > 0 && failed.length / this.answers.length >= (this.o.llmErrorShare ?? 0.5)) {
        return { status: 'degraded', detail: `${failed.length} of the last ${this.answers.length} answers failed; last error: ${failed[failed.length - 1]}` };
      }
      return { status: 'ok', detail: `${this.answers.length - failed.length} of the last ${this.answers.length} answers ok` };
    };
  }
}

/** Failed once the event log could not be written (nothing may happen that is not logged). */
export function eventLogCheck(log: { readonly failed: Error | null }): HealthCheck {
  return () => (log.failed ? { status: 'failed', detail: log.failed.message } : { status: 'ok' });
}

/** Degraded when a strategy was stopped by the supervisor; failed when all of them were. */
export function strategiesCheck(supervisor: { health(): readonly StrategyHealth[] }): HealthCheck {
  return () => {
    const all = supervisor.health();
    const stopped = all.filter((s) => s.stopped).map((s) => s.name);
    if (stopped.length === 0) return { status: 'ok', detail: `${all.length} running` };
    return { status: stopped.length === all.length ? 'failed' : 'degraded', detail: `stopped: ${stopped.join(', ')}` };
  };
}
