import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { digitCount as digitCountOf, putDigits as putDigitsOf } from './bytes';
import { InputError } from './errors';
import { ScannedTrade } from './tradeLine';
import { readScannedLines, type LineReadResult } from './lines';
import { lineNeedsUpgrade, upgradeEvent } from './migrate';
import type { AnyEvent, TradeEvent } from './types';
import { isValidTrade, jsonObject, notJson, parseJsonObject, validateEventFields } from './validate';

/**
 * How an append becomes durable before `append` returns:
 * - `fsync`: written and fdatasync'd (survives power loss); slowest.
 * - `write`: written to the OS (survives a crash of this process); the live default.
 * - `batched`: buffered, written every `batchBytes` and on `flush()`/`close()`; for replays and
 *   backtests, whose inputs are already on disk.
 */
export type Durability = 'fsync' | 'write' | 'batched';

export interface LogWriterOptions {
  durability?: Durability;
  batchBytes?: number;
}

/** A crash mid-write leaves a last line without its newline; it is cut off and reported. */
export interface TornTail {
  /** 1-based line number the torn line would have had. */
  line: number;
  /** Byte offset where it starts (the file is truncated there). */
  offset: number;
  bytes: number;
  preview: string;
}

export class LogWriteError extends Error {
  constructor(
    readonly path: string,
    override readonly cause: Error,
  ) {
    super(`event log ${path}: write failed (${(cause as NodeJS.ErrnoException).code ?? cause.message}); the log is closed for writing`);
    this.name = 'LogWriteError';
  }
}

/** The byte writers, read once (an imported binding is a getter call under tsx's CommonJS: events/tradeLine.ts). */
const digitCount = digitCountOf;
const putDigits = putDigitsOf;

/** A line's start up to its seq, per event version (`{"v":1,"seq":`, `{"v":2,"seq":`): all of one length. */
const PREFIXES = ['', `{"v":1,"seq":`, `{"v":2,"seq":`];
const PREFIX_LENGTH = PREFIXES[1].length;
/** The version digit's offset in a line. */
const VERSION_AT = 5;
/** Bytes a JS string may take in UTF-8, per UTF-16 code unit. */
const MAX_UTF8_PER_UNIT = 3;
/** Output buffer beyond `batchBytes`, so a batch is written once it reaches `batchBytes` rather than before. */
const SLACK_BYTES = 64 * 1024;

const EVENT_LINE = /^\{"v":[12],"seq":/;

/**
 * Whether a line starts like every line this project writes, `{"v":1,"seq":` or `{"v":2,"seq":`, so
 * it can be copied through with only its seq replaced. A regex: `startsWith` costs three times as much
 * on the replay path.
 */
function isEventLine(line: string): boolean {
  return EVENT_LINE.test(line);
}

/** An event line that can be copied through as it is: one of the current version of its type. */
function isCanonicalLine(line: string): boolean {
  return isEventLine(line) && !lineNeedsUpgrade(line);
}

/** An event line as the log would store it under `seq` (what `appendLine` writes, without the newline). */
export function lineWithSeq(line: string, seq: number): string {
  if (isCanonicalLine(line)) return PREFIXES[line.charCodeAt(VERSION_AT) - 48] + seq + line.slice(line.indexOf(',', PREFIX_LENGTH));
  if (!isEventLine(line)) throw new Error(`not an event line: ${line.slice(0, 40)}`);
  const event = upgradedLine(line);
  event.seq = seq;
  return JSON.stringify(event);
}

/** An event line of an older version as the upgraded event (events/migrate.ts). */
function upgradedLine(line: string): AnyEvent {
  return parseEventLine(line, '(event line)', 0, false);
}

/** `{"v":`, then the version digit, then `,"seq":`: the start of every line this project writes, as bytes. */
const LINE_START = PREFIXES[1].split('').map((c) => c.charCodeAt(0));
const COMMA = 0x2c;
const NEWLINE = 0x0a;

/** Whether `buf` holds, at `p`, the start of a line of this project with event version `version` (1 or 2). */
function startsEventLine(buf: Buffer, p: number, version: number): boolean {
  if (version !== 1 && version !== 2) return false;
  for (let i = 0; i < PREFIX_LENGTH; i++) if (buf[p + i] !== (i === VERSION_AT ? 48 + version : LINE_START[i])) return false;
  return true;
}

/**
 * Append-only JSON Lines event log. The writer assigns `seq` (1, 2, ...) and serialises events with
 * keys in log order. Opening an existing log continues its sequence after cutting off a torn tail.
 */
/** Where the engine appends: the event log, or a stand-in that numbers events the same way (a rebuild's). */
export interface EventSink {
  readonly lastSeq: number;
  append<E extends AnyEvent>(event: E): E;
  appendLine(line: string): number;
  appendRead(event: AnyEvent, line: string): number;
  /** `appendRead` for an input whose line renders itself into the output. */
  appendRendered(line: RenderedLine): number;
  /**
   * `appendLine` for a line the engine made that renders itself into the output (a signal): kept in a
   * derived-only log, unlike `appendRendered`'s inputs.
   */
  appendMade(line: RenderedLine): number;
}

/** An input whose line writes itself into a log's output buffer (a trade from the columnar cache), not built as text. */
export interface RenderedLine {
  /** Bytes `render` may write at most. */
  readonly maxLineBytes: number;
  /** Writes the line with `seq` (no newline) into `out` at `at`; returns the offset after it. */
  render(out: Buffer, at: number, seq: number): number;
}

export class EventLogWriter implements EventSink {
  /** Encoded lines not yet written: `out[0, pos)`. */
  private readonly out: Buffer;
  private pos = 0;
  private seq: number;
  private failure: LogWriteError | null = null;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly durability: Durability,
    private readonly batchBytes: number,
    lastSeq: number,
    readonly tornTail: TornTail | null,
    readonly existingLines: number,
  ) {
    this.seq = lastSeq;
    this.out = Buffer.allocUnsafe((durability === 'batched' ? batchBytes : 0) + SLACK_BYTES);
  }

  /** Opens (creating folders and file as needed) for appending. With `truncate`, starts a new log. */
  static open(path: string, options: LogWriterOptions & { truncate?: boolean } = {}): EventLogWriter {
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, options.truncate ? 'w+' : 'a+');
    const { lastSeq, tornTail, lines } = recoverTail(path, fd);
    return new EventLogWriter(path, fd, options.durability ?? 'write', options.batchBytes ?? 1 << 20, lastSeq, tornTail, lines);
  }

  get lastSeq(): number {
    return this.seq;
  }

  get failed(): LogWriteError | null {
    return this.failure;
  }

  /** Assigns the next seq, writes the event per the durability policy and returns it. */
  append<E extends AnyEvent>(event: E): E {
    event.seq = this.seq + 1;
    this.write(JSON.stringify(event) + '\n');
    this.seq = event.seq;
    return event;
  }

  /**
   * Copies an event's line through as it is, with only its seq replaced (no re-serialising).
   * The line must be one this project wrote: `{"v":1,"seq":N,...` or `{"v":2,"seq":N,...`; one of an
   * older version of its type is upgraded and serialised anew (events/migrate.ts).
   */
  appendLine(line: string): number {
    const seq = isCanonicalLine(line) ? this.copyLine(line, line.charCodeAt(VERSION_AT) - 48) : 0;
    if (seq !== 0) return seq;
    if (isEventLine(line)) return this.append(upgradedLine(line)).seq;
    throw new Error(`appendLine: not an event line: ${line.slice(0, 40)}`);
  }

  /**
   * Appends an input event as read from a log or tick file: its `line` copied through when this
   * project wrote it (as `appendLine`), else the event serialised anew (as `append`). Returns its seq.
   */
  appendRead(event: AnyEvent, line: string): number {
    // The event read from the line carries its type's current version: a line of an older one was upgraded as it was read.
    const seq = this.copyLine(line, event.v);
    return seq !== 0 ? seq : this.append(event).seq;
  }

  /** Appends an input whose line renders itself straight into the output buffer (no text built). Returns its seq. */
  appendRendered(line: RenderedLine): number {
    return this.render(line);
  }

  /** Appends a line the engine made (a signal), rendered straight into the output buffer. Returns its seq. */
  appendMade(line: RenderedLine): number {
    return this.render(line);
  }

  private render(line: RenderedLine): number {
    const next = this.seq + 1;
    const max = line.maxLineBytes + 1;
    if (!this.room(max)) {
      const big = Buffer.allocUnsafe(max);
      const end = line.render(big, 0, next);
      big[end] = 0x0a;
      this.writeBytes(big.subarray(0, end + 1));
    } else {
      const end = line.render(this.out, this.pos, next);
      this.out[end] = 0x0a;
      this.pos = end + 1;
    }
    this.written();
    this.seq = next;
    return next;
  }

  /**
   * Takes the next seq without writing anything: an input a derived-only log leaves out (it is in
   * the referenced tick file). Returns that seq.
   */
  skip(): number {
    return ++this.seq;
  }

  /**
   * Copies a line that starts as this project writes them, `{"v":<version>,"seq":N,`, with only N
   * replaced by the next seq; returns that seq, or 0 (nothing written) for any other line. The line
   * is encoded straight into the output buffer and checked there, as bytes, then its seq digits are
   * overwritten (the rest moved when the new seq is longer or shorter).
   */
  private copyLine(line: string, version: number): number {
    if (!this.room(line.length * MAX_UTF8_PER_UNIT + 18)) return this.copyLongLine(line, version);
    const out = this.out;
    const start = this.pos;
    const end = start + out.write(line, start);
    if (!startsEventLine(out, start, version)) return 0;
    const digitsAt = start + PREFIX_LENGTH;
    let comma = digitsAt;
    while (comma < end && out[comma] !== COMMA) comma++;
    if (comma === end) return 0;
    const next = this.seq + 1;
    const newComma = digitsAt + digitCount(next);
    if (newComma !== comma) out.copyWithin(newComma, comma, end);
    putDigits(out, digitsAt, next);
    const last = end + newComma - comma;
    out[last] = NEWLINE;
    this.pos = last + 1;
    this.seq = next;
    this.written();
    return next;
  }

  /** `copyLine` for a line longer than the output buffer: built as a string and written on its own. */
  private copyLongLine(line: string, version: number): number {
    if (!isEventLine(line) || line.charCodeAt(VERSION_AT) - 48 !== version) return 0;
    const comma = line.indexOf(',', PREFIX_LENGTH);
    if (comma < 0) return 0;
    const next = this.seq + 1;
    this.write(PREFIXES[version] + next + line.slice(comma) + '\n');
    this.seq = next;
    return next;
  }

  private write(text: string): void {
    if (this.room(text.length * MAX_UTF8_PER_UNIT)) {
      this.pos += this.out.write(text, this.pos);
    } else {
      // Larger than the whole buffer: written on its own.
      this.writeBytes(Buffer.from(text, 'utf8'));
    }
    this.written();
  }

  /**
   * Whether `bytes` fit in the output buffer, writing out what it holds to make room. Throws when the
   * log is closed or has failed.
   */
  private room(bytes: number): boolean {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error(`event log ${this.path} is closed`);
    if (this.pos + bytes <= this.out.length) return true;
    this.writeOut();
    return bytes <= this.out.length;
  }

  /** After bytes went into the buffer: written out per the durability policy. */
  private written(): void {
    if (this.durability === 'batched') {
      if (this.pos >= this.batchBytes) this.writeOut();
      return;
    }
    this.writeOut();
    if (this.durability === 'fsync') this.sync();
  }

  /** Writes the buffered bytes out and empties the buffer (also when the write fails). */
  private writeOut(): void {
    if (this.pos === 0) return;
    const end = this.pos;
    this.pos = 0;
    this.writeBytes(this.out.subarray(0, end));
  }

  private writeBytes(buf: Buffer): void {
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    } catch (err) {
      this.failure = new LogWriteError(this.path, err as Error);
      throw this.failure;
    }
  }

  private sync(): void {
    try {
      fdatasyncSync(this.fd);
    } catch (err) {
      this.failure = new LogWriteError(this.path, err as Error);
      throw this.failure;
    }
  }

  /** Writes buffered lines out (and fsyncs under the `fsync` policy). */
  flush(): void {
    this.writeOut();
    if (this.durability === 'fsync') this.sync();
  }

  close(): void {
    if (this.closed) return;
    try {
      if (!this.failure) this.flush();
    } finally {
      this.closed = true;
      closeSync(this.fd);
    }
  }
}

/** Finds the last complete line (for its seq) and cuts off a torn tail, reading only the end of the file. */
function recoverTail(path: string, fd: number): { lastSeq: number; tornTail: TornTail | null; lines: number } {
  const size = fstatSync(fd).size;
  if (size === 0) return { lastSeq: 0, tornTail: null, lines: 0 };
  // Read backwards until the chunk holds the start of the last complete line.
  let chunkStart = size;
  let text = '';
  let lastNl = -1;
  let prevNl = -1;
  while (chunkStart > 0) {
    const len = Math.min(64 * 1024, chunkStart);
    chunkStart -= len;
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, chunkStart);
    text = buf.toString('latin1') + text; // byte offsets stay exact in latin1
    lastNl = text.lastIndexOf('\n');
    prevNl = lastNl > 0 ? text.lastIndexOf('\n', lastNl - 1) : -1;
    if (prevNl >= 0 || (chunkStart === 0 && lastNl >= 0)) break;
    if (chunkStart === 0) break;
  }
  let tornTail: TornTail | null = null;
  const endOfComplete = lastNl >= 0 ? chunkStart + lastNl + 1 : 0;
  if (endOfComplete < size) {
    const torn = text.slice(lastNl + 1);
    tornTail = { line: -1, offset: endOfComplete, bytes: size - endOfComplete, preview: Buffer.from(torn, 'latin1').toString('utf8').slice(0, 80) };
    ftruncateSync(fd, endOfComplete);
  }
  if (lastNl < 0) {
    if (tornTail) tornTail.line = 1;
    return { lastSeq: 0, tornTail, lines: 0 };
  }
  const lastLine = Buffer.from(text.slice(prevNl + 1, lastNl), 'latin1').toString('utf8');
  const obj = parseJsonObject(lastLine, { file: path });
  const seq = obj.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) throw new InputError({ file: path }, 'seq', 'last complete line has no integer seq');
  // Lines are numbered by seq in a log this project wrote (seq = line number).
  if (tornTail) tornTail.line = seq + 1;
  return { lastSeq: seq, tornTail, lines: seq };
}

export interface ReadOptions {
  /** Check each line's envelope and input-event fields (default true). */
  validate?: boolean;
  /** Sees every byte of the file as stored, in order (`readLineBatches`). */
  onBytes?: (bytes: Buffer) => void;
  /** Bytes per read (`readLineBatches`' default when absent). */
  chunkBytes?: number;
}

export interface LogRecord {
  event: AnyEvent;
  /** The line as stored, for copying through without re-serialising. */
  line: string;
  lineNo: number;
}

export interface ReadSummary {
  lines: number;
  events: number;
  tornTail: TornTail | null;
}

/**
 * Streams an event log or tick file (plain or gzip) as batches of plain records. A malformed line is an
 * `InputError` (file, line, field). Text after the last newline is the torn tail of a crashed
 * writer: it is reported in the summary, not yielded, and every complete event before it is kept.
 * A trade line in the trade template's form is read from its bytes (events/tradeLine.ts), any other
 * line with `parseEventLine`.
 */
export function readEventBatches(path: string, options: ReadOptions = {}): AsyncGenerator<LogRecord[], ReadSummary> {
  return readRecords(path, options, (trade) => ({ event: trade.event, line: trade.line, lineNo: trade.lineNo }));
}

/**
 * `readEventBatches` for the replay path: a trade line in the template's form comes as the `ScannedTrade`
 * itself, whose line is not built unless asked for (the engine renders it straight into its log). Its
 * `line` is a getter: copy such a record with its fields named, not by a spread.
 */
export function readReplayRecords(path: string, options: ReadOptions = {}): AsyncGenerator<LogRecord[], ReadSummary> {
  return readRecords(path, options, (trade) => trade);
}

async function* readRecords(path: string, options: ReadOptions, asRecord: (trade: ScannedTrade) => LogRecord): AsyncGenerator<LogRecord[], ReadSummary> {
  const validate = options.validate ?? true;
  const lines = readScannedLines(path, { onBytes: options.onBytes, chunkBytes: options.chunkBytes });
  let events = 0;
  for (;;) {
    const next = await lines.next();
    if (next.done) return readSummary(next.value, events);
    const batch = next.value;
    const out: LogRecord[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i];
      out[i] = item instanceof ScannedTrade ? asRecord(item) : { event: parseEventLine(item.line, path, item.lineNo, validate), line: item.line, lineNo: item.lineNo };
    }
    events += batch.length;
    if (out.length > 0) yield out;
  }
}

/**
 * One non-empty line of an event log or tick file as an event, checked unless `validate` is false; a
 * malformed line is an `InputError` (file, line, field). For readers that take lines from
 * `readLineBatches` and parse each just before using it (the replay path: no batch of parsed events
 * is held); they end with `readSummary`.
 */
export function parseEventLine(line: string, path: string, lineNo: number, validate = true): AnyEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw notJson({ file: path, line: lineNo }, err);
  }
  // The common line, a valid trade, needs no location (nor an upgrade: a trade is as version 1 wrote it).
  if (validate && isValidTrade(value)) return value as TradeEvent;
  // A line of an older version of its type reads as the current one (events/migrate.ts).
  if (typeof value === 'object' && value !== null && (value as { v?: unknown }).v === 1) upgradeEvent(value as Record<string, unknown>);
  const where = { file: path, line: lineNo };
  const obj = jsonObject(value, where);
  return validate ? validateEventFields(obj, where) : (obj as unknown as AnyEvent);
}

/** The summary of a log read line by line: `events` non-empty lines, the torn tail from the line reader's result. */
export function readSummary(result: LineReadResult, events: number): ReadSummary {
  const { unterminated, unterminatedLine, unterminatedOffset, unterminatedBytes } = result;
  if (unterminated === null) return { lines: result.lines, events, tornTail: null };
  // The newline is the commit mark: text after the last one was never acknowledged.
  const tornTail = { line: unterminatedLine, offset: unterminatedOffset, bytes: unterminatedBytes, preview: unterminated.slice(0, 80) };
  return { lines: result.lines + 1, events, tornTail };
}

/** Reads every record of a (small) log; for tests and tools. Large files: use `readEventBatches`. */
export async function readAllEvents(path: string, options: ReadOptions = {}): Promise<{ records: LogRecord[]; summary: ReadSummary }> {
  const records: LogRecord[] = [];
  const gen = readEventBatches(path, options);
  for (;;) {
    const next = await gen.next();
    if (next.done) return { records, summary: next.value };
    for (const r of next.value) records.push(r);
  }
}
