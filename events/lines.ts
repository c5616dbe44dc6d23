import { closeSync, createReadStream, fstatSync, openSync, readSync, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { turnOfEventLoop } from './clock';
import { InputError, withPath } from './errors';
import { TradeLineScanner, type ScannedTrade } from './tradeLine';

export interface LineBatch {
  lines: string[];
  /** Line number (from 1) of `lines[0]`. */
  firstLine: number;
}

export interface LineReadResult {
  /** Newline-terminated lines seen. */
  lines: number;
  /**
   * Text after the last newline (not yielded in any batch), or null. Event logs treat it as a torn
   * write; importers of other people's files treat it as a last line without its newline.
   */
  unterminated: string | null;
  /** Line number the unterminated text would have. */
  unterminatedLine: number;
  /** Byte offset (in the decompressed text) where the unterminated text starts: the bytes of all complete lines. */
  unterminatedOffset: number;
  /** Its length in bytes as stored (a cut inside a multi-byte character counts the bytes that are there). */
  unterminatedBytes: number;
}

const hasGzipMagic = (buf: Buffer, n: number) => n === 2 && buf[0] === 0x1f && buf[1] === 0x8b;

/** Whether a file is gzip, told by its magic bytes (not its name). */
export async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return hasGzipMagic(buf, bytesRead);
  } catch (err) {
    throw withPath(err, path);
  } finally {
    await fh.close();
  }
}

/**
 * Size of the text in a file: the file size, or for gzip the ISIZE trailer (uncompressed size mod
 * 2^32, exact for single-member files under 4 GiB; for progress only).
 */
export function textSize(path: string): number | null {
  const fd = openSync(path, 'r');
  try {
    return gzipOrPlainSize(fd);
  } catch (err) {
    throw withPath(err, path);
  } finally {
    closeSync(fd);
  }
}

function gzipOrPlainSize(fd: number): number | null {
  const size = fstatSync(fd).size;
  const head = Buffer.alloc(2);
  if (hasGzipMagic(head, readSync(fd, head, 0, 2, 0))) {
    if (size < 18) return null;
    const tail = Buffer.alloc(4);
    readSync(fd, tail, 0, 4, size - 4);
    return tail.readUInt32LE(0);
  }
  return size;
}

/**
 * The text of a file as a byte stream, gunzipped when it is gzip: the one way files of lines are
 * opened. `start` (a byte offset in the text) is honoured for plain files; gzip has no random
 * access, so it is read from the beginning (`fromStart` says which happened). Destroy `file` when done.
 */
export function openText(path: string, gz: boolean, options: { start?: number; chunkBytes?: number; gunzipChunk?: number } = {}): { stream: Readable; file: ReadStream; fromStart: boolean } {
  const file = createReadStream(path, { start: gz ? 0 : options.start, highWaterMark: options.chunkBytes ?? 64 * 1024 });
  const stream: Readable = gz ? file.pipe(createGunzip(options.gunzipChunk ? { chunkSize: options.gunzipChunk } : {})) : file;
  if (gz) file.on('error', (err) => stream.destroy(err));
  return { stream, file, fromStart: gz || !options.start };
}

export interface LineReadOptions {
  /** Bytes per read (default 1 MiB). */
  chunkBytes?: number;
  /** Sees every byte of the file as stored (gzip still compressed), in order: a hash taken in the same pass. */
  onBytes?: (bytes: Buffer) => void;
}

/**
 * Text is decoded and split at most about this much at a time (a batch of lines): the string of a
 * piece stays a regular young object that dies with its lines. V8 places a larger string in its
 * large-object space, promoted to the old generation the first time a collection finds it alive, so
 * decoding a whole read chunk at once left a megabyte of old garbage behind every few thousand lines.
 */
const PIECE_BYTES = 64 * 1024;

/** Where the piece of `chunk` from `start` ends: after its last newline within PIECE_BYTES (after the first one beyond for a longer line), or at the chunk's end. */
function pieceEnd(chunk: Buffer, start: number): number {
  if (chunk.length - start <= PIECE_BYTES) return chunk.length;
  const nl = chunk.lastIndexOf(0x0a, start + PIECE_BYTES - 1);
  if (nl >= start) return nl + 1;
  const next = chunk.indexOf(0x0a, start + PIECE_BYTES);
  return next < 0 ? chunk.length : next + 1;
}

/**
 * A file of lines opened for reading (plain or gzip, told by its magic bytes): its text in chunks, `onBytes`
 * fed every byte as stored (a gzip file's own bytes pass through `file` on their way to the gunzip stream),
 * and the counts its reader's result needs. Call `close` when done.
 */
async function openLines(path: string, options: LineReadOptions): Promise<{ gz: boolean; chunks: AsyncIterable<Buffer>; close: () => void; count: ByteCount }> {
  const gz = await isGzip(path);
  const chunkBytes = options.chunkBytes ?? 1 << 20;
  const onBytes = options.onBytes;
  if (!gz) {
    const chunks = plainChunks(path, chunkBytes);
    // A read-only file's close cannot lose anything: a failure there must not become an unhandled rejection.
    return { gz, chunks, close: () => void chunks.return(undefined).catch(() => undefined), count: new ByteCount(onBytes) };
  }
  const { stream, file } = openText(path, gz, { chunkBytes, gunzipChunk: 64 * 1024 });
  if (onBytes !== undefined) file.on('data', (bytes) => onBytes(bytes as Buffer));
  return { gz, chunks: stream as AsyncIterable<Buffer>, close: () => file.destroy(), count: new ByteCount(undefined) };
}

/**
 * A plain file's bytes in chunks of `chunkBytes` (each a new buffer: a reader may keep a line's bytes), read
 * in this thread. A read stream hands each read to libuv's thread pool and back (a wake-up, an event, a
 * promise and the stream's own bookkeeping per chunk): reading 1.7 GB in 64 KiB chunks took 2.1-2.5 s of
 * CPU that way against 0.37 s read here. The event loop still turns at least once a MiB, so timers and
 * signals are heard while a long file is read.
 */
async function* plainChunks(path: string, chunkBytes: number): AsyncGenerator<Buffer, void, undefined> {
  const fd = openSync(path, 'r');
  try {
    let sinceTurn = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafeSlow(chunkBytes);
      // Position null: from where the last read ended (a pipe has no positions).
      const n = readSync(fd, chunk, 0, chunkBytes, null);
      if (n === 0) return;
      yield n === chunkBytes ? chunk : chunk.subarray(0, n);
      sinceTurn += n;
      if (sinceTurn >= TURN_BYTES) {
        sinceTurn = 0;
        await turnOfEventLoop();
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Bytes a reader reads between turns of the event loop, at most (plus a chunk). */
const TURN_BYTES = 1 << 20;

/** Bytes of text read, and of complete lines among them (up to the last newline). */
class ByteCount {
  private bytes = 0;
  private complete = 0;

  constructor(private readonly onBytes: ((bytes: Buffer) => void) | undefined) {}

  /** Counts a chunk of text read; returns its last newline's offset in it (-1: none). */
  add(chunk: Buffer): number {
    this.onBytes?.(chunk);
    const last = chunk.lastIndexOf(0x0a);
    if (last >= 0) this.complete = this.bytes + last + 1;
    this.bytes += chunk.length;
    return last;
  }

  /** The reader's result after `lineNo - 1` complete lines, with the text after the last newline. */
  result(lineNo: number, unterminated: string | null): LineReadResult {
    return { lines: lineNo - 1, unterminated, unterminatedLine: lineNo, unterminatedOffset: this.complete, unterminatedBytes: this.bytes - this.complete };
  }
}

/**
 * Streams a text file (plain or gzip, told by its magic bytes) as batches of lines, never holding
 * more than one read chunk in memory. A truncated gzip is an `InputError`. Text after the last
 * newline is returned, not yielded.
 */
export async function* readLineBatches(path: string, options: LineReadOptions = {}): AsyncGenerator<LineBatch, LineReadResult> {
  const { gz, chunks, close, count } = await openLines(path, options);
  // Decoded by hand rather than with setEncoding, to count bytes as stored: '\n' never occurs inside a multi-byte character.
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNo = 1;
  try {
    for await (const chunk of chunks) {
      count.add(chunk);
      for (let start = 0; start < chunk.length; ) {
        const end = pieceEnd(chunk, start);
        const text = rest + decoder.write(chunk.subarray(start, end));
        start = end;
        const parts = text.split('\n');
        rest = parts.pop()!;
        if (parts.length > 0) {
          const batch = { lines: parts, firstLine: lineNo };
          lineNo += parts.length;
          yield batch;
        }
      }
    }
  } catch (err) {
    throw readError(err, gz, path, lineNo);
  } finally {
    close();
  }
  rest += decoder.end();
  return count.result(lineNo, rest.length > 0 ? rest : null);
}

/** A read failure as the caller reports it: a truncated or corrupt gzip is an `InputError` at the line it stopped. */
function readError(err: unknown, gz: boolean, path: string, lineNo: number): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (gz && (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' || /unexpected end/i.test((err as Error).message))) {
    return new InputError({ file: path, line: lineNo }, '(gzip)', `corrupt or truncated gzip data after ${lineNo - 1} complete lines (${(err as Error).message})`);
  }
  return withPath(err, path);
}

/** A non-empty line of a file: its text, or a trade read from its bytes (`TradeLineScanner`) whose text is built only if asked for. */
export type ScannedLine = { line: string; lineNo: number } | ScannedTrade;

/** Lines yielded at a time by `readScannedLines`, about (so the records of a batch die young). */
const SCANNED_BATCH_BYTES = 64 * 1024;

/**
 * `readLineBatches` for the replay path: the same file (plain or gzip), the same result, and its
 * non-empty lines in batches, where a trade line in the template's form is read from its bytes as a
 * `ScannedTrade` (no text decoded, no `JSON.parse`) and any other line is decoded as text, to be
 * parsed and checked by the caller as before.
 */
export async function* readScannedLines(path: string, options: LineReadOptions = {}): AsyncGenerator<ScannedLine[], LineReadResult> {
  const { gz, chunks, close, count } = await openLines(path, options);
  const scanner = new TradeLineScanner();
  /** The start of a line that the last chunks cut off (joined once its newline comes). */
  let rest: Buffer[] = [];
  let lineNo = 1;
  let out: ScannedLine[] = [];
  let outBytes = 0;
  const take = (buf: Buffer, start: number, end: number): void => {
    if (end > start) {
      const trade = scanner.scan(buf, start, end, lineNo);
      out.push(trade ?? { line: buf.toString('utf8', start, end), lineNo });
      outBytes += end - start + 1;
    }
    lineNo++;
  };
  try {
    for await (const chunk of chunks) {
      const last = count.add(chunk);
      if (last < 0) {
        rest.push(chunk);
        continue;
      }
      let start = 0;
      if (rest.length > 0) {
        const nl = chunk.indexOf(0x0a);
        rest.push(chunk.subarray(0, nl));
        const joined = Buffer.concat(rest);
        take(joined, 0, joined.length);
        rest = [];
        start = nl + 1;
      }
      for (let nl = chunk.indexOf(0x0a, start); nl >= 0 && nl <= last; nl = chunk.indexOf(0x0a, start)) {
        take(chunk, start, nl);
        start = nl + 1;
        if (outBytes >= SCANNED_BATCH_BYTES) {
          yield out;
          out = [];
          outBytes = 0;
        }
      }
      if (start < chunk.length) rest.push(chunk.subarray(start));
      if (out.length > 0) {
        yield out;
        out = [];
        outBytes = 0;
      }
    }
  } catch (err) {
    throw readError(err, gz, path, lineNo);
  } finally {
    close();
  }
  return count.result(lineNo, rest.length === 0 ? null : Buffer.concat(rest).toString('utf8'));
}
