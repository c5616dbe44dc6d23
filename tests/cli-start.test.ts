import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { INSTALLED_PMA, pma, waitForText, type PmaRun } from './support/installedPma';

/** `pma start` offline (every endpoint refuses), as a user runs it: health counts what the config asks for; /metrics shows the book. */

const OFFLINE = { BINANCE_WS_URL: 'ws://127.0.0.1:9', GAMMA_URL: 'http://127.0.0.1:9', CLOB_URL: 'http://127.0.0.1:9', CLOB_WS_URL: 'ws://127.0.0.1:9', RTDS_WS_URL: 'ws://127.0.0.1:9', ANTHROPIC_API_KEY: '' };

function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

it('pma start without ANTHROPIC_API_KEY: /healthz does not count the LLM; /metrics has equity, cash, exposure, positions and halts', async () => {
  const log = join(mkdtempSync(join(tmpdir(), 'pma-start-')), 'events.jsonl');
  let health: { status: number; body: string } | null = null;
  let metrics = '';
  const run: PmaRun = await pma(['start', '--log', log, '--metrics-port', '0'], {
    env: OFFLINE,
    onSpawn: (child, out) => {
      void (async () => {
        await waitForText(out.stdout, '"msg":"service started"');
        const base = /"metrics":"(http:\/\/[^"]+)\/metrics"/.exec(out.stdout())![1];
        health = await fetchText(`${base}/healthz`);
        metrics = (await fetchText(`${base}/metrics`)).body;
        child.kill('SIGTERM');
      })().catch(() => child.kill('SIGKILL'));
    },
  });
  expect(run.signal).toBeNull();
  const report = JSON.parse(health!.body) as { problems: string[]; checks: Record<string, { status: string; detail: string }> };
  expect(report.checks.llm).toEqual({ status: 'ok', detail: 'off: no ANTHROPIC_API_KEY set (the rules decide)' });
  expect(report.problems).not.toContain('llm');
  expect(metrics).toContain('pma_equity_usdc 1000\n');
  expect(metrics).toContain('pma_cash_usdc 1000\n');
  expect(metrics).toContain('pma_open_exposure_usdc 0\n');
  for (const reason of ['kill_switch', 'daily_drawdown_halt', 'consecutive_losses_halt']) expect(metrics).toContain(`pma_halted{reason="${reason}"} 0\n`);
  expect(metrics).toContain('# TYPE pma_realised_pnl_usdc gauge');
  expect(metrics).toContain('# TYPE pma_positions gauge');
}, 90_000);

it('pma start on a terminal: one status line (feeds, last event, equity, halts) redrawn in place; the JSON log in a file', async () => {
  const log = join(mkdtempSync(join(tmpdir(), 'pma-start-tty-')), 'events.jsonl');
  // `script` gives the child a terminal; `timeout -s INT` is the user's Ctrl-C after 12 s.
  const run = spawnSync('timeout', ['-s', 'INT', '12', 'script', '-qec', `stty cols 220; ${INSTALLED_PMA} start --log ${log} --metrics-port 0`, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, ...OFFLINE, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
    timeout: 60_000,
  });
  const frames = run.stdout.split('\r').map((l) => l.replace(/\x1b\[K/g, '').trim()).filter((l) => l.startsWith('feeds:'));
  expect(frames.length).toBeGreaterThanOrEqual(3);
  expect(frames[frames.length - 1]).toMatch(/^feeds: binance never connected, rtds never connected, clob_ws never connected \| (last event #\d+ \w+ \d+ s ago|no event yet) \| equity 1000\.00 USDC \| no halt \| health degraded$/);
  expect(run.stdout).not.toContain('"msg":"reconnecting"'); // the details are in the file, not on the terminal
  expect(run.stdout).toContain(`pma start: details in the JSON log ${log}.service.log`);
  const json = readFileSync(`${log}.service.log`, 'utf8');
  expect(json).toContain('"msg":"service started"');
  // The same refused connection on every retry: logged once at warn, the retries at 1, 2, 4, 8 ... at info.
  const binanceErrors = json.split('\n').filter((l) => l.includes('"feed":"binance"') && l.includes('"msg":"websocket error"'));
  expect(binanceErrors).toHaveLength(1);
}, 90_000);
