import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Recordings without an MIT licence stay in ../shared/data (not redistributed in this repo).
 * Tests that need them run only where ../shared exists and report themselves skipped elsewhere.
 */
export const SHARED_DATA = resolve(__dirname, '../../../shared/data');

export function sharedFile(relative: string): string | null {
  const p = join(SHARED_DATA, relative);
  return existsSync(p) ? p : null;
}

/** `describe` when every named shared file exists, else `describe.skip` (jest reports it skipped). */
export function describeWithShared(name: string, files: string[], body: (paths: string[]) => void): void {
  const paths = files.map(sharedFile);
  if (paths.every((p): p is string => p !== null)) describe(name, () => body(paths as string[]));
  else describe.skip(`${name} (needs ../shared/data: ${files.join(', ')})`, () => it('is skipped', () => undefined));
}

export const FIXTURES = resolve(__dirname, '../fixtures');
