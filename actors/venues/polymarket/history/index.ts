export { importHistory } from './importHistory';
export { formatHistorySummary } from './summary';
export { detectHistoryFormat } from './detect';
export { peekText, readText } from './readText';
export { collectorPath } from './collector';
export { derivedUpDownMarket, derivedTokenId, upDownSlug } from './derivedIds';
export * from './types';
