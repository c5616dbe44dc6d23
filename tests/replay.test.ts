import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { replayTickFile } from '../actors/replay';
import { FIXTURES } from './support/shared';
import { checkReplayedLog } from './replayCheck';
import { DEFAULT_PARAMS, naiveSignals, readRecordedTrades, tickLine, type RecordedTrade } from './streamsReference';

const trades = readRecordedTrades(join(FIXTURES, 'trades/btcusdt_20240808.trades.6001-8500.txt'));
const PMA = resolve(__dirname, '../bin/pma.js');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-replay-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeTicks(name: string, list: RecordedTrade[]): string {
  const path = join(dir, name);
  writeFileSync(path, list.map((t, i) => tickLine(i + 1, t)).join('\n') + '\n');
  return path;
}

describe('replay of a tick file built from real BTCUSDT trades', () => {
  let ticks: string;
  let first: string;
  beforeAll(async () => {
    ticks = writeTicks('btc.ticks.jsonl', trades);
    await replayTickFile({ ticks, out: join(dir, 'run1.jsonl'), signals: DEFAULT_PARAMS });
    first = readFileSync(join(dir, 'run1.jsonl'), 'utf8');
  });

  it('writes every input and exactly the recomputed signals, each right after its trade', () => {
    const { signals, confirmed } = checkReplayedLog(first, trades, DEFAULT_PARAMS);
    expect(signals).toBeGreaterThan(0);
    expect(confirmed).toBeGreaterThan(0);
  });

  it('gives a byte-identical log when run again, from gzip, and from its own output', async () => {
    await replayTickFile({ ticks, out: join(dir, 'run2.jsonl'), signals: DEFAULT_PARAMS, batchBytes: 4096 });
    const gz = join(dir, 'btc.ticks.jsonl.gz');
    writeFileSync(gz, gzipSync(readFileSync(ticks)));
    await replayTickFile({ ticks: gz, out: join(dir, 'run3.jsonl'), signals: DEFAULT_PARAMS });
    // a full log as input: its derived events are skipped and derived again
    const again = await replayTickFile({ ticks: join(dir, 'run1.jsonl'), out: join(dir, 'run4.jsonl'), signals: DEFAULT_PARAMS });
    for (const run of ['run2', 'run3', 'run4']) expect(readFileSync(join(dir, `${run}.jsonl`)).equals(Buffer.from(first))).toBe(true);
    expect(again.derivedSkipped).toBe(naiveSignals(trades, DEFAULT_PARAMS).length);
  });

  it('reports progress by bytes up to the whole file', async () => {
    const seen: number[] = [];
    let total: number | null = null;
    await replayTickFile({ ticks, out: join(dir, 'progress.jsonl'), signals: DEFAULT_PARAMS, onProgress: (p) => ((total = p.totalBytes), seen.push(p.bytes)) });
    expect(total).toBe(readFileSync(ticks).length);
    expect(seen[seen.length - 1]).toBe(total);
  });

  it('keeps every complete line of a tick file with a torn tail, and reports the tail', async () => {
    const torn = join(dir, 'torn.jsonl');
    writeFileSync(torn, readFileSync(ticks));
    appendFileSync(torn, tickLine(trades.length + 1, trades[0]).slice(0, 40));
    const summary = await replayTickFile({ ticks: torn, out: join(dir, 'torn.out.jsonl'), signals: DEFAULT_PARAMS });
    expect(summary.tornTail).toMatchObject({ line: trades.length + 1, bytes: 40 });
    expect(readFileSync(join(dir, 'torn.out.jsonl')).equals(Buffer.from(first))).toBe(true);
  });

  it('names the file, line and field of a bad tick line', async () => {
    const bad = join(dir, 'bad.jsonl');
    const lines = trades.slice(0, 5).map((t, i) => tickLine(i + 1, t));
    lines[3] = lines[3].replace(/"price":"[^"]*"/, '"price":"-1"');
    writeFileSync(bad, lines.join('\n') + '\n');
    await expect(replayTickFile({ ticks: bad, out: join(dir, 'bad.out.jsonl'), signals: DEFAULT_PARAMS })).rejects.toThrow(`${bad}:4: field 'price'`);
  });

  it('re-serialises a tick line not in the canonical key order, with the same signals', async () => {
    const odd = join(dir, 'odd.jsonl');
    const lines = trades.map((t, i) => tickLine(i + 1, t));
    // first line with its keys in another order: still a valid trade event
    const head = JSON.parse(lines[0]);
    lines[0] = JSON.stringify({ type: head.type, seq: head.seq, v: head.v, ts: head.ts, venue: head.venue, symbol: head.symbol, tradeId: head.tradeId, price: head.price, qty: head.qty, buyerMaker: head.buyerMaker });
    writeFileSync(odd, lines.join('\n') + '\n');
    await replayTickFile({ ticks: odd, out: join(dir, 'odd.out.jsonl'), signals: DEFAULT_PARAMS });
    const out = readFileSync(join(dir, 'odd.out.jsonl'), 'utf8');
    expect(out.split('\n')[0]).toBe(JSON.stringify({ type: 'trade', seq: 1, v: 1, ts: head.ts, venue: 'binance', symbol: head.symbol, tradeId: head.tradeId, price: head.price, qty: head.qty, buyerMaker: head.buyerMaker }));
    // every later line, signals included, is as in the canonical replay
    expect(out.slice(out.indexOf('\n'))).toBe(first.slice(first.indexOf('\n')));
  });

  it('refuses to overwrite its input', async () => {
    await expect(replayTickFile({ ticks, out: ticks, signals: DEFAULT_PARAMS })).rejects.toThrow(/must differ/);
  });
});

describe('pma replay', () => {
  it('replays with the config file parameters, prints the summary, and is quiet on stderr when not a TTY', () => {
    const small = trades.slice(0, 1_500);
    const ticks = writeTicks('cli.ticks.jsonl', small);
    const params = { ...DEFAULT_PARAMS, threshold: 0.0005, windowMs: 5_000 };
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ signals: { threshold: params.threshold, windowMs: params.windowMs } }));
    const out = join(dir, 'cli.out.jsonl');
    const run = spawnSync(process.execPath, [PMA, 'replay', ticks, '--out', out, '--config', config], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const { signals, confirmed } = checkReplayedLog(readFileSync(out, 'utf8'), small, params);
    expect(run.stdout).toContain(`${small.length} input events (${small.length} trades)`);
    expect(run.stdout).toContain(`wrote ${out}: ${small.length + signals} events`);
    expect(run.stdout).toContain(`signals BTCUSDT: ${confirmed} confirmed, ${signals - confirmed} unconfirmed`);
  });

  it('rejects a bad config naming the key', () => {
    const config = join(dir, 'bad-config.json');
    writeFileSync(config, JSON.stringify({ signals: { volumeWindow: 10, volumeAverageOf: 30 } }));
    const run = spawnSync(process.execPath, [PMA, 'replay', join(dir, 'btc.ticks.jsonl'), '--out', join(dir, 'x.jsonl'), '--config', config], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('signals.volumeAverageOf');
  });
});
