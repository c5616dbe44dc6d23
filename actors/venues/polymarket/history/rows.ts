import { InputError } from '../../../../events/errors';
import type { HistoryFileSummary, HistorySkipReason } from './types';

/** A bad row: the error to show under `--strict` and the reason it is counted under otherwise. */
export class RowError extends InputError {
  constructor(
    file: string,
    row: number,
    field: string,
    problem: string,
    readonly reason: HistorySkipReason,
  ) {
    super({ file: `${file} row ${row}` }, field, problem);
  }
}

const FIELD_REASONS: Record<string, HistorySkipReason> = {
  price: 'bad_price',
  value: 'bad_price',
  full_accuracy_value: 'bad_price',
  size: 'bad_size',
  side: 'bad_side',
  timestamp: 'bad_time',
  feed_ts_ms: 'bad_time',
};

/** The counted reason of an `InputError` thrown by a field reader while decoding a row. */
export function reasonOf(err: InputError): HistorySkipReason {
  if (err instanceof RowError) return err.reason;
  if (err.problem.startsWith('expected') && err.problem.endsWith('got undefined')) return 'missing_field';
  const leaf = err.field.replace(/^.*[.\]]/, '');
  if (/price/.test(err.field) && leaf === 'size') return 'bad_size';
  return FIELD_REASONS[leaf] ?? (/price/.test(err.field) ? 'bad_price' : 'bad_field');
}

/** Counts a skip in the file's summary, or throws it under `strict`. */
export function rejectRow(summary: HistoryFileSummary, strict: boolean, err: InputError): void {
  if (strict) throw err;
  const reason = reasonOf(err);
  summary.skipped[reason] = (summary.skipped[reason] ?? 0) + 1;
}

export function countEvent(summary: HistoryFileSummary, type: string): void {
  summary.events[type] = (summary.events[type] ?? 0) + 1;
}
