import type { TradeEvent } from '../../../../events/types';

/**
 * Input layouts the importers read:
 * - `recording`: hftbacktest-style `<local ns> <combined-stream frame JSON>` lines;
 * - `jsonl`: one JSON object per line, a combined-stream frame or a bare `@trade` / `@aggTrade` /
 *   REST aggTrades payload;
 * - `csv-trades`: Binance public data `id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]`;
 * - `csv-aggtrades`: `agg_id,price,qty,first_id,last_id,time,is_buyer_maker[,is_best_match]`.
 */
export const IMPORT_FORMATS = ['recording', 'jsonl', 'csv-trades', 'csv-aggtrades'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Why a line was not written (lenient mode counts these; strict mode stops at the first). */
export type SkipReason =
  | 'malformed_json'
  | 'malformed_line'
  | 'wrong_columns'
  | 'bad_price'
  | 'bad_qty'
  | 'bad_time'
  | 'bad_id'
  | 'bad_side'
  | 'bad_symbol'
  | 'bad_field'
  | 'not_market_print'
  | 'time_backwards'
  | 'duplicate_id'
  | 'id_backwards'
  | 'beyond_reorder_window'
  | 'overlaps_earlier_file'
  | 'truncated_gzip';

export interface ImportOptions {
  /** Per-file format; `auto` (default) detects it from the file's first line. */
  format?: ImportFormat | 'auto';
  /** Symbol for inputs that do not carry one (CSV, REST aggTrades); else taken from the file name. */
  symbol?: string;
  /**
   * Which Binance market the trades are from: `spot`, `usdm` (USD-M futures), or `auto` (default):
   * futures when the file name says so (`um`, `usdm`, `futures`, `fapi`, `fstream` as a name part) or a
   * `@trade` payload carries futures' `X` field, else spot.
   */
  market?: 'spot' | 'usdm' | 'auto';
  /** Stop at the first bad line with an `InputError` instead of skipping and counting it. */
  strict?: boolean;
  /**
   * Trades of different symbols in one file may be slightly out of time order (independent
   * streams). Each file is re-ordered within this window (ms of trade time); default 10 000.
   * Memory holds the trades of one window per file.
   */
  reorderMs?: number;
}

export const DEFAULT_REORDER_MS = 10_000;

/** A decoded trade with where it came from, for the stable merge. */
export interface SourcedTrade {
  event: TradeEvent;
  fileIndex: number;
  line: number;
  /** `trade` or `aggTrade`: the id space of `event.tradeId`. */
  idKind: 'trade' | 'aggTrade';
}

export interface FileSummary {
  file: string;
  format: ImportFormat;
  lines: number;
  /** Lines seen per kind: trade, aggTrade, bookTicker, depth, snapshot, header, blank, unparsed, other... */
  kinds: Record<string, number>;
  trades: number;
  skipped: Partial<Record<SkipReason, number>>;
}

export interface ImportSummary {
  out: string;
  files: FileSummary[];
  linesByKind: Record<string, number>;
  tradesWritten: number;
  tradesBySymbol: Record<string, number>;
  skipped: Partial<Record<SkipReason, number>>;
  /** Trade time of the first and last trade written (ms), or null when none was. */
  firstTs: number | null;
  lastTs: number | null;
}
