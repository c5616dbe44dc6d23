/** Where a piece of outside input came from: a file and line, or a URL / stream name. */
export interface InputLocation {
  file: string;
  line?: number;
}

/** Bad input from outside, naming the file, the line and the field. */
export class InputError extends Error {
  constructor(
    readonly where: InputLocation,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${formatLocation(where)}: field '${field}': ${problem}`);
    this.name = 'InputError';
  }
}

export function formatLocation(where: InputLocation): string {
  return where.line === undefined ? where.file : `${where.file}:${where.line}`;
}

/** Shows a bad value in an error message without flooding it. */
export function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
