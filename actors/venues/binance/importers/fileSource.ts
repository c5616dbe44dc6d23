import { InputError, type InputLocation } from '../../../../events/errors';
import { readLineBatches, type LineReadResult } from '../../../../events/lines';
import { tradeMarketKey } from '../../../../events/types';
import { SkipTrade, asUsdm } from '../parse';
import { MinHeap, beforeInInputOrder } from './heap';
import { detectFormat, makeLineDecoder, symbolFromFileName, type LineDecoder } from './lineDecoders';
import { DEFAULT_REORDER_MS, type FileSummary, type ImportOptions, type SkipReason, type SourcedTrade } from './types';
import { addCount } from './summary';

/** A trade out of order within its symbol, or too late for the file's reorder window. */
export class OrderError extends InputError {
  constructor(
    where: InputLocation,
    field: string,
    problem: string,
    readonly reason: SkipReason,
  ) {
    super(where, field, problem);
  }
}

const FIELD_REASONS: Record<string, SkipReason> = {
  '(line)': 'malformed_json',
  '(columns)': 'wrong_columns',
  '(gzip)': 'truncated_gzip',
  p: 'bad_price',
  price: 'bad_price',
  q: 'bad_qty',
  qty: 'bad_qty',
  T: 'bad_time',
  time: 'bad_time',
  t: 'bad_id',
  a: 'bad_id',
  id: 'bad_id',
  agg_id: 'bad_id',
  first_id: 'bad_id',
  last_id: 'bad_id',
  m: 'bad_side',
  is_buyer_maker: 'bad_side',
  s: 'bad_symbol',
  data: 'malformed_json',
};

/** The counted reason for an error on one line. */
export function skipReasonOf(err: InputError): SkipReason {
  if (err instanceof OrderError) return err.reason;
  if (err.field === '(line)' && err.problem.startsWith('expected "<local')) return 'malformed_line';
  return FIELD_REASONS[err.field] ?? 'bad_field';
}

const FUTURES_NAME = /(^|[-_.])(um|usdm|futures|fapi|fstream)([-_.]|$)/i;

/** `BTCUSDT-trades-um-2024-08-08.csv`, `futures/btcusdt.gz`: a file of USD-M futures trades by its name. */
export function futuresFileName(path: string): boolean {
  return path.split(/[\\/]/).some((part) => FUTURES_NAME.test(part));
}

interface LastTrade {
  ts: number;
  id: number;
}

/**
 * Reads one input file as batches of trades in (trade time, line) order, streaming. Checks that each
 * symbol's trades come in (T, trade id) order; lets trades of different symbols be out of order by at
 * most `reorderMs` (they are re-ordered in a bounded heap). Bad lines throw under `strict`, else are
 * counted in `summary.skipped` by reason.
 */
export class FileTradeSource {
  readonly summary: FileSummary;
  private decoder: LineDecoder | null = null;
  private readonly lastBySymbol = new Map<string, LastTrade>();
  private readonly pending = new MinHeap<SourcedTrade>(beforeInInputOrder);
  private maxTs = -Infinity;
  private releasedTs = -Infinity;
  private readonly strict: boolean;
  private readonly reorderMs: number;
  private readonly symbol: string | undefined;
  private readonly usdm: boolean;

  constructor(
    readonly path: string,
    readonly fileIndex: number,
    private readonly options: ImportOptions = {},
  ) {
    this.strict = options.strict ?? false;
    this.reorderMs = options.reorderMs ?? DEFAULT_REORDER_MS;
    this.symbol = options.symbol?.toUpperCase() ?? symbolFromFileName(path);
    this.usdm = options.market === 'usdm' || ((options.market ?? 'auto') === 'auto' && futuresFileName(path));
    this.summary = { file: path, format: options.format && options.format !== 'auto' ? options.format : 'jsonl', lines: 0, kinds: {}, trades: 0, skipped: {} };
  }

  async *batches(): AsyncGenerator<SourcedTrade[], void> {
    const lines = readLineBatches(this.path);
    try {
      for (;;) {
        let next: IteratorResult<{ lines: string[]; firstLine: number }, LineReadResult>;
        try {
          next = await lines.next();
        } catch (err) {
          if (!(err instanceof InputError) || err.field !== '(gzip)') throw err;
          this.reject(err); // lenient: keep every complete line before the damage
          break;
        }
        const out: SourcedTrade[] = [];
        if (next.done) {
          // Someone else's file may simply lack its final newline: that line counts like any other.
          if (next.value.unterminated !== null) this.onLine(next.value.unterminated, next.value.unterminatedLine, out);
          this.drain(out);
          if (out.length > 0) yield out;
          return;
        }
        const { lines: batch, firstLine } = next.value;
        for (let i = 0; i < batch.length; i++) this.onLine(batch[i], firstLine + i, out);
        if (out.length > 0) yield out;
      }
      const out: SourcedTrade[] = [];
      this.drain(out);
      if (out.length > 0) yield out;
    } finally {
      // Closes the file when the import stops early (another file's strict error).
      await lines.return({ lines: 0, unterminated: null, unterminatedLine: 0, unterminatedOffset: 0, unterminatedBytes: 0 });
    }
  }

  /** Counts a skip, or throws it under `strict`. */
  reject(err: InputError): void {
    if (this.strict) throw err;
    const reason = skipReasonOf(err);
    this.summary.skipped[reason] = (this.summary.skipped[reason] ?? 0) + 1;
  }

  private count(kind: string): void {
    addCount(this.summary.kinds, kind);
  }

  private onLine(raw: string, lineNo: number, out: SourcedTrade[]): void {
    this.summary.lines++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim().length === 0) {
      this.count('blank');
      return;
    }
    const where = { file: this.path, line: lineNo };
    const decode = this.decoder ?? this.openDecoder(line, where);
    let outcome;
    try {
      outcome = decode(line, where);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      this.count('unparsed');
      this.reject(err);
      return;
    }
    this.count(outcome.kind);
    if (outcome.error instanceof SkipTrade) {
      this.summary.skipped.not_market_print = (this.summary.skipped.not_market_print ?? 0) + 1;
    } else if (outcome.error) {
      this.reject(outcome.error);
    } else if (outcome.trade) {
      const sourced: SourcedTrade = { event: this.usdm ? asUsdm(outcome.trade) : outcome.trade, fileIndex: this.fileIndex, line: lineNo, idKind: outcome.kind === 'aggTrade' ? 'aggTrade' : 'trade' };
      try {
        this.accept(sourced, where, out);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        this.reject(err);
      }
    }
  }

  private openDecoder(firstLine: string, where: InputLocation): LineDecoder {
    const forced = this.options.format && this.options.format !== 'auto' ? this.options.format : null;
    const format = forced ?? detectFormat(firstLine);
    if (!format) {
      throw new InputError(where, '(format)', 'not a Binance recording, JSON lines or trades/aggTrades CSV (give --format to force one)');
    }
    this.summary.format = format;
    this.decoder = makeLineDecoder(format, firstLine, this.symbol, this.path);
    return this.decoder;
  }

  private accept(t: SourcedTrade, where: InputLocation, out: SourcedTrade[]): void {
    const e = t.event;
    const csv = this.summary.format.startsWith('csv');
    const key = `${tradeMarketKey(e)}/${t.idKind}`;
    const last = this.lastBySymbol.get(key);
    if (last) {
      if (e.ts < last.ts) throw new OrderError(where, csv ? 'time' : 'T', `trade time ${e.ts} is before the previous ${e.symbol} trade's ${last.ts}`, 'time_backwards');
      if (e.tradeId === last.id) throw new OrderError(where, csv ? 'id' : t.idKind === 'aggTrade' ? 'a' : 't', `duplicate ${e.symbol} trade id ${e.tradeId}`, 'duplicate_id');
      if (e.tradeId < last.id) throw new OrderError(where, csv ? 'id' : t.idKind === 'aggTrade' ? 'a' : 't', `${e.symbol} trade id ${e.tradeId} is below the previous ${last.id}`, 'id_backwards');
    }
    if (e.ts < this.releasedTs) {
      throw new OrderError(where, csv ? 'time' : 'T', `trade time ${e.ts} is more than ${this.reorderMs} ms behind this file's other symbols (raise --reorder-ms)`, 'beyond_reorder_window');
    }
    this.lastBySymbol.set(key, { ts: e.ts, id: e.tradeId });
    this.summary.trades++;
    this.pending.push(t);
    if (e.ts > this.maxTs) this.maxTs = e.ts;
    const releaseUpTo = this.maxTs - this.reorderMs;
    while (this.pending.size > 0 && this.pending.peek()!.event.ts <= releaseUpTo) this.release(out);
  }

  private release(out: SourcedTrade[]): void {
    const t = this.pending.pop()!;
    this.releasedTs = t.event.ts;
    out.push(t);
  }

  private drain(out: SourcedTrade[]): void {
    while (this.pending.size > 0) this.release(out);
  }
}
