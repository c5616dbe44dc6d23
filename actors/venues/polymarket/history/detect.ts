import { collectorPath } from './collector';
import { CHAINLINK_HEADER } from './updownListing';
import type { HistoryFormat } from './types';

/** The history format of a file by its path and first characters, or null when it is none of them. */
export function detectHistoryFormat(path: string, text: string): HistoryFormat | null {
  const head = text.slice(0, 4096).trimStart();
  if (head.startsWith('[') && collectorPath(path) !== null) return 'polymarket-collector';
  if (head.startsWith(CHAINLINK_HEADER)) return 'chainlink-csv';
  if (head.startsWith('{') && /"token_ids"\s*:/.test(head.split('\n')[0]) && /"slug"\s*:/.test(head.split('\n')[0])) return 'polymarket-listing';
  return null;
}
