import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EventLogWriter, LogWriteError, parseEventLine, readAllEvents } from '../events/log';
import { InputError } from '../events/errors';
import { makeEvent, type TradeEvent } from '../events/types';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function trade(ts: number, tradeId: number, price = '61837.63'): TradeEvent {
  return makeEvent('trade', ts, { venue: 'binance', symbol: 'BTCUSDT', tradeId, price, qty: '0.02', buyerMaker: true });
}

describe('EventLogWriter', () => {
  it('writes one JSON line per event with v, seq, ts, type first and seq counting from 1', () => {
    const path = join(dir, 'a.jsonl');
    const log = EventLogWriter.open(path);
    log.append(trade(1723161255342, 3735683259));
    log.append(trade(1723161255617, 3735683260));
    log.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines[0]).toBe(
      '{"v":1,"seq":1,"ts":1723161255342,"type":"trade","venue":"binance","symbol":"BTCUSDT","tradeId":3735683259,"price":"61837.63","qty":"0.02","buyerMaker":true}',
    );
    expect(JSON.parse(lines[1]).seq).toBe(2);
  });

  it('continues the sequence of an existing log', () => {
    const path = join(dir, 'a.jsonl');
    const first = EventLogWriter.open(path);
    first.append(trade(1, 1));
    first.append(trade(2, 2));
    first.close();
    const second = EventLogWriter.open(path);
    expect(second.lastSeq).toBe(2);
    expect(second.tornTail).toBeNull();
    expect(second.append(trade(3, 3)).seq).toBe(3);
    second.close();
    expect(readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).seq)).toEqual([1, 2, 3]);
  });

  it('copies an input line through with only its seq replaced', () => {
    const path = join(dir, 'out.jsonl');
    const log = EventLogWriter.open(path, { durability: 'batched' });
    log.append(trade(1, 1));
    const line = '{"v":1,"seq":77,"ts":5,"type":"trade","venue":"binance","symbol":"ETHUSDT","tradeId":9,"price":"2673.6","qty":"1","buyerMaker":false}';
    expect(log.appendLine(line)).toBe(2);
    log.close();
    expect(readFileSync(path, 'utf8').split('\n')[1]).toBe(line.replace('"seq":77', '"seq":2'));
  });

  it('copies read lines whatever the length of their old and new seq, and serialises anew a line in another form', () => {
    const path = join(dir, 'read.jsonl');
    // A small batch: lines cross the buffer's flushes.
    const log = EventLogWriter.open(path, { durability: 'batched', batchBytes: 300 });
    const body = (ts: number, symbol: string) => `"ts":${ts},"type":"trade","venue":"binance","symbol":"${symbol}","tradeId":9,"price":"2673.6","qty":"1","buyerMaker":false}`;
    const inputs = [
      `{"v":1,"seq":1234567,${body(5, 'ETHUSDT')}`, // seq 1: fewer digits than the line's
      `{"v":1,"seq":2,${body(6, 'ETHUSDT')}`, // the same number of digits
      `{"v":1,"seq":0,${body(7, 'ÉTHUSDT→')}`, // text beyond ASCII after the seq
      `{"seq":4,"v":1,${body(8, 'BTCUSDT')}`, // another key order: written anew
      `{"v":1, "seq":5,${body(9, 'BTCUSDT')}`, // a space: written anew
    ];
    for (let i = 0; i < 7; i++) log.append(trade(1, i)); // seq 4..10 come next: more digits than some lines
    const expected = Array.from({ length: 7 }, (_, i) => JSON.stringify({ ...trade(1, i), seq: i + 1 }));
    for (const [i, line] of [...inputs, ...inputs].entries()) {
      const seq = 8 + i;
      expect(log.appendRead(parseEventLine(line, 'x', i + 1), line)).toBe(seq);
      // Copied with the seq replaced; or the parsed event serialised as it is, seq and all.
      expected.push(i % inputs.length < 3 ? line.replace(/"seq":\d+/, `"seq":${seq}`) : JSON.stringify({ ...JSON.parse(line), seq }));
    }
    log.close();
    const written = readFileSync(path, 'utf8').split('\n');
    expect(written.slice(0, -1)).toEqual(expected);
    expect(written.slice(7, 10)).toEqual([inputs[0].replace('"seq":1234567', '"seq":8'), inputs[1].replace('"seq":2', '"seq":9'), inputs[2].replace('"seq":0', '"seq":10')]);
  });

  it('copies a line longer than its output buffer', () => {
    const path = join(dir, 'long.jsonl');
    const log = EventLogWriter.open(path); // unbatched: a 64 KiB buffer
    const line = `{"v":1,"seq":3,"ts":5,"type":"trade","venue":"binance","symbol":"${'X'.repeat(100_000)}","tradeId":9,"price":"2673.6","qty":"1","buyerMaker":false}`;
    log.append(trade(1, 1));
    expect(log.appendRead(parseEventLine(line, 'x', 1), line)).toBe(2);
    log.close();
    expect(readFileSync(path, 'utf8').split('\n')[1]).toBe(line.replace('"seq":3', '"seq":2'));
  });

  it('holds batched lines until flushed', () => {
    const path = join(dir, 'b.jsonl');
    const log = EventLogWriter.open(path, { durability: 'batched', batchBytes: 1 << 20 });
    log.append(trade(1, 1));
    expect(readFileSync(path, 'utf8')).toBe('');
    log.flush();
    expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(2);
    log.close();
  });

  it('cuts off a torn last line on open, reports it, and keeps every complete event', () => {
    const path = join(dir, 'torn.jsonl');
    const log = EventLogWriter.open(path);
    for (let i = 1; i <= 5; i++) log.append(trade(i, i));
    log.close();
    appendFileSync(path, '{"v":1,"seq":6,"ts":6,"type":"tra');
    const reopened = EventLogWriter.open(path);
    expect(reopened.tornTail).toMatchObject({ line: 6, bytes: 33 });
    expect(reopened.lastSeq).toBe(5);
    reopened.append(trade(7, 7));
    reopened.close();
    const seqs = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).seq);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses writes after close', () => {
    const path = join(dir, 'c.jsonl');
    const log = EventLogWriter.open(path);
    log.close();
    expect(() => log.append(trade(1, 1))).toThrow(/closed/);
  });

  it('fails loudly and stays failed when the disk is full', () => {
    const log = EventLogWriter.open('/dev/full');
    expect(() => log.append(trade(1, 1))).toThrow(LogWriteError);
    expect(log.failed?.message).toBe('event log /dev/full: write failed (ENOSPC); the log is closed for writing');
    expect(() => log.append(trade(2, 2))).toThrow(LogWriteError);
    expect(log.lastSeq).toBe(0);
  });
});

describe('readAllEvents', () => {
  it('reports an unterminated last line as a torn tail and yields the events before it', async () => {
    const path = join(dir, 'r.jsonl');
    const log = EventLogWriter.open(path);
    log.append(trade(1, 1));
    log.append(trade(2, 2));
    log.close();
    appendFileSync(path, '{"v":1,"seq":3,"ts":3,"type":"trade","venue":"binance","symbol":"BTCUSDT","tradeId":3,"price":"1","qty":"1","buyerMaker":true}');
    const { records, summary } = await readAllEvents(path);
    expect(records.map((r) => r.event.seq)).toEqual([1, 2]);
    expect(summary.tornTail?.line).toBe(3);
    expect(summary.events).toBe(2);
  });

  it('names file, line and field for a bad line in the middle', async () => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(
      path,
      [
        '{"v":1,"seq":1,"ts":1,"type":"trade","venue":"binance","symbol":"BTCUSDT","tradeId":1,"price":"1.5","qty":"1","buyerMaker":true}',
        '{"v":1,"seq":2,"ts":2,"type":"trade","venue":"binance","symbol":"BTCUSDT","tradeId":2,"price":"abc","qty":"1","buyerMaker":true}',
        '',
      ].join('\n'),
    );
    const err = await readAllEvents(path).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(`${path}:2: field 'price': expected a non-negative decimal, got "abc"`);
  });

  it('rejects a negative quantity and a wrong version', async () => {
    const path = join(dir, 'neg.jsonl');
    writeFileSync(path, '{"v":1,"seq":1,"ts":1,"type":"trade","venue":"binance","symbol":"X","tradeId":1,"price":"1","qty":"-2","buyerMaker":true}\n');
    await expect(readAllEvents(path)).rejects.toThrow(`${path}:1: field 'qty'`);
    writeFileSync(path, '{"v":2,"seq":1,"ts":1,"type":"timer","name":"scan"}\n');
    await expect(readAllEvents(path)).rejects.toThrow(`${path}:1: field 'v': expected event version 1, got 2`);
  });

  it('reads gzip logs by their magic bytes', async () => {
    const path = join(dir, 'z.jsonl.gz');
    const text = [trade(1, 1), trade(2, 2)].map((e, i) => JSON.stringify({ ...e, seq: i + 1 })).join('\n') + '\n';
    writeFileSync(path, gzipSync(text));
    const { records } = await readAllEvents(path);
    expect(records.map((r) => (r.event as TradeEvent).tradeId)).toEqual([1, 2]);
  });

  it('reports a truncated gzip as an input error naming the file', async () => {
    const path = join(dir, 'cut.jsonl.gz');
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ ...trade(i, i), seq: i + 1 })).join('\n') + '\n';
    const full = gzipSync(lines);
    writeFileSync(path, full.subarray(0, Math.floor(full.length / 2)));
    const err = await readAllEvents(path).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toContain(path);
    expect(err.message).toContain('gzip');
  });
});
