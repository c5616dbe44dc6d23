import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { constants, gunzipSync } from 'node:zlib';
import { fsProblem, InputError } from '../../../../events/errors';

/** A whole input file as text, gunzipped when it is gzip (by its magic bytes, not its name). */
export function readText(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError({ file: path }, '(file)', `cannot be read (${fsProblem(err) ?? (err as Error).message})`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new InputError({ file: path }, '(gzip)', `corrupt or truncated gzip (${(err as Error).message})`);
    }
  }
  return bytes.toString('utf8');
}

/** The first bytes of a file as text (gunzipped when gzip), to tell its format without reading it all. */
export function peekText(path: string, bytes = 65536): string {
  const buf = Buffer.alloc(bytes);
  let n: number;
  try {
    const fd = openSync(path, 'r');
    try {
      n = readSync(fd, buf, 0, bytes, 0);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw new InputError({ file: path }, '(file)', `cannot be read (${fsProblem(err) ?? (err as Error).message})`);
  }
  const head = buf.subarray(0, n);
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    try {
      return gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    } catch {
      return '';
    }
  }
  return head.toString('utf8');
}
