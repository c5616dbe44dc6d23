import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const DEMO = resolve(ROOT, 'data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');
/** The demo file's first 90 s of trades: a sweep run on it takes about a second. */
export const SLICE = { from: 1723161255342, to: 1723161345342 };

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `pma ARGS` as its own process (stdout/stderr kept). */
export function startPma(args: string[]): { child: ChildProcess; result: Promise<CliRun> } {
  const child = spawn(process.execPath, ['bin/pma.js', ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<CliRun>((done) => child.on('close', (code) => done({ code, stdout, stderr })));
  return { child, result };
}

export const runPma = (args: string[]): Promise<CliRun> => startPma(args).result;

/** Resolves when the process has written a line matching `pattern` to stdout or stderr. */
export function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((done) => {
    let text = '';
    const on = (d: Buffer) => {
      text += d.toString();
      const m = text.split('\n').find((l) => pattern.test(l));
      if (m !== undefined) {
        child.stdout!.off('data', on);
        child.stderr!.off('data', on);
        done(m);
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  });
}
