import type { InputLocation } from '../../../events/errors';
import { shouldLog, type FeedLogger } from '../wsConnection';

/** What every CLOB channel counts of its frames (besides what they carry). */
export interface FrameCounts {
  frames: number;
  pongs: number;
  ignored: number;
  malformed: number;
}

export interface ClobFeed {
  /** The feed's name in logs (`clob_ws`, `clob_user_ws`). */
  name: string;
  url: string;
  log: FeedLogger;
  /** `market-channel`, `user-channel`: named in the warning. */
  what: string;
  /** Whether the warning quotes the frame's start (the user channel's frames name our orders: not quoted). */
  quoteFrame: boolean;
}

/**
 * The bookkeeping of one frame of a CLOB channel, written once for the market and user channels:
 * counts it (a `PONG` answers our `PING`: null), parses it where it came from (URL and frame number),
 * counts the messages the parser ignored, and logs the malformed ones (the first ten, then every
 * thousandth). What the frame carries is the caller's.
 */
export function readClobFrame<F extends { ignored: number; errors: readonly Error[] }>(text: string, counts: FrameCounts, parse: (text: string, where: InputLocation) => F, feed: ClobFeed): F | null {
  const n = ++counts.frames;
  if (text === 'PONG') {
    counts.pongs++;
    return null;
  }
  const frame = parse(text, { file: feed.url, line: n });
  counts.ignored += frame.ignored;
  for (const err of frame.errors) {
    const m = ++counts.malformed;
    if (shouldLog(m)) feed.log.warn({ feed: feed.name, malformed: m, error: err.message, ...(feed.quoteFrame ? { frame: text.slice(0, 200) } : {}) }, `malformed ${feed.what} message skipped`);
  }
  return frame;
}
