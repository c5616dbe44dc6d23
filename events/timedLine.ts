import { putBytes as putBytesOf, putDigits as putDigitsOf } from './bytes';
import type { RenderedLine } from './log';
import { eventVersion, type TimerEvent } from './types';

/** The byte writers, read once (an imported binding is a getter call under tsx's CommonJS: events/tradeLine.ts). */
const putBytes = putBytesOf;
const putDigits = putDigitsOf;

const SEQ = Buffer.from(`{"v":${eventVersion('timer')},"seq":`, 'latin1');
const TS = Buffer.from(',"ts":', 'latin1');
/** The widest safe integer's digits. */
const INTEGER_MAX_BYTES = 16;

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
 * type, name), byte for byte `JSON.stringify` of it under the seq it is written with (tested), written
 * straight into the log's output: a backtest makes one a second of event time, and each was
 * serialised and encoded anew.
 */
export class TimerLine implements RenderedLine {
  private readonly tail: Buffer;

  constructor(readonly event: TimerEvent) {
    if (!Number.isSafeInteger(event.ts) || event.ts < 0) throw new Error(`TimerLine: ts ${event.ts} is not a time in ms`);
    this.tail = tailOf(event.name);
  }

  get maxLineBytes(): number {
    return SEQ.length + TS.length + 2 * INTEGER_MAX_BYTES + this.tail.length;
  }

  render(out: Buffer, at: number, seq: number): number {
    let p = putDigits(out, putBytes(out, at, SEQ), seq);
    p = putDigits(out, putBytes(out, p, TS), this.event.ts);
    out.set(this.tail, p);
    return p + this.tail.length;
  }
}
