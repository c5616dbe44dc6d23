import type { LogRecord } from '../../events/log';

/** The message of the rebuild's progress lines (`{ seq, percent }`), once per whole percent of the log passed. */
export const REBUILD_PROGRESS = 'rebuild progress';

/**
 * Tells how far the start-up rebuild has read its log: the seq reached, each time another whole
 * percent of the log's bytes is behind it. Operators see a long rebuild move; the crash tests aim
 * their kills at a point of the log rather than at a wall-clock moment.
 */
export class RebuildProgress {
  private read = 0;
  private reported = 0;

  constructor(
    private readonly bytes: number,
    private readonly report: (seq: number, percent: number) => void,
  ) {}

  /** After a batch is replayed. Bytes are counted as UTF-16 units plus the newline: exact for ASCII logs, close otherwise. */
  passed(batch: readonly LogRecord[]): void {
    for (const r of batch) this.read += r.line.length + 1;
    const percent = Math.min(100, Math.floor((100 * this.read) / this.bytes));
    if (percent <= this.reported || batch.length === 0) return;
    this.reported = percent;
    this.report(batch[batch.length - 1].event.seq, percent);
  }
}
