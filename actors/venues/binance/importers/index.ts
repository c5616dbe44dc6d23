export { importTicks } from './importTicks';
export { formatImportSummary } from './summary';
export { FileTradeSource, OrderError, skipReasonOf } from './fileSource';
export { mergeByTime } from './merge';
export { decodeCsvTrade, detectCsv, type CsvLayout } from './csv';
export { detectFormat, kindOf, makeLineDecoder, symbolFromFileName } from './lineDecoders';
export * from './types';
