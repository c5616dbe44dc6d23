import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { ObjectStore } from '@nats-io/obj';
import { sha256 } from '../../backtest/run';
import type { TickRef } from '../../sweep/job';

/** Puts each tick file into the object store under its sha256, unless already there (`name` is this machine's path). */
export async function uploadTicks(store: ObjectStore, refs: TickRef[]): Promise<void> {
  for (const ref of refs) {
    if (await store.info(ref.sha256)) continue;
    await store.put({ name: ref.sha256, description: basename(ref.name) }, Readable.toWeb(createReadStream(ref.name)) as ReadableStream<Uint8Array>);
  }
}

/**
 * The local paths of a job's tick files: from the cache folder when a copy there has the right
 * sha256, else downloaded from the object store and checked before use. A file keeps its base name
 * (gzip is told by `.gz`).
 */
export async function fetchTicks(store: ObjectStore, refs: TickRef[], cacheDir: string): Promise<string[]> {
  const paths: string[] = [];
  for (const ref of refs) {
    const dir = join(cacheDir, ref.sha256);
    const path = join(dir, basename(ref.name));
    if (!(existsSync(path) && (await sha256(path)) === ref.sha256)) {
      const object = await store.get(ref.sha256);
      if (!object) throw new Error(`tick file ${ref.name} (sha256 ${ref.sha256}) is not in the object store`);
      mkdirSync(dir, { recursive: true });
      const partial = `${path}.part`;
      await object.data.pipeTo(Writable.toWeb(createWriteStream(partial)) as WritableStream<Uint8Array>);
      const failed = await object.error;
      if (failed) throw new Error(`tick file ${ref.name}: download failed (${failed.message})`);
      const got = await sha256(partial);
      if (got !== ref.sha256) throw new Error(`tick file ${ref.name}: downloaded copy has sha256 ${got}, expected ${ref.sha256}`);
      renameSync(partial, path);
    }
    paths.push(path);
  }
  return paths;
}
