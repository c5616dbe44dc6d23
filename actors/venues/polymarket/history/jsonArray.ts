import { InputError } from '../../../../events/errors';

export interface ParsedArray {
  rows: unknown[];
  /** Set when the text was cut short: the complete rows before the damage are in `rows`. */
  truncatedAfter: number | null;
}

/**
 * A file holding one JSON array. A truncated file (a recorder killed mid-write) keeps its complete
 * elements: `truncatedAfter` says how many; anything else that is not a JSON array is an error.
 */
export function parseJsonArray(text: string, file: string): ParsedArray {
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) throw new InputError({ file }, '(file)', 'expected a JSON array of rows');
    return { rows: value, truncatedAfter: null };
  } catch (err) {
    if (err instanceof InputError) throw err;
    const ends = completeElementEnds(text);
    if (ends === null) throw new InputError({ file }, '(file)', `not valid JSON (${(err as Error).message})`);
    const rows = ends.length === 0 ? [] : (JSON.parse(text.slice(0, ends[ends.length - 1]) + ']') as unknown[]);
    return { rows, truncatedAfter: rows.length };
  }
}

/**
 * Offsets just after each complete top-level element of a JSON array that was cut short, or null when
 * the text is not the start of an array (or is broken before its end, not just cut).
 */
function completeElementEnds(text: string): number[] | null {
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== '[') return null;
  const ends: number[] = [];
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 1) ends.push(i + 1);
      if (depth === 0) return null; // the array closed: the damage is elsewhere, not a cut
    }
  }
  return ends;
}
