import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultConfig } from '../actors/config/load';
import { runBacktest } from '../actors/backtest/run';
import { buildTickCache, fileSha256, knownSha256, tickCachePath } from '../actors/tickCache';
import { ColumnarTrade, readColumnarBatches, readColumnarHeader } from '../events/columnar';
import { IntegerText } from '../events/tradeTemplate';
import { EventLogWriter, lineWithSeq, readAllEvents, type LogRecord } from '../events/log';

const ROOT = resolve(__dirname, '..');
const DEMO = resolve(ROOT, 'data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-tick-cache-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The cache's records as they are read (trades as `ColumnarTrade`, their lines not built). */
async function columnarRecords(cache: string, path: string): Promise<{ records: LogRecord[]; summary: unknown }> {
  const records: LogRecord[] = [];
  const gen = readColumnarBatches(cache, path);
  for (;;) {
    const next = await gen.next();
    if (next.done) return { records, summary: next.value };
    records.push(...next.value);
  }
}

/** A record's data as the JSON reader holds it (a columnar trade's line rendered). */
const plain = (r: LogRecord): LogRecord => ({ event: r.event, line: r.line, lineNo: r.lineNo });

const pma = (...args: string[]) => spawnSync(process.execPath, [resolve(ROOT, 'bin/pma.js'), ...args], { cwd: ROOT, encoding: 'utf8' });
const same = (a: string, b: string) => readFileSync(a).equals(readFileSync(b));

describe('IntegerText (the digits of a trade line\'s seq, ts and trade id, carried forward)', () => {
  it('writes String(n) for every step: same, +1, carries (9 -> 10, 999 999 -> 1 000 000), larger steps, back down, zero, negatives, 2^53 - 1', () => {
    const text = new IntegerText();
    const out = Buffer.alloc(64);
    const values = [0, 0, 1, 9, 10, 11, 99, 100, 999_999, 1_000_000, 1_000_001, 1_723_161_599_999, 1_723_161_600_000, 1_723_161_600_007, 1_723_161_600_007 + (1 << 20), 5, -3, -2, 0, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 999, Number.MAX_SAFE_INTEGER - 2, Number.MAX_SAFE_INTEGER, 12];
    let n = 3_141_592;
    // A walk of small and large steps, as seqs, times and trade ids go.
    for (let i = 0; i < 5_000; i++) values.push((n += i % 97 === 0 ? 123_457 : i % 13));
    for (const v of values) expect(out.toString('latin1', 0, text.write(out, 0, v))).toBe(String(v));
  });
});

describe('columnar tick cache', () => {
  it('reads back every record of a mixed tick file exactly: trades from columns, other lines verbatim, odd number forms verbatim, the torn tail reported', async () => {
    const ticks = join(dir, 'mixed.jsonl');
    const lines = [
      '{"v":1,"seq":1,"ts":1000,"type":"trade","venue":"binance","symbol":"BTCUSDT","tradeId":1,"price":"61837.63000000","qty":"0.02000000","buyerMaker":true}',
      '{"v":1,"seq":2,"ts":1000,"type":"timer","name":"tick"}',
      '{"v":1,"seq":3,"ts":1001,"type":"trade","venue":"binance","symbol":"ETHUSDT","tradeId":9007199254740991,"price":"0.5","qty":"3","buyerMaker":false}',
      // a valid trade whose price has no exact (mantissa, scale) form: stored verbatim
      '{"v":1,"seq":4,"ts":1002,"type":"trade","venue":"binance","symbol":"ETHUSDT","tradeId":7,"price":"12345678901234567.1","qty":"1","buyerMaker":false}',
      '',
      // another key order: verbatim, so the copied line stays as written
      '{"v":1,"seq":5,"ts":1003,"type":"trade","venue":"binance","symbol":"SOLUSDT","tradeId":8,"qty":"1.10","price":"150.000","buyerMaker":true}',
    ];
    writeFileSync(ticks, lines.join('\n') + '\n{"v":1,"seq":6,"ts"');
    const [built] = await buildTickCache([ticks], join(dir, 'cache-mixed'));
    expect(built.header).toMatchObject({ rows: 5, verbatimRows: 3, symbols: ['BTCUSDT', 'ETHUSDT'], source: { sha256: await fileSha256(ticks) } });
    const json = await readAllEvents(ticks);
    const cols = await columnarRecords(built.cache, ticks);
    expect(cols.records.map(plain)).toEqual(json.records);
    expect(cols.records.map((r) => JSON.stringify(r.event))).toEqual(json.records.map((r) => JSON.stringify(r.event)));
    expect(cols.summary).toEqual(json.summary);
    expect(json.summary.tornTail).not.toBeNull();

    // The trades from columns: their lengths, numbers and the bytes a log gets, without building their lines.
    const trades = cols.records.filter((r): r is ColumnarTrade => r instanceof ColumnarTrade);
    expect(trades.map((t) => t.event.tradeId)).toEqual([1, 9007199254740991]);
    const log = EventLogWriter.open(join(dir, 'rendered.jsonl'), { truncate: true, durability: 'batched' });
    for (const t of trades) {
      expect(t.lineLength).toBe(t.line.length);
      expect([t.priceNumber, t.qtyNumber]).toEqual([Number(t.event.price), Number(t.event.qty)]);
      log.appendLine('{"v":1,"seq":0,"ts":0,"type":"timer","name":"tick"}');
      expect(log.appendRendered(t)).toBe(log.lastSeq);
    }
    log.close();
    expect(readFileSync(join(dir, 'rendered.jsonl'), 'utf8').split('\n').filter((_, i) => i % 2 === 1)).toEqual(trades.map((t, i) => lineWithSeq(t.line, 2 * i + 2)));
  });

  it('renders real trades from columns byte for byte: times and trade ids past 2^31, prices and quantities of every scale', async () => {
    const ticks = join(dir, 'real.jsonl');
    const lines = [
      ['BTCUSDT', 1723075200123, 3706449511, '56123.45000000', '0.00012000', true],
      ['ETHUSDT', 1723075200999, 1497245110, '2455.01', '12.3456', false],
      ['XRPUSDT', 1723075201000, 2147483648, '0.00000001', '100000000000', true],
      ['SOLUSDT', 9007199254740991, 9007199254740991, '0.5', '0.000000000000000000001', false],
      // negative seq and trade id: valid integers, written with their sign
      ['BNBUSDT', 0, -42, '1', '1', true],
    ].map(([symbol, ts, tradeId, price, qty, bm], i) => `{"v":1,"seq":${i < 4 ? i + 2147483647 : -9007199254740991},"ts":${ts},"type":"trade","venue":"binance","symbol":"${symbol}","tradeId":${tradeId},"price":"${price}","qty":"${qty}","buyerMaker":${bm}}`);
    writeFileSync(ticks, lines.join('\n') + '\n');
    const [built] = await buildTickCache([ticks], join(dir, 'cache-real'));
    expect(built.header).toMatchObject({ rows: 5, verbatimRows: 0 });
    const trades = (await columnarRecords(built.cache, ticks)).records as ColumnarTrade[];
    expect(trades.map((t) => t.line)).toEqual(lines);
    expect(trades.map((t) => t.lineLength)).toEqual(lines.map((l) => l.length));
    expect(trades.map((t) => t.priceNumber)).toEqual([56123.45, 2455.01, 1e-8, 0.5, 1]);
    expect(trades.map((t) => t.qtyNumber)).toEqual([0.00012, 12.3456, 1e11, 1e-21, 1]);
    const log = EventLogWriter.open(join(dir, 'rendered-real.jsonl'), { truncate: true, durability: 'batched' });
    for (const t of trades) log.appendRendered(t);
    log.close();
    expect(readFileSync(join(dir, 'rendered-real.jsonl'), 'utf8')).toBe(lines.map((l, i) => lineWithSeq(l, i + 1) + '\n').join(''));
  });

  it('pma backtest from the cache writes byte-identical events.jsonl and report.json to the run from the JSON tick file', async () => {
    const cacheDir = join(dir, 'cache');
    const made = pma('cache', DEMO, '--dir', cacheDir);
    expect(made.status).toBe(0);
    const cache = tickCachePath(cacheDir, await fileSha256(DEMO));
    expect(made.stdout).toContain(`wrote ${cache}: 34419 events`);
    expect(readColumnarHeader(cache)).toMatchObject({ format: 'pma-columnar-ticks', version: 1, rows: 34419, verbatimRows: 0 });
    // Kept, not rebuilt, for the same content.
    expect(pma('cache', DEMO, '--dir', cacheDir).stdout).toContain(`kept ${cache}`);

    const fromJson = await runBacktest({ ticks: [DEMO], config: defaultConfig(), reportDir: join(dir, 'json') });
    const fromCache = await runBacktest({ ticks: [DEMO], config: defaultConfig(), reportDir: join(dir, 'cols'), tickCache: cacheDir });
    expect(fromJson.inputsFromCache).toEqual([]);
    expect(fromCache.inputsFromCache).toEqual([DEMO]);
    for (const f of ['events.jsonl', 'report.json', 'report.html']) expect(same(join(dir, 'json', f), join(dir, 'cols', f))).toBe(true);
    expect(fromCache.report.events.trades).toBe(34419);
  }, 180_000);

  it('a derived-only backtest from the cache writes the same log and report as from the JSON tick file (the cached trades leave their seqs as gaps)', async () => {
    const ticks = join(dir, 'demo-head.jsonl');
    const { records } = await readAllEvents(DEMO);
    writeFileSync(ticks, records.slice(0, 3000).map((r) => r.line + '\n').join(''));
    const cacheDir = join(dir, 'cache-derived');
    await buildTickCache([ticks], cacheDir);
    const fromJson = await runBacktest({ ticks: [ticks], config: defaultConfig(), reportDir: join(dir, 'derived-json'), events: 'derived' });
    const fromCache = await runBacktest({ ticks: [ticks], config: defaultConfig(), reportDir: join(dir, 'derived-cols'), events: 'derived', tickCache: cacheDir });
    expect(fromCache.inputsFromCache).toEqual([ticks]);
    expect(fromCache.report.events.trades).toBe(3000);
    expect(fromJson.report.events.derived).toBeGreaterThan(0);
    for (const f of ['events.derived.jsonl', 'report.json']) expect(same(join(dir, 'derived-json', f), join(dir, 'derived-cols', f))).toBe(true);
  }, 60_000);

  it('pma replay from the cache writes the same log; a changed tick file is not read from the old cache (keyed by its hash)', async () => {
    const ticks = join(dir, 'demo.ticks.jsonl.gz');
    copyFileSync(DEMO, ticks);
    const cacheDir = join(dir, 'cache-replay');
    expect(pma('cache', ticks, '--dir', cacheDir).status).toBe(0);
    const a = pma('replay', ticks, '--out', join(dir, 'replay-json.jsonl'));
    const b = pma('replay', ticks, '--out', join(dir, 'replay-cols.jsonl'), '--tick-cache', cacheDir);
    expect([a.status, b.status]).toEqual([0, 0]);
    expect(same(join(dir, 'replay-json.jsonl'), join(dir, 'replay-cols.jsonl'))).toBe(true);

    // Another content under the same path: its hash has no cache, so the file itself is read.
    writeFileSync(ticks, '{"v":1,"seq":1,"ts":5,"type":"trade","venue":"binance","symbol":"BTCUSDT","tradeId":1,"price":"1.0","qty":"1.0","buyerMaker":true}\n');
    expect(existsSync(tickCachePath(cacheDir, await fileSha256(ticks)))).toBe(false);
    const c = pma('replay', ticks, '--out', join(dir, 'replay-new.jsonl'), '--tick-cache', cacheDir);
    expect(c.status).toBe(0);
    expect(c.stderr).toBe(`pma replay: warning: no columnar cache of ${ticks} in ${cacheDir}: read the JSON file instead (pma cache ${ticks} --dir ${cacheDir} builds it)\n`);
    expect(b.stderr).toBe('');
    expect(readFileSync(join(dir, 'replay-new.jsonl'), 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  }, 180_000);

  it('pma cache of a file with a bad line exits 2 naming file, line and field, and leaves nothing in the cache folder', () => {
    const ticks = join(dir, 'bad-price.jsonl');
    const good = '{"v":1,"seq":1,"ts":5,"type":"trade","venue":"binance","symbol":"BTCUSDT","tradeId":1,"price":"1.5","qty":"2","buyerMaker":true}';
    writeFileSync(ticks, `${good}\n${good.replace('"seq":1', '"seq":2').replace('"1.5"', '"-5"')}\n`);
    const cacheDir = join(dir, 'cache-bad');
    const r = pma('cache', ticks, '--dir', cacheDir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${ticks}:2: field 'price'`);
    expect(readdirSync(cacheDir)).toEqual([]);
  });
});

describe('the tick cache notes each file\'s hash (a run does not read the whole JSON file to find its cache)', () => {
  const line = (price: string) => `{"v":1,"seq":1,"ts":5,"type":"trade","venue":"binance","symbol":"BTCUSDT","tradeId":1,"price":"${price}","qty":"1.0","buyerMaker":true}\n`;
  /** The one note in the folder, made to look written `ageS` seconds after now (a run long after the hash). */
  const noteIn = (cacheDir: string) => join(cacheDir, 'hashes', readdirSync(join(cacheDir, 'hashes'))[0]);
  const age = (note: string, s: number) => {
    const t = statSync(note).mtimeMs / 1000 + s;
    utimesSync(note, t, t);
  };
  /** Another file's hash put in the note: only a run that trusts the note returns it. */
  const planted = (note: string) => {
    const body = JSON.parse(readFileSync(note, 'utf8'));
    body.sha256 = 'ab'.repeat(32);
    writeFileSync(note, JSON.stringify(body));
    return body.sha256 as string;
  };

  it('takes the noted hash while the file is unchanged; a same-size rewrite, a note written within 2 s of a change, or no note: hashed again', async () => {
    const cacheDir = join(dir, 'cache-notes');
    const ticks = join(dir, 'noted.jsonl');
    writeFileSync(ticks, line('1.0'));
    const real = await fileSha256(ticks);
    await buildTickCache([ticks], cacheDir);
    const note = noteIn(cacheDir);
    expect(JSON.parse(readFileSync(note, 'utf8')).sha256).toBe(real);

    // Written within 2 s of the file's last change: not trusted (the file may change again within one time stamp).
    const fake = planted(note);
    expect(await knownSha256(ticks, cacheDir)).toBe(real);
    // Rewritten by that run; long after the change it is trusted: the noted hash, the file not read.
    planted(note);
    age(note, 10);
    expect(await knownSha256(ticks, cacheDir)).toBe(fake);

    // The same size, other bytes: its change time moved, so it is hashed again. (A rewrite within the same
    // time stamp is what the 2 s rule is for; the note aged by hand here would hide it: one tick apart.)
    await new Promise((done) => setTimeout(done, 20));
    writeFileSync(ticks, line('2.0'));
    const changed = await fileSha256(ticks);
    expect(changed).not.toBe(real);
    expect(await knownSha256(ticks, cacheDir)).toBe(changed);
    expect(JSON.parse(readFileSync(note, 'utf8')).sha256).toBe(changed);

    // An unreadable note is no note.
    writeFileSync(note, '{"sha256": 3');
    expect(await knownSha256(ticks, cacheDir)).toBe(changed);
  });

  it('a backtest from a cache folder that does not exist (or is a file) hashes the file, creates nothing and says it read the JSON file', async () => {
    const ticks = join(dir, 'no-cache-dir.jsonl');
    writeFileSync(ticks, line('3.0'));
    const missing = join(dir, 'no-such-cache');
    expect(await knownSha256(ticks, missing)).toBe(await fileSha256(ticks));
    expect(existsSync(missing)).toBe(false);
    const notFolder = join(dir, 'a-file');
    writeFileSync(notFolder, 'x');
    for (const cacheDir of [missing, notFolder]) {
      const r = pma('backtest', ticks, '--report', join(dir, 'no-cache-report'), '--tick-cache', cacheDir);
      expect(r.status).toBe(0);
      expect(r.stderr).toContain(`pma backtest: warning: no columnar cache of ${ticks} in ${cacheDir}: read the JSON file instead (pma cache ${ticks} --dir ${cacheDir} builds it)\n`);
    }
    expect(existsSync(missing)).toBe(false);
    expect(readFileSync(notFolder, 'utf8')).toBe('x');
  }, 60_000);

  it('pma backtest --tick-cache names the file\'s true hash in report.json after pma cache noted it', async () => {
    const ticks = join(dir, 'demo-noted.ticks.jsonl.gz');
    copyFileSync(DEMO, ticks);
    const cacheDir = join(dir, 'cache-noted');
    expect(pma('cache', ticks, '--dir', cacheDir).status).toBe(0);
    age(noteIn(cacheDir), 10);
    const r = pma('backtest', ticks, '--report', join(dir, 'noted-report'), '--tick-cache', cacheDir);
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain('no columnar cache');
    const report = JSON.parse(readFileSync(join(dir, 'noted-report', 'report.json'), 'utf8'));
    expect(report.inputs[0].sha256).toBe(await fileSha256(ticks));
  }, 120_000);
});
