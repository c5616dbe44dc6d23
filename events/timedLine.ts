import { INTEGER_MAX_BYTES, putBytes as putBytesOf, putDigits as putDigitsOf } from './bytes';
import type { RenderedLine } from './log';
import { eventVersion, type TimerEvent } from './types';

/** The byte writers, read once (an imported binding is a getter call under tsx's CommonJS: events/tradeTemplate.ts). */
const putBytes = putBytesOf;
const putDigits = putDigitsOf;

const TS = Buffer.from(',"ts":', 'latin1');

/** `{"v":<version>,"seq":` by version. */
const heads = new Map<number, Buffer>();

/** The start of a line of event version `version`, up to its seq. */
export function seqHead(version: number): Buffer {
  let head = heads.get(version);
  if (head === undefined) heads.set(version, (head = Buffer.from(`{"v":${version},"seq":`, 'latin1')));
  return head;
}

/**
 * An event line the backtest makes, written straight into the log's output: `head` (`seqHead`), the seq,
 * `,"ts":` and the ts, then `rest`, the JSON after the ts as `JSON.stringify` writes it for an event whose
 * keys start v, seq, ts (its clock ticks, the model's quotes: actors/backtest/modelLines.ts). Each was
 * serialised (or concatenated, flattened and matched by the log's prefix regex) and encoded anew.
 */
export class TimedLine implements RenderedLine {
  constructor(
    private readonly head: Buffer,
    private readonly ts: number,
    private readonly rest: Buffer | string,
  ) {}

  get maxLineBytes(): number {
    const rest = this.rest;
    return this.head.length + TS.length + 2 * INTEGER_MAX_BYTES + (typeof rest === 'string' ? 3 * rest.length : rest.length);
  }

  render(out: Buffer, at: number, seq: number): number {
    let p = putDigits(out, putBytes(out, at, this.head), seq);
    p = putDigits(out, putBytes(out, p, TS), this.ts);
    const rest = this.rest;
    if (typeof rest === 'string') return p + out.write(rest, p);
    out.set(rest, p);
    return p + rest.length;
  }
}

/** `,"type":"timer","name":<name as JSON>}` by name: a run has one or two names. */
const tails = new Map<string, Buffer>();

function tailOf(name: string): Buffer {
  let tail = tails.get(name);
  if (tail === undefined) {
    tail = Buffer.from(`,"type":"timer","name":${JSON.stringify(name)}}`, 'utf8');
    if (tails.size < 64) tails.set(name, tail);
  }
  return tail;
}

/**
 * The log line of a clock tick the backtest makes (`makeEvent('timer', ts, { name })`: keys v, seq, ts,
 * type, name), byte for byte `JSON.stringify` of it under the seq it is written with (tested): a backtest
 * makes one a second of event time.
 */
export function timerLine(event: TimerEvent): TimedLine {
  if (!Number.isSafeInteger(event.ts) || event.ts < 0) throw new Error(`TimerLine: ts ${event.ts} is not a time in ms`);
  return new TimedLine(seqHead(eventVersion('timer')), event.ts, tailOf(event.name));
}
