import { mkdtempSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pma, waitForText, type PmaRun } from './support/installedPma';

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
