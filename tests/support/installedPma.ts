import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

/**
 * `pma` as a user has it after `npm link` / `npm install -g`: a symlink named `pma` to bin/pma.js in a
 * folder on PATH, run by its shebang (not `node bin/pma.js`).
 */
export const INSTALLED_PMA: string = (() => {
  const bin = mkdtempSync(join(tmpdir(), 'pma-bin-'));
  const link = join(bin, 'pma');
  symlinkSync(join(ROOT, 'bin/pma.js'), link);
  return link;
})();

export interface PmaRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface PmaOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called once with the child as soon as it is spawned (to signal it, or watch its output). */
  onSpawn?: (child: ChildProcess, output: { stdout(): string; stderr(): string }) => void;
}

/** Runs the installed `pma` with `args` in a child process and resolves when it exits. */
export function pma(args: string[], options: PmaOptions = {}): Promise<PmaRun> {
  return new Promise((done, fail) => {
    const env = { ...process.env, ...options.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
    const child = spawn(INSTALLED_PMA, args, { cwd: options.cwd ?? ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
    options.onSpawn?.(child, { stdout: () => stdout, stderr: () => stderr });
  });
}

/** Resolves when `read()` contains `text` (polled), or rejects after `ms`. */
export async function waitForText(read: () => string, text: string | RegExp, ms = 60_000): Promise<void> {
  const end = performance.now() + ms;
  for (;;) {
    const s = read();
    if (typeof text === 'string' ? s.includes(text) : text.test(s)) return;
    if (performance.now() > end) throw new Error(`timed out waiting for ${String(text)}; got: ${s.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
