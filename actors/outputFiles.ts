import { existsSync, renameSync, rmSync, statSync } from 'node:fs';

/** The suffix of an output still being written; renamed away when the run completes. */
export const PARTIAL_SUFFIX = '.partial';

/** The run was stopped (Ctrl-C) before its outputs were complete. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'Interrupted';
  }
}

/**
 * Outputs of one run (a backtest's events.jsonl, report.json and report.html; a replay's log), each
 * written under a temporary name (`NAME.partial`) and renamed over NAME only when the whole run has
 * succeeded. A failed, interrupted or killed run therefore leaves the previous outputs as they were
 * (or none), never a half-written file under the real name.
 */
export class PendingOutputs {
  private readonly files: string[] = [];

  /** The temporary path to write `final` to. */
  temp(final: string): string {
    if (statSync(final, { throwIfNoEntry: false })?.isDirectory()) {
      throw Object.assign(new Error(`EISDIR: ${final}`), { code: 'EISDIR', path: final });
    }
    this.files.push(final);
    return final + PARTIAL_SUFFIX;
  }

  /** Every output complete: the temporary files take the real names. */
  commit(): void {
    for (const f of this.files) renameSync(f + PARTIAL_SUFFIX, f);
  }

  /** The run failed: the temporary files go, the real names keep what they had. */
  discard(): void {
    for (const f of this.files) rmSync(f + PARTIAL_SUFFIX, { force: true });
  }

  /** What a failed run left behind, for its error message. */
  describeKept(): string {
    const kept = this.files.filter((f) => existsSync(f));
    if (kept.length === 0) return this.files.length ? `nothing written (${this.files.join(', ')} not created)` : 'nothing written';
    return `${kept.join(', ')} left as ${kept.length === 1 ? 'it was' : 'they were'} (from the previous run)`;
  }
}
