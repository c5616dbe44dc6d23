import { InputError, type InputLocation, show } from '../../../../events/errors';
import type { TradeEvent } from '../../../../events/types';
import { parseJsonObject, type Obj } from '../../../../events/validate';
import { SkipTrade, decodeFrame } from '../parse';
import { checkCsvHeader, decodeCsvTrade, detectCsv, type CsvLayout } from './csv';
import type { ImportFormat } from './types';

/**
 * What one input line was, and the trade it carried or why its trade could not be decoded. A line
 * whose kind cannot be told (not JSON, not `<ns> <json>`) throws an `InputError` instead.
 */
export interface LineOutcome {
  /** trade, aggTrade, bookTicker, depth, snapshot, header, ... */
  kind: string;
  trade: TradeEvent | null;
  error: InputError | SkipTrade | null;
}

export type LineDecoder = (line: string, where: InputLocation) => LineOutcome;

function attempt(kind: string, decode: () => TradeEvent | null): LineOutcome {
  try {
    return { kind, trade: decode(), error: null };
  } catch (err) {
    if (err instanceof InputError || err instanceof SkipTrade) return { kind, trade: null, error: err };
    throw err;
  }
}

const RECORDING = /^\d+ \{/;

/** The format of a file told by its first non-blank line, or null when it is none of them. */
export function detectFormat(firstLine: string): ImportFormat | null {
  if (RECORDING.test(firstLine)) return 'recording';
  if (firstLine.trimStart().startsWith('{')) return 'jsonl';
  const csv = detectCsv(firstLine);
  if (csv) return csv.layout === 'trades' ? 'csv-trades' : 'csv-aggtrades';
  return null;
}

/** The kind of a combined-stream frame or bare payload, named by its stream channel or event type. */
export function kindOf(obj: Obj): string {
  if (typeof obj.stream === 'string') {
    const channel = obj.stream.slice(obj.stream.indexOf('@') + 1);
    return channelKind(channel.split('@')[0].split('_')[0]);
  }
  if (obj.lastUpdateId !== undefined && Array.isArray(obj.bids)) return 'snapshot';
  if (typeof obj.e === 'string') return channelKind(obj.e);
  if (obj.t !== undefined) return 'trade';
  if (typeof obj.a === 'number') return 'aggTrade';
  if (obj.u !== undefined && obj.b !== undefined && obj.a !== undefined) return 'bookTicker';
  return 'other';
}

function channelKind(name: string): string {
  return name === 'depthUpdate' ? 'depth' : name;
}

function decodeJson(text: string, where: InputLocation, symbol: string | undefined): LineOutcome {
  const obj = parseJsonObject(text, where);
  const kind = kindOf(obj);
  if (kind !== 'trade' && kind !== 'aggTrade') return { kind, trade: null, error: null };
  return attempt(kind, () => {
    const { trade } = decodeFrame(obj, where, symbol);
    // kindOf and decodeFrame read the stream name and `e` differently on odd input: report, never drop silently.
    if (trade === null) throw new InputError(where, typeof obj.stream === 'string' ? 'stream' : 'e', `looks like a ${kind} but is not one (stream ${show(obj.stream)}, e ${show(obj.e)})`);
    return trade;
  });
}

/**
 * A decoder for the file's format. `firstLine` is the first non-blank line (for CSV it tells the
 * layout and whether there is a header); `symbol` is for inputs that carry none.
 */
export function makeLineDecoder(format: ImportFormat, firstLine: string, symbol: string | undefined, file: string): LineDecoder {
  switch (format) {
    case 'recording':
      return (line, where) => {
        const space = line.indexOf(' ');
        if (space <= 0 || !/^\d+$/.test(line.slice(0, space))) {
          throw new InputError(where, '(line)', `expected "<local time ns> <json>", got ${show(line)}`);
        }
        // The local receive time is ignored: trades are stamped with the exchange time T.
        return decodeJson(line.slice(space + 1), where, symbol);
      };
    case 'jsonl':
      return (line, where) => decodeJson(line, where, symbol);
    case 'csv-trades':
    case 'csv-aggtrades': {
      const layout: CsvLayout = format === 'csv-trades' ? 'trades' : 'aggTrades';
      if (!symbol) throw new InputError({ file }, 'symbol', 'CSV files carry no symbol: give --symbol or name the file SYMBOL-trades-....csv');
      const shape = detectCsv(firstLine, layout)!;
      const kind = layout === 'trades' ? 'trade' : 'aggTrade';
      let headerPending = shape.hasHeader;
      return (line, where) => {
        if (headerPending) {
          headerPending = false;
          return attempt('header', () => (checkCsvHeader(line, layout, where), null));
        }
        return attempt(kind, () => decodeCsvTrade(line, layout, symbol, where));
      };
    }
  }
}

const SYMBOL_IN_NAME = /^([A-Za-z0-9]{2,16}?(?:USDT|USDC|FDUSD|BUSD|TUSD|USD|DAI|BTC|ETH|BNB|EUR|TRY|BRL|JPY))(?=[-_.])/i;

/**
 * BTCUSDT from `BTCUSDT-trades-2024-08-08.csv`, `btcusdt_20240808.gz`, `XRPETH-aggTrades-....jsonl`:
 * a leading name that ends in a common quote asset, so `trades.csv` gives none.
 */
export function symbolFromFileName(path: string): string | undefined {
  const base = path.split(/[\\/]/).pop() ?? '';
  const m = SYMBOL_IN_NAME.exec(base);
  return m ? m[1].toUpperCase() : undefined;
}
