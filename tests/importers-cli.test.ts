import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FIXTURES } from './support/shared';
import { fileLines, readTicks, recordedKinds, recordedTrades, tempDir } from './support/binanceRecording';

const ROOT = resolve(__dirname, '..');
const BTC = join(FIXTURES, 'binance/btcusdt_20240808.head1500.gz');
const ETH = join(FIXTURES, 'binance/ethusdt_20240808.head1200.gz');

function pma(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['bin/pma.js', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('pma import (child process)', () => {
  const dir = tempDir('pma-import-cli-');

  it('imports two recordings, exits 0 and prints lines per kind, trades written, skips and the time range', async () => {
    const out = join(dir, 'both.ticks.jsonl.gz');
    const { code, stdout, stderr } = await pma(['import', BTC, ETH, '--out', out]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const btc = recordedTrades(fileLines(BTC));
    const eth = recordedTrades(fileLines(ETH));
    const kinds = recordedKinds([...fileLines(BTC), ...fileLines(ETH)]);
    const total = btc.length + eth.length;
    const ts = [...btc, ...eth].map((t) => t.ts);
    expect(stdout).toContain(`trades written: ${total} (BTCUSDT ${btc.length}, ETHUSDT ${eth.length})`);
    expect(stdout).toContain(`bookTicker ${kinds.bookTicker}`);
    expect(stdout).toContain(`depth ${kinds.depth}`);
    expect(stdout).toContain(`snapshot ${kinds.snapshot}`);
    expect(stdout).toContain('skipped: none');
    expect(stdout).toContain(`time range: ${new Date(Math.min(...ts)).toISOString()} (${Math.min(...ts)}) .. ${new Date(Math.max(...ts)).toISOString()}`);
    expect(readTicks(out)).toHaveLength(total);
  });

  it('--strict on a bad line exits 2 naming file, line and field; without it exits 0 and counts the skip', async () => {
    const lines = fileLines(join(FIXTURES, 'binance/ethusdt_20240808.head300.trades.txt')).slice(0, 40);
    lines[9] = lines[9].replace(/"p":"[^"]+"/, '"p":"1e3"');
    const bad = join(dir, 'ethusdt_bad.txt');
    writeFileSync(bad, lines.join('\n') + '\n');

    const strictOut = join(dir, 'strict.ticks.jsonl');
    const strict = await pma(['import', bad, '--out', strictOut, '--strict']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain(`${bad}:10: field 'p'`);
    expect(existsSync(strictOut)).toBe(false);

    const lenient = await pma(['import', bad, '--out', join(dir, 'lenient.ticks.jsonl'), '--json']);
    expect(lenient.code).toBe(0);
    const summary = JSON.parse(lenient.stdout) as { tradesWritten: number; skipped: Record<string, number> };
    expect(summary).toMatchObject({ tradesWritten: 39, skipped: { bad_price: 1 } });
  });

  it('usage errors exit non-zero; --help describes the command', async () => {
    const missingOut = await pma(['import', BTC]);
    expect(missingOut.code).not.toBe(0);
    expect(missingOut.stderr).toContain('--out');
    const missingFile = await pma(['import', join(dir, 'nope.gz'), '--out', join(dir, 'x.jsonl')]);
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr).toContain(`${join(dir, 'nope.gz')}: cannot be read (no such file or directory)`);
    const help = await pma(['import', '--help']);
    expect(help.code).toBe(0);
    for (const option of ['--out <ticks>', '--symbol <sym>', '--strict', '--format <format>', '--reorder-ms <ms>']) expect(help.stdout).toContain(option);
  });
});
