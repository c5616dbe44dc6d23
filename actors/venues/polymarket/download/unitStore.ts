import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The downloaded answers, one file per request, written whole (temp file + rename) only once the
 * answer was read and decoded: a second run reads what is there and fetches only what is missing.
 */
export class UnitStore {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private path(key: string): string {
    return join(this.dir, `${key.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  }

  get(key: string): unknown | undefined {
    const p = this.path(key);
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as unknown) : undefined;
  }

  put(key: string, body: unknown): void {
    const p = this.path(key);
    writeFileSync(`${p}.partial`, JSON.stringify(body));
    renameSync(`${p}.partial`, p);
  }
}
