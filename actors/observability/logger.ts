import pino, { type Logger, type LevelWithSilent } from 'pino';
import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { CENSOR, redactPaths, SecretScrubber, secretValues } from './secrets';

export interface LoggerOptions {
  /** A file to append JSON lines to; absent: stdout. */
  file?: string;
  level?: LevelWithSilent;
  /** Human-readable lines on stdout: true, false, or `auto` (the default: when stdout is a terminal and pino-pretty is installed). Never for a file. */
  pretty?: boolean | 'auto';
  /** Where secret values are read from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** More secret values to scrub (configured keys, credentials derived at start). */
  secrets?: readonly string[];
}

export interface ServiceLogger {
  readonly logger: Logger;
  readonly pretty: boolean;
  /** How many secret values (and their escaped forms) are scrubbed from every line. */
  readonly scrubbed: number;
  /** Resolves once everything logged so far has been written. */
  flush(): Promise<void>;
  /** Flushes and closes the destination (a file; stdout stays open). */
  close(): Promise<void>;
}

/** Buffered bytes before an async file write; pino requires less than 16 KiB. */
const FILE_MIN_LENGTH = 4096;

type PrettyFactory = (options: { colorize: boolean; destination: number; sync: boolean }) => Writable;

function openLogFile(file: string): number {
  mkdirSync(dirname(file), { recursive: true });
  return openSync(file, 'a');
}

/** pino-pretty is a dev dependency: absent in a production image, where logs stay JSON. */
function loadPretty(): PrettyFactory | null {
  try {
    return require('pino-pretty') as PrettyFactory;
  } catch {
    return null;
  }
}

/**
 * The service's one logger: JSON lines through an async destination, secrets redacted twice: by
 * key path (pino `redact`: apiKey, privateKey, secret, passphrase, signature, authorization, ...)
 * and by value (every secret known at start is replaced wherever it appears in the finished line:
 * messages, error messages and stacks, child bindings).
 */
export function createLogger(options: LoggerOptions = {}): ServiceLogger {
  const scrubber = new SecretScrubber(secretValues(options.env ?? process.env, options.secrets));
  const pinoOptions: pino.LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: redactPaths(), censor: CENSOR },
    hooks: { streamWrite: (line) => scrubber.scrub(line) },
  };
  const prettyOption = options.pretty ?? 'auto';
  const wantPretty = options.file === undefined && (prettyOption === true || (prettyOption === 'auto' && process.stdout.isTTY === true));
  const pretty = wantPretty ? loadPretty() : null;

  if (pretty) {
    const stream = pretty({ colorize: true, destination: 1, sync: false });
    const ended = (): Promise<void> => new Promise((resolve) => stream.end(resolve));
    return { logger: pino(pinoOptions, stream), pretty: true, scrubbed: scrubber.size, flush: () => Promise.resolve(), close: ended };
  }

  // The file is opened here (synchronously), so the destination is ready before the first line.
  const dest = options.file === undefined ? pino.destination({ dest: 1, sync: false }) : pino.destination({ fd: openLogFile(options.file), sync: false, minLength: FILE_MIN_LENGTH });
  const flush = (): Promise<void> => new Promise<void>((resolve, reject) => dest.flush((err) => (err ? reject(err) : resolve())));
  const close = async (): Promise<void> => {
    await flush();
    if (options.file === undefined) return;
    await new Promise<void>((resolve) => {
      dest.once('close', () => resolve());
      dest.end();
    });
  };
  return { logger: pino(pinoOptions, dest), pretty: false, scrubbed: scrubber.size, flush, close };
}

/** The logger alone, for code that only logs (its async destination is flushed by pino on exit). */
export function createServiceLogger(options: LoggerOptions = {}): Logger {
  return createLogger(options).logger;
}
