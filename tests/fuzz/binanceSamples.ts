/** Real Binance records for the fuzz tests, from the MIT hftbacktest fixtures: frames of every stream kind, bare payloads, CSV rows. */
import { join } from 'node:path';
import { fileLines } from '../support/binanceRecording';
import { FIXTURES } from '../support/shared';

type Json = Record<string, unknown>;

const recording = fileLines(join(FIXTURES, 'binance/btcusdt_20240808.head1500.gz'));
const frames = recording.map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)) as Json);
const streamOf = (f: Json): string => (typeof f.stream === 'string' ? f.stream.slice(f.stream.indexOf('@') + 1) : 'snapshot');

/** `<ns> <frame>` lines as recorded: trades, bookTicker, depth and the REST snapshot. */
export const recordingLines: string[] = [
  ...recording.filter((_, i) => streamOf(frames[i]) === 'trade').slice(0, 40),
  ...recording.filter((_, i) => streamOf(frames[i]) === 'bookTicker').slice(0, 6),
  ...recording.filter((_, i) => streamOf(frames[i]) === 'depth@100ms').slice(0, 3),
  ...recording.filter((_, i) => streamOf(frames[i]) === 'snapshot').slice(0, 1),
];

/** The JSON of those lines: combined-stream frames and one REST depth snapshot. */
export const recordedFrames: Json[] = recordingLines.map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)) as Json);

/** Real `@trade` payloads. */
export const tradePayloads: Json[] = recordedFrames.filter((f) => f.stream === 'btcusdt@trade').map((f) => f.data as Json);

/** REST aggTrades objects (`a,p,q,f,l,T,m,M`) built from the real trades' values. */
export const aggTradePayloads: Json[] = tradePayloads.map((d) => ({ a: d.t, p: d.p, q: d.q, f: d.t, l: d.t, T: d.T, m: d.m, M: true }));

/** Every kind of bare payload and frame, for the JSON-lines decoder. */
export const jsonlRecords: Json[] = [...recordedFrames, ...tradePayloads, ...aggTradePayloads];

/** Binance public-data CSV rows of the real trades: `id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]`. */
export const csvTradeRows: string[] = tradePayloads.map((d) => [d.t, d.p, d.q, '0', d.T, d.m ? 'true' : 'false', 'true'].join(','));

/** `agg_id,price,qty,first_id,last_id,time,is_buyer_maker[,is_best_match]`. */
export const csvAggRows: string[] = aggTradePayloads.map((d) => [d.a, d.p, d.q, d.f, d.l, d.T, d.m ? 'true' : 'false'].join(','));
