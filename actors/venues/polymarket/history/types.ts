import type { InputEvent } from '../../../../events/types';

/**
 * Polymarket history layouts `pma import` reads (docs/importers.md):
 * - `polymarket-collector`: CLOB market-channel collector recordings, one JSON array per file at
 *   `<N>m/<asset>/{trades,orderbooks}/<window start s><up|down>.json` (Caiooooo/polymarket-l2-collector);
 * - `polymarket-listing`: Up/Down market listings, one JSON object per line (`slug`, `token_ids`,
 *   `start_sec`, `end_sec`, `outcome_prices`, `strike_value`, `raw` Gamma market), plain or gzip;
 * - `chainlink-csv`: Chainlink Data Streams prices `feed_ts_ms,value,full_accuracy_value,...`, plain or gzip.
 */
export const HISTORY_FORMATS = ['polymarket-collector', 'polymarket-listing', 'chainlink-csv'] as const;
export type HistoryFormat = (typeof HISTORY_FORMATS)[number];

/** Why a row was not written (lenient mode counts these; strict mode stops at the first). */
export type HistorySkipReason =
  | 'truncated_json'
  | 'malformed_json'
  | 'missing_field'
  | 'bad_price'
  | 'bad_size'
  | 'bad_side'
  | 'bad_time'
  | 'bad_field'
  | 'time_backwards'
  | 'duplicate_row'
  | 'unresolved'
  | 'wrong_columns';

export interface HistoryImportOptions {
  /** Per-file format; `auto` (default) tells it from the file's name and first bytes. */
  format?: HistoryFormat | 'auto';
  /** Stop at the first bad row with an `InputError` naming file, row and field. */
  strict?: boolean;
}

export interface HistoryFileSummary {
  file: string;
  format: HistoryFormat;
  rows: number;
  /** Events made from the file, by type (a collector's `asset_price` changes count as `reference_price`). */
  events: Record<string, number>;
  skipped: Partial<Record<HistorySkipReason, number>>;
}

export interface HistoryImportSummary {
  out: string;
  files: HistoryFileSummary[];
  /** Events written by type, definitions and resolutions included. */
  eventsByType: Record<string, number>;
  eventsWritten: number;
  skipped: Partial<Record<HistorySkipReason, number>>;
  /** Markets defined, each with what prices the file holds and whether its token ids were derived. */
  markets: { slug: string; prices: string; derivedIds: boolean }[];
  firstTs: number | null;
  lastTs: number | null;
}

/** An event with where it came from, for a stable time sort: definitions before prices before resolutions at one ms. */
export interface SourcedEvent {
  event: InputEvent;
  rank: 0 | 1 | 2;
  fileIndex: number;
  row: number;
}
