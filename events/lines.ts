import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { InputError } from './errors';

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

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Streams a text file (plain or gzip, told by its magic bytes) as batches of lines, never holding
 * more than one read chunk in memory. A truncated gzip is an `InputError`. Text after the last
 * newline is returned, not yielded.
 */
export async function* readLineBatches(path: string, chunkBytes = 1 << 20): AsyncGenerator<LineBatch, LineReadResult> {
  const gz = await isGzip(path);
  const file = createReadStream(path, { highWaterMark: chunkBytes });
  const stream: Readable = gz ? file.pipe(createGunzip({ chunkSize: 64 * 1024 })) : file;
  if (gz) file.on('error', (err) => stream.destroy(err));
  // Decoded by hand rather than with setEncoding, to count bytes as stored: '\n' never occurs inside a multi-byte character.
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNo = 1;
  let bytes = 0;
  let completeBytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const nl = chunk.lastIndexOf(0x0a);
      if (nl >= 0) completeBytes = bytes + nl + 1;
      bytes += chunk.length;
      const text = rest + decoder.write(chunk);
      const parts = text.split('\n');
      rest = parts.pop()!;
      if (parts.length > 0) {
        const batch = { lines: parts, firstLine: lineNo };
        lineNo += parts.length;
        yield batch;
      }
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (gz && (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' || /unexpected end/i.test((err as Error).message))) {
      throw new InputError({ file: path, line: lineNo }, '(gzip)', `corrupt or truncated gzip data after ${lineNo - 1} complete lines (${(err as Error).message})`);
    }
    throw err;
  } finally {
    file.destroy();
  }
  rest += decoder.end();
  return { lines: lineNo - 1, unterminated: rest.length > 0 ? rest : null, unterminatedLine: lineNo, unterminatedOffset: completeBytes, unterminatedBytes: bytes - completeBytes };
}
