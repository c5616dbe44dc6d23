export type HealthStatus = 'ok' | 'degraded' | 'failed';

export interface CheckResult {
  status: HealthStatus;
  /** Why, in words an operator can act on ("no message for 15 s", "write failed: ENOSPC"). */
  detail?: string;
}

export type HealthCheck = () => CheckResult;

export interface HealthReport {
  /** The worst status of any check (`ok` when none is registered). */
  status: HealthStatus;
  /** Names of the checks that are not ok, worst first. */
  problems: string[];
  checks: Record<string, CheckResult>;
}

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, failed: 2 };

/**
 * The service's health, assembled from named checks each asked at report time. A check that
 * throws counts as failed, with its error as the detail.
 */
export class Health {
  private readonly checks = new Map<string, HealthCheck>();
  private readonly groups = new Map<string, () => Record<string, CheckResult>>();

  /** Adds a check; returns a function that removes it. */
  register(name: string, check: HealthCheck): () => void {
    if (this.checks.has(name)) throw new Error(`health check '${name}' is already registered`);
    this.checks.set(name, check);
    return () => {
      if (this.checks.get(name) === check) this.checks.delete(name);
    };
  }

  /**
   * Adds a source that reports several named parts at once (e.g. a service's `health()`); each
   * part appears as `prefix:part` (or just `part` with an empty prefix).
   */
  registerGroup(prefix: string, read: () => Record<string, CheckResult>): () => void {
    if (this.groups.has(prefix)) throw new Error(`health group '${prefix}' is already registered`);
    this.groups.set(prefix, read);
    return () => {
      if (this.groups.get(prefix) === read) this.groups.delete(prefix);
    };
  }

  report(): HealthReport {
    const checks: Record<string, CheckResult> = {};
    for (const [prefix, read] of this.groups) {
      let parts: Record<string, CheckResult>;
      try {
        parts = read();
      } catch (err) {
        parts = { '': { status: 'failed', detail: `check threw: ${err instanceof Error ? err.message : String(err)}` } };
      }
      for (const [part, result] of Object.entries(parts)) checks[[prefix, part].filter((s) => s !== '').join(':') || 'service'] = result;
    }
    for (const [name, check] of this.checks) {
      try {
        checks[name] = check();
      } catch (err) {
        checks[name] = { status: 'failed', detail: `check threw: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
    const problems = Object.keys(checks)
      .filter((name) => checks[name].status !== 'ok')
      .sort((a, b) => RANK[checks[b].status] - RANK[checks[a].status]);
    const status = problems.length === 0 ? 'ok' : checks[problems[0]].status;
    return { status, problems, checks };
  }
}
