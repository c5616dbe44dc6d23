import { InputError } from '../../events/errors';
import { isGzip, openText } from '../../events/lines';
import { readEventBatches, type TornTail } from '../../events/log';
import { isInputType } from '../../events/types';
import { Fields, parseJsonObject, type Obj } from '../../events/validate';

/** A `strategy_state` event as the index keeps it. */
export interface StateChange {
  /** Position in the index's list of changes. */
  index: number;
  seq: number;
  ts: number;
  /** `<strategy>/<key>`. */
  actor: string;
  strategy: string;
  key: string;
  from: string;
  to: string;
}

export interface LogEventView {
  seq: number;
  ts: number;
  type: string;
  event: Obj;
}

export interface ActorStateAt {
  actor: string;
  strategy: string;
  key: string;
  state: string;
  /** Seq of the change that put it there. */
  since: number;
}

/** What led to a state change: the input that triggered it, what it emitted, and the context before it. */
export interface ChangeCause {
  change: StateChange;
  previous: StateChange | null;
  /** The nearest input event before the change (the machine reacted to it). */
  trigger: LogEventView | null;
  /** Events between the trigger and the change (e.g. the order intent the transition emitted). */
  between: LogEventView[];
  /** Derived events right after the change, up to the next input (risk rejections, paper fills). */
  after: LogEventView[];
  lastSignal: LogEventView | null;
  lastSnapshot: LogEventView | null;
  /** The last order intents, fills, rejections, decisions and LLM answers before the change, oldest first. */
  recent: LogEventView[];
}

export interface LogIndexOptions {
  /** One checkpoint (seq, ts, byte offset) per this many events. */
  checkpointEvery?: number;
  /** State changes kept; later ones are counted but not indexed (`changesTruncated`). */
  maxChanges?: number;
  /** Seqs kept per context type. */
  maxContext?: number;
}

export const CONTEXT_TYPES = ['signal', 'market_snapshot', 'order_intent', 'fill', 'exchange_fill', 'risk_rejection', 'decision', 'llm_answer'] as const;
type ContextType = (typeof CONTEXT_TYPES)[number];
const RECENT_TYPES: readonly ContextType[] = ['order_intent', 'fill', 'exchange_fill', 'risk_rejection', 'decision', 'llm_answer'];

/** A growable array of numbers with a hard cap. */
class NumberColumn {
  private data: Float64Array;
  length = 0;
  dropped = 0;
  constructor(private readonly cap: number) {
    this.data = new Float64Array(Math.min(1024, cap));
  }
  push(x: number): boolean {
    if (this.length >= this.cap) {
      this.dropped++;
      return false;
    }
    if (this.length === this.data.length) {
      const next = new Float64Array(Math.min(this.cap, this.data.length * 2));
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
    return true;
  }
  get(i: number): number {
    return this.data[i];
  }
  /** Index of the last element <= x, or -1 (the column is sorted). */
  lastAtOrBelow(x: number): number {
    let lo = 0;
    let hi = this.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.data[mid] <= x) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }
}

class Interner {
  private readonly ids = new Map<string, number>();
  readonly values: string[] = [];
  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(s, id);
      this.values.push(s);
    }
    return id;
  }
}

/**
 * A bounded index of an event log, built in one streaming pass: checkpoints (every Nth event's
 * seq, running maximum ts and byte offset), every `strategy_state` change (interned, in typed
 * arrays) and the seqs of context events. Events themselves stay on disk and are read back a page
 * at a time from the nearest checkpoint (gzip logs are re-read from the start: no random access).
 */
export class LogIndex {
  events = 0;
  firstSeq = 0;
  lastSeq = 0;
  firstTs = 0;
  lastTs = 0;
  readonly types: Record<string, number> = {};
  tornTail: TornTail | null = null;
  changesTruncated = 0;

  private readonly every: number;
  private readonly cpSeq = new NumberColumn(Number.MAX_SAFE_INTEGER);
  private readonly cpMaxTs = new NumberColumn(Number.MAX_SAFE_INTEGER);
  private readonly cpOffset = new NumberColumn(Number.MAX_SAFE_INTEGER);
  private readonly chSeq: NumberColumn;
  private readonly chTs: NumberColumn;
  private readonly chActor: NumberColumn;
  private readonly chFrom: NumberColumn;
  private readonly chTo: NumberColumn;
  private readonly actorNames = new Interner();
  private readonly actorParts: { strategy: string; key: string }[] = [];
  private readonly stateNames = new Interner();
  private readonly context = new Map<ContextType, NumberColumn>();
  private gzip = false;

  private constructor(
    readonly file: string,
    options: LogIndexOptions,
  ) {
    this.every = options.checkpointEvery ?? 256;
    const maxChanges = options.maxChanges ?? 1_000_000;
    this.chSeq = new NumberColumn(maxChanges);
    this.chTs = new NumberColumn(maxChanges);
    this.chActor = new NumberColumn(maxChanges);
    this.chFrom = new NumberColumn(maxChanges);
    this.chTo = new NumberColumn(maxChanges);
    for (const t of CONTEXT_TYPES) this.context.set(t, new NumberColumn(options.maxContext ?? 1_000_000));
  }

  static async build(file: string, options: LogIndexOptions = {}): Promise<LogIndex> {
    const index = new LogIndex(file, options);
    index.gzip = await isGzip(file);
    let nextLine = 1;
    let nextOffset = 0;
    let maxTs = -Infinity;
    const gen = readEventBatches(file, { validate: false });
    for (;;) {
      const next = await gen.next();
      if (next.done) {
        index.tornTail = next.value.tornTail;
        break;
      }
      for (const rec of next.value) {
        const offset = nextOffset + (rec.lineNo - nextLine); // skipped blank lines are one byte each
        nextOffset = offset + Buffer.byteLength(rec.line) + 1;
        nextLine = rec.lineNo + 1;
        const where = { file, line: rec.lineNo };
        const f = new Fields(rec.event as unknown as Obj, where);
        const seq = f.int('seq');
        const ts = f.timeMs('ts');
        const type = f.string('type');
        if (index.events > 0 && seq <= index.lastSeq) throw new InputError(where, 'seq', `${seq} does not follow ${index.lastSeq}: seqs must increase`);
        maxTs = Math.max(maxTs, ts);
        if (index.events % index.every === 0) {
          index.cpSeq.push(seq);
          index.cpMaxTs.push(maxTs);
          index.cpOffset.push(offset);
        }
        if (index.events === 0) {
          index.firstSeq = seq;
          index.firstTs = ts;
        }
        index.events++;
        index.lastSeq = seq;
        index.lastTs = ts;
        index.types[type] = (index.types[type] ?? 0) + 1;
        if (type === 'strategy_state') index.addChange(f, seq, ts);
        else index.context.get(type as ContextType)?.push(seq);
      }
    }
    return index;
  }

  private addChange(f: Fields, seq: number, ts: number): void {
    const strategy = f.string('strategy');
    const key = f.string('key');
    const from = f.string('from');
    const to = f.string('to');
    if (!this.chSeq.push(seq)) {
      this.changesTruncated++;
      return;
    }
    const actor = this.actorNames.id(`${strategy}/${key}`);
    if (actor === this.actorParts.length) this.actorParts.push({ strategy, key });
    this.chTs.push(ts);
    this.chActor.push(actor);
    this.chFrom.push(this.stateNames.id(from));
    this.chTo.push(this.stateNames.id(to));
  }

  get changeCount(): number {
    return this.chSeq.length;
  }

  /** Actor names (`<strategy>/<key>`) in order of their first state change. */
  actors(): { actor: string; strategy: string; key: string }[] {
    return this.actorNames.values.map((actor, i) => ({ actor, ...this.actorParts[i] }));
  }

  change(i: number): StateChange {
    const a = this.chActor.get(i);
    return {
      index: i,
      seq: this.chSeq.get(i),
      ts: this.chTs.get(i),
      actor: this.actorNames.values[a],
      ...this.actorParts[a],
      from: this.stateNames.values[this.chFrom.get(i)],
      to: this.stateNames.values[this.chTo.get(i)],
    };
  }

  /** The first change after `seq` (dir 1) or the last before it (dir -1), of one actor or any. */
  stepChange(seq: number, dir: 1 | -1, actor?: string): StateChange | null {
    const want = actor === undefined ? -1 : this.actorNames.values.indexOf(actor);
    if (actor !== undefined && want < 0) return null;
    let i = this.chSeq.lastAtOrBelow(dir === 1 ? seq : seq - 1);
    if (dir === 1) i++;
    for (; i >= 0 && i < this.chSeq.length; i += dir) {
      if (want < 0 || this.chActor.get(i) === want) return this.change(i);
    }
    return null;
  }

  /** The change recorded at exactly `seq`, or null. */
  changeAt(seq: number): StateChange | null {
    const i = this.chSeq.lastAtOrBelow(seq);
    return i >= 0 && this.chSeq.get(i) === seq ? this.change(i) : null;
  }

  /** Every actor's state after the event at `seq` (actors with no change yet are left out). */
  statesAt(seq: number): ActorStateAt[] {
    const last = this.chSeq.lastAtOrBelow(seq);
    const latest = new Map<number, number>();
    for (let i = 0; i <= last; i++) latest.set(this.chActor.get(i), i);
    return [...latest.entries()]
      .sort(([a], [b]) => a - b)
      .map(([a, i]) => ({ actor: this.actorNames.values[a], ...this.actorParts[a], state: this.stateNames.values[this.chTo.get(i)], since: this.chSeq.get(i) }));
  }

  /** Up to `count` events from the first with seq >= `seq`. */
  async eventsFrom(seq: number, count: number): Promise<LogEventView[]> {
    if (count <= 0) return [];
    const cp = Math.max(0, this.cpSeq.lastAtOrBelow(seq));
    const out: LogEventView[] = [];
    await this.scan(cp, (e) => {
      if (e.seq >= seq) out.push(e);
      return out.length < count;
    });
    return out;
  }

  /** Up to `count` events with seq < `seq`, oldest first. */
  async eventsBefore(seq: number, count: number): Promise<LogEventView[]> {
    if (count <= 0) return [];
    // Start far enough back to hold `count` events before seq: whole checkpoints.
    const at = this.cpSeq.lastAtOrBelow(seq - 1);
    if (at < 0) return [];
    const cp = Math.max(0, at - Math.ceil(count / this.every));
    const ring: LogEventView[] = [];
    await this.scan(cp, (e) => {
      if (e.seq >= seq) return false;
      ring.push(e);
      if (ring.length > count) ring.shift();
      return true;
    });
    return ring;
  }

  async eventAt(seq: number): Promise<LogEventView | null> {
    const [e] = await this.eventsFrom(seq, 1);
    return e && e.seq === seq ? e : null;
  }

  /** Seq of the first event whose ts is at or after `ts` (by running maximum), or null past the end. */
  async seqAtTime(ts: number): Promise<number | null> {
    let lo = 0;
    let hi = this.cpMaxTs.length - 1;
    let first = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.cpMaxTs.get(mid) >= ts) {
        first = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    const cp = first <= 0 ? 0 : first - 1;
    let found: number | null = null;
    let maxTs = -Infinity;
    await this.scan(cp, (e) => {
      maxTs = Math.max(maxTs, e.ts);
      if (maxTs >= ts) {
        found = e.seq;
        return false;
      }
      return true;
    });
    return found;
  }

  /** The trigger, the emitted events and the context of the state change at `seq`. */
  async cause(seq: number, recentCount = 6): Promise<ChangeCause | null> {
    const change = this.changeAt(seq);
    if (!change) return null;
    const before = await this.eventsBefore(seq, 50);
    let t = before.length - 1;
    while (t >= 0 && !isInputType(before[t].type)) t--;
    const trigger = t >= 0 ? before[t] : null;
    const between = before.slice(t + 1);
    const after: LogEventView[] = [];
    for (const e of await this.eventsFrom(seq + 1, 20)) {
      if (isInputType(e.type)) break;
      after.push(e);
    }
    const lastOf = async (type: ContextType): Promise<LogEventView | null> => {
      const col = this.context.get(type)!;
      const i = col.lastAtOrBelow(seq - 1);
      return i >= 0 ? this.eventAt(col.get(i)) : null;
    };
    const recentSeqs: number[] = [];
    for (const type of RECENT_TYPES) {
      const col = this.context.get(type)!;
      for (let i = col.lastAtOrBelow(seq - 1), n = 0; i >= 0 && n < recentCount; i--, n++) recentSeqs.push(col.get(i));
    }
    recentSeqs.sort((a, b) => b - a);
    const recent: LogEventView[] = [];
    for (const s of recentSeqs.slice(0, recentCount).reverse()) {
      const e = await this.eventAt(s);
      if (e) recent.push(e);
    }
    return {
      change,
      previous: this.stepChange(seq, -1, change.actor),
      trigger,
      between,
      after,
      lastSignal: await lastOf('signal'),
      lastSnapshot: await lastOf('market_snapshot'),
      recent,
    };
  }

  /** Reads events from checkpoint `cp` on while `visit` returns true. */
  private async scan(cp: number, visit: (e: LogEventView) => boolean): Promise<void> {
    const { stream, file } = openText(this.file, this.gzip, { start: this.cpOffset.get(cp) });
    stream.setEncoding('utf8');
    let rest = '';
    try {
      for await (const chunk of stream as AsyncIterable<string>) {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop()!;
        for (const text of parts) {
          if (text.length === 0) continue;
          // The index already parsed every line; this can only fail if the file changed since.
          const obj = parseJsonObject(text, { file: this.file });
          const e = { seq: obj.seq as number, ts: obj.ts as number, type: obj.type as string, event: obj };
          if (!visit(e)) return;
        }
      }
    } finally {
      file.destroy();
      stream.destroy();
    }
  }
}
