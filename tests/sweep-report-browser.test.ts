import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { defaultConfig } from '../actors/config/load';
import { parseGrid } from '../actors/sweep/grid';
import { localPool } from '../actors/sweep/localPool';
import { rankRows } from '../actors/sweep/rank';
import { writeSweepOutputs } from '../actors/sweep/results';
import { runSweep, type SweepOutcome } from '../actors/sweep/sweep';
import { DEMO, SLICE } from './support/pmaCli';

/**
 * Opens a real sweep's sweep.html in headless Chromium (Debian's `chromium`, playwright-core) and
 * checks what a reader uses: the run table sorts by a clicked column, the heatmap holds the best
 * metric per pair of parameter values and follows the chosen parameters, the best runs' equity
 * curves are drawn, and the page loads nothing from the network.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

(existsSync(CHROMIUM) ? describe : describe.skip)(existsSync(CHROMIUM) ? 'sweep.html in headless Chromium' : `SKIPPED: ${CHROMIUM} is not installed`, () => {
  let dir: string;
  let outcome: SweepOutcome;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const cells = (selector: string) => page.locator(selector).evaluateAll((rows: { textContent: string | null }[]) => rows.map((r) => r.textContent ?? ''));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-sweep-html-'));
    const base = defaultConfig();
    const grid = parseGrid({ metric: 'netPnl', parameters: { 'signals.threshold': [0.0005, 0.001], 'flashCrash.dropRelative': [0.1, 0.2, 0.3] } }, base);
    const executor = localPool(2);
    try {
      outcome = await runSweep({ grid, gridSource: 'grid', base, ticks: [DEMO], ...SLICE, executor });
    } finally {
      await executor.close();
    }
    writeSweepOutputs(dir, outcome);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(dir, 'sweep.html')).href, { waitUntil: 'load' });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every run and sorts the table by the clicked column, both ways', async () => {
    const runs = outcome.results.runs;
    expect(await cells('#runs tbody tr td:first-child')).toEqual(runs.map((r) => String(r.run)));
    const header = page.locator('#runs th', { hasText: 'total.netPnl' });
    const col = (await page.locator('#runs th').allTextContents()).indexOf('total.netPnl') + 1;
    await header.click();
    const asc = (await cells(`#runs tbody tr td:nth-child(${col})`)).map(Number);
    expect(asc).toEqual(runs.map((r) => Number(r.figures['total.netPnl'])).sort((a, b) => a - b));
    await header.click();
    expect((await cells(`#runs tbody tr td:nth-child(${col})`)).map(Number)).toEqual([...asc].reverse());
  });

  it('heatmap: the metric at each pair of values, then one row when y is none', async () => {
    const runs = outcome.results.runs;
    const rows = await page.locator('#heatmap tr').count();
    expect(rows).toBe(1 + 3); // header + the 3 values of flashCrash.dropRelative on y
    for (const r of runs) {
      const y = [0.1, 0.2, 0.3].indexOf(r.parameters['flashCrash.dropRelative'] as number) + 2;
      const x = [0.0005, 0.001].indexOf(r.parameters['signals.threshold'] as number) + 2;
      const text = await page.locator(`#heatmap tr:nth-child(${y}) td:nth-child(${x})`).textContent();
      expect(Number(text)).toBe(Number(r.figures['total.netPnl']));
    }
    await page.selectOption('#hy', '');
    expect(await page.locator('#heatmap tr').count()).toBe(2);
    const best = rankRows(runs.filter((r) => r.parameters['signals.threshold'] === 0.001), 'netPnl')[0];
    expect(Number(await page.locator('#heatmap tr:nth-child(2) td:nth-child(3)').textContent())).toBe(Number(best.figures['total.netPnl']));
  });

  it('draws the best five runs’ equity curves, and loads nothing from the network', async () => {
    expect(await page.locator('svg#equity polyline').count()).toBe(5);
    const points = await page.locator('svg#equity polyline').first().getAttribute('points');
    const best = rankRows(outcome.results.runs, 'netPnl')[0];
    expect(points!.split(' ')).toHaveLength(outcome.equity.get(best.hash)!.length);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
  });
});
