import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { ConfigError } from '../actors/config/load';
import { Interrupted, PARTIAL_SUFFIX, type PendingOutputs } from '../actors/outputFiles';
import { detectFormat } from '../actors/venues/binance/importers/lineDecoders';
import { fsErrorLine, InputError } from '../events/errors';
import { percentOf, type Progress, type ProgressBar } from './progress';

/** Exit code of a command stopped by Ctrl-C (128 + SIGINT), as shells report it. */
export const INTERRUPTED_EXIT = 130;

/** Ctrl-C (SIGINT) aborts the returned signal once; a second Ctrl-C exits at once. */
export function abortOnInterrupt(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(INTERRUPTED_EXIT);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/** The first non-blank line of a file (plain or gzip), or null. */
export async function firstLine(path: string): Promise<string | null> {
  const head = createReadStream(path, { start: 0, end: 1 });
  const magic: Buffer[] = [];
  for await (const chunk of head) magic.push(chunk as Buffer);
  const gz = Buffer.concat(magic).equals(Buffer.from([0x1f, 0x8b]));
  const raw = createReadStream(path);
  const lines = createInterface({ input: gz ? raw.pipe(createGunzip()) : raw, crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line.trim() !== '') return line;
    return null;
  } catch {
    return null;
  } finally {
    lines.close();
    raw.destroy();
  }
}

/** A hint when a file given as ticks is a raw Binance file (recording, @trade JSON, CSV) rather than a tick file. */
export async function rawBinanceHint(file: string): Promise<string | null> {
  const line = await firstLine(file).catch(() => null);
  if (line === null) return null;
  const format = detectFormat(line);
  const raw = format !== null && (format !== 'jsonl' || (!/"type"\s*:/.test(line) && /"(e|stream|T|a)"\s*:/.test(line)));
  return raw ? `${file} looks like a raw Binance file (${format}), not a tick file: convert it first with\n  pma import ${file} --out ticks.jsonl.gz` : null;
}

/**
 * Ends a command that failed: the bar removed, one line naming what went wrong (no stack trace for
 * bad input, files or Ctrl-C), what became of the outputs, and the exit code (2 bad input or file,
 * 130 interrupted, 1 otherwise).
 */
export async function reportFailure(command: string, err: unknown, context: { outputs?: PendingOutputs; bar?: ProgressBar | null; progress?: Progress | null; inputs?: string[] }): Promise<void> {
  context.bar?.stop();
  const lines: string[] = [];
  let code = 1;
  if (err instanceof Interrupted) {
    const p = context.progress;
    lines.push(`interrupted${p ? ` after ${p.events.toLocaleString('en-US')} input events (${percentOf(p)} of the input read)` : ''}`);
    code = INTERRUPTED_EXIT;
  } else if (err instanceof InputError || err instanceof ConfigError) {
    lines.push(err.message);
    code = 2;
    const file = err instanceof InputError ? err.where.file : null;
    if (file !== null && context.inputs?.includes(file)) {
      const hint = await rawBinanceHint(file);
      if (hint) lines.push(hint);
    }
  } else if (fsErrorLine(err) !== null) {
    lines.push(fsErrorLine(err)!.replace(`${PARTIAL_SUFFIX}:`, ':'));
    code = 2;
  } else {
    lines.push(err instanceof Error ? err.message : String(err));
  }
  if (context.outputs) lines[0] += `; ${context.outputs.describeKept()}`;
  process.stderr.write(lines.map((l, i) => (i === 0 ? `pma ${command}: ${l}` : l)).join('\n') + '\n');
  process.exitCode = code;
}
