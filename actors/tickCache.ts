import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { withPath } from '../events/errors';
import { readColumnarBatches, readColumnarHeader, writeColumnar, type ColumnarHeader } from '../events/columnar';
import { readReplayRecords, type LogRecord, type ReadSummary } from '../events/log';

/** Where `pma cache` puts the columnar forms of tick files unless told otherwise. */
export const DEFAULT_TICK_CACHE_DIR = 'var/tick-cache';

/** Bytes per read of `fileSha256` (into one buffer, reused). */
const HASH_READ_BYTES = 1 << 20;

/**
 * SHA-256 of a file's bytes, hex. Read a megabyte at a time into one buffer: a read stream's 64 KiB
 * chunks, each a new buffer through the stream machinery, cost about 60 % more CPU than the hash itself.
 */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  const file = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(HASH_READ_BYTES);
    for (;;) {
      const { bytesRead } = await file.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
  } catch (err) {
    throw withPath(err, path);
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

/** The cache file of a tick file whose bytes hash to `sha256`: one per content, whatever its path. */
export function tickCachePath(dir: string, sha256: string): string {
  return join(dir, `${sha256}.cols`);
}

/**
 * Builds (or keeps, when one for the same content exists and reads back) the columnar form of each
 * tick file in `dir`. Derived and rebuildable: delete the folder and run it again.
 */
export async function buildTickCache(ticks: readonly string[], dir: string): Promise<{ file: string; cache: string; header: ColumnarHeader; built: boolean }[]> {
  mkdirSync(dir, { recursive: true });
  const out = [];
  for (const file of ticks) {
    const sha = await fileSha256(file);
    const cache = tickCachePath(dir, sha);
    const existing = usable(cache, sha);
    if (existing) out.push({ file, cache, header: existing, built: false });
    else out.push({ file, cache, header: await writeColumnar(file, sha, cache, file), built: true });
  }
  return out;
}

function usable(cache: string, sha256: string): ColumnarHeader | null {
  if (!existsSync(cache)) return null;
  try {
    const header = readColumnarHeader(cache);
    return header.source.sha256 === sha256 ? header : null;
  } catch {
    return null;
  }
}

/**
 * The records of a tick file whose bytes hash to `sha256`: from its columnar cache in `cacheDir`
 * when there is a valid one, else from the file itself. Either way the same records and summary.
 */
export function tickRecords(path: string, sha256: string, cacheDir: string | undefined): { records: AsyncGenerator<LogRecord[], ReadSummary>; cached: boolean } {
  const cache = cacheDir === undefined ? null : tickCachePath(cacheDir, sha256);
  if (cache !== null && usable(cache, sha256)) return { records: readColumnarBatches(cache, path), cached: true };
  return { records: readReplayRecords(path), cached: false };
}
