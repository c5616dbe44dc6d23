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
    // A parenthesised field such as '(file)' or '(body)' names no field the user could look up: left out.
    super(/^\(.*\)$/.test(field) ? `${formatLocation(where)}: ${problem}` : `${formatLocation(where)}: field '${field}': ${problem}`);
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

const FS_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'is not a folder (or a part of the path is not)',
  EEXIST: 'already exists',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EMFILE: 'too many open files',
};

/** A file-system error (errno code) as words, or null when `err` is not one. */
export function fsProblem(err: unknown): string | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return null;
  return FS_PROBLEMS[code] ?? code;
}

/** A read's file-system error names no path (it was of an open file: a folder's EISDIR): given the file's, so its message names it. */
export function withPath(err: unknown, path: string): unknown {
  const e = err as NodeJS.ErrnoException | null;
  if (e !== null && typeof e === 'object' && typeof e.code === 'string' && e.path === undefined) e.path = path;
  return err;
}

/** A file-system error as one line naming the path: `out/x.jsonl: permission denied`. */
export function fsErrorLine(err: unknown): string | null {
  const problem = fsProblem(err);
  if (problem === null) return null;
  const path = (err as NodeJS.ErrnoException).path;
  return path ? `${path}: ${problem}` : problem;
}
