import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, type BigIntStats } from 'node:fs';
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

/**
 * What a tick file's hash was taken of: its device, inode, size and modification and change times
 * (nanoseconds). Any write to the file changes its change time, so a file that still has all of these
 * is the file that was hashed (git trusts its index on the same facts).
 */
interface HashedFile {
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
  sha256: string;
}

const identityOf = (st: BigIntStats): Omit<HashedFile, 'sha256'> => ({ dev: String(st.dev), ino: String(st.ino), size: String(st.size), mtimeNs: String(st.mtimeNs), ctimeNs: String(st.ctimeNs) });

/** A file changed this close to when its hash was noted might change again within the same time stamp: not trusted. */
const RACY_NS = 2_000_000_000n;

/**
 * SHA-256 of a tick file, as `fileSha256`, noted in `cacheDir` (`hashes/<dev>-<inode>.json`) against
 * the file's identity: a later run finds it there while the file is unchanged, instead of reading all
 * its bytes (a month of trades is tens of GB) only to find its cache. A file changed since, or changed
 * within 2 s of the note (a time stamp may not tell two writes that close apart), is hashed again.
 */
export async function knownSha256(path: string, cacheDir: string): Promise<string> {
  const hashed = await hashOf(path, cacheDir);
  hashed.note();
  return hashed.sha256;
}

/** The file's SHA-256 (noted or taken now), and `note()` to note it when it was taken now. */
async function hashOf(path: string, cacheDir: string): Promise<{ sha256: string; note: () => void }> {
  const identity = identityOf(statSync(path, { bigint: true }));
  const note = join(cacheDir, 'hashes', `${identity.dev}-${identity.ino}.json`);
  const known = readNote(note);
  if (known !== null && sameIdentity(known, identity) && trusted(known, note)) return { sha256: known.sha256, note: () => undefined };
  const sha256 = await fileSha256(path);
  // Noted only when the file did not change while it was read, in a cache folder that exists.
  const unchanged = sameIdentity(identityOf(statSync(path, { bigint: true })), identity);
  const noteIt = () => {
    if (unchanged && existsSync(cacheDir)) writeNote(note, { ...identity, sha256 });
  };
  return { sha256, note: noteIt };
}

function readNote(note: string): HashedFile | null {
  try {
    const n = JSON.parse(readFileSync(note, 'utf8')) as HashedFile;
    return typeof n.sha256 === 'string' && /^[0-9a-f]{64}$/.test(n.sha256) ? n : null;
  } catch {
    return null;
  }
}

const sameIdentity = (a: Omit<HashedFile, 'sha256'>, b: Omit<HashedFile, 'sha256'>) =>
  a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;

/** The note was written well after the file last changed (else the file may have changed again within its time stamp). */
function trusted(known: HashedFile, note: string): boolean {
  const written = statSync(note, { bigint: true }).mtimeNs;
  return written - BigInt(known.ctimeNs) > RACY_NS && written - BigInt(known.mtimeNs) > RACY_NS;
}

/** Best effort: a cache folder this process cannot write to (shared, read-only) costs a hash per run, nothing else. */
function writeNote(note: string, body: HashedFile): void {
  const tmp = `${note}.tmp-${process.pid}`;
  try {
    mkdirSync(join(note, '..'), { recursive: true });
    writeFileSync(tmp, JSON.stringify(body) + '\n');
    renameSync(tmp, note);
  } catch {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // `note`'s folder is no folder (the cache path names a file): nothing was written
    }
  }
}

/** What a run given a cache folder says of a tick file it found no cache of there (it read the JSON file instead: the same results, slower). */
export function noCacheWarning(file: string, cacheDir: string): string {
  return `no columnar cache of ${file} in ${cacheDir}: read the JSON file instead (pma cache ${file} --dir ${cacheDir} builds it)`;
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
    const hashed = await hashOf(file, dir);
    const sha = hashed.sha256;
    const cache = tickCachePath(dir, sha);
    const existing = usable(cache, sha);
    if (existing) out.push({ file, cache, header: existing, built: false });
    else out.push({ file, cache, header: await writeColumnar(file, sha, cache, file), built: true });
    hashed.note();
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
