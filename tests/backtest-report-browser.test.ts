import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { defaultConfig } from '../actors/config/load';
import { runBacktest } from '../actors/backtest/run';
import type { BacktestReport } from '../actors/backtest/reportTypes';
import { SystemClock } from '../events/clock';

/**
 * Opens the backtest's report.html in headless Chromium (Debian's `chromium`, driven by
 * playwright-core) and checks what a reader sees: charts with their data, entry/exit marks and
 * signal markers inside the plots, every strategy in the results, no network use. Saves a
 * screenshot to tests/artifacts/backtest-report.png.
 */
const CHROMIUM = '/usr/bin/chromium';
const DEMO = resolve(__dirname, '../data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');
const SCREENSHOT = resolve(__dirname, 'artifacts/backtest-report.png');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;

interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** The little of the DOM these checks use (the project compiles without the DOM library). */
interface DomNode {
  getBoundingClientRect(): Box;
  querySelectorAll(selector: string): Iterable<DomNode>;
}

/** Screen boxes of the SVG and of the elements matching `selector` inside it. */
async function boxes(page: Page, svgId: string, selector: string): Promise<{ svg: Box; items: Box[] }> {
  return page.locator(`svg#${svgId}`).evaluate((svg: DomNode, selector: string) => {
    const box = (e: DomNode): Box => {
      const r = e.getBoundingClientRect();
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    };
    return { svg: box(svg), items: [...svg.querySelectorAll(selector)].map(box) };
  }, selector);
}

function expectInside(items: Box[], outer: Box): void {
  for (const b of items) {
    expect(b.right - b.left).toBeGreaterThan(0);
    expect(b.left).toBeGreaterThanOrEqual(outer.left);
    expect(b.right).toBeLessThanOrEqual(outer.right);
    expect(b.top).toBeGreaterThanOrEqual(outer.top);
    expect(b.bottom).toBeLessThanOrEqual(outer.bottom);
  }
}

describeWithChromium('backtest report.html in headless Chromium', () => {
  let dir: string;
  let report: BacktestReport;
  let browser: Browser;
  let page: Page;
  let url: string;
  const requests: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pma-bt-html-'));
    report = (await runBacktest({ ticks: [DEMO], config: defaultConfig(), reportDir: dir })).report;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('request', (r) => requests.push(r.url()));
    url = pathToFileURL(join(dir, 'report.html')).href;
    await page.goto(url, { waitUntil: 'load' });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('draws the equity curve through every point of the report', async () => {
    expect(report.charts.equity.length).toBeGreaterThan(10);
    const svg = page.locator('svg#equity');
    expect(Number(await svg.getAttribute('data-points'))).toBe(report.charts.equity.length);
    const d = (await svg.locator('path.line').getAttribute('d'))!;
    expect(d.match(/[ML]/g)!.length).toBe(report.charts.equity.length);
    const { svg: outer, items } = await boxes(page, 'equity', 'path.line');
    expect(items).toHaveLength(1);
    expectInside(items, outer);
    // A curve, not a dot: it spans most of the plot's width.
    expect(items[0].right - items[0].left).toBeGreaterThan((outer.right - outer.left) * 0.8);
  });

  it('draws the drawdown chart with the report’s drawdown series', async () => {
    const svg = page.locator('svg#drawdown');
    expect(Number(await svg.getAttribute('data-points'))).toBe(report.charts.drawdown.length);
    const d = (await svg.locator('path.dd').getAttribute('d'))!;
    expect(d.match(/[ML]/g)!.length).toBe(report.charts.drawdown.length);
  });

  it('draws each Binance price chart with its signal markers inside the plot, with round-valued axis ticks', async () => {
    const symbols = Object.keys(report.charts.prices);
    expect(symbols.sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(report.charts.signals.length).toBeGreaterThan(0);
    for (const symbol of symbols) {
      const id = `price-${symbol}`;
      const svg = page.locator(`svg#${id}`);
      expect(Number(await svg.getAttribute('data-points'))).toBe(report.charts.prices[symbol].length);
      const line = (await svg.locator('path.line').getAttribute('d'))!;
      expect(line.match(/[ML]/g)!.length).toBe(report.charts.prices[symbol].length);
      expect(await svg.locator('circle.mark').count()).toBe(0); // trades sit on the token charts

      const signals = report.charts.signals.filter((s) => s.symbol === symbol);
      const markers = await boxes(page, id, 'path.signal');
      expect(markers.items).toHaveLength(signals.length);
      expect(await svg.locator('path.signal.confirmed').count()).toBe(signals.filter((s) => s.confirmed).length);
      expectInside(markers.items, markers.svg);

      // At least four labelled ticks on each axis (was two or three), times on round minutes.
      const labels = await svg.locator('text.axis').allTextContents();
      const times = labels.filter((t) => /^(\d\d-\d\d )?\d\d:\d\d$/.test(t));
      expect(times.length).toBeGreaterThanOrEqual(4);
      expect(labels.filter((t) => /^-?[\d.]+$/.test(t)).length).toBeGreaterThanOrEqual(4);
    }
  });

  it('puts each entry and exit on the chart of the Polymarket token traded, at its fill price', async () => {
    const tokens = Object.keys(report.charts.tokens);
    expect(tokens.length).toBeGreaterThan(0);
    expect(new Set(report.charts.marks.map((m) => m.tokenId))).toEqual(new Set(tokens));
    for (let i = 0; i < tokens.length; i++) {
      const svg = page.locator(`svg#token-${i}`);
      expect(await svg.getAttribute('data-token')).toBe(tokens[i]);
      const marks = report.charts.marks.filter((m) => m.tokenId === tokens[i]);
      const entries = await boxes(page, `token-${i}`, 'circle.mark.entry');
      const exits = await boxes(page, `token-${i}`, 'circle.mark.exit');
      expect(entries.items).toHaveLength(marks.filter((m) => m.side === 'BUY').length);
      expect(exits.items).toHaveLength(marks.filter((m) => m.side === 'SELL').length);
      expectInside([...entries.items, ...exits.items], entries.svg);
      // Token prices are probabilities: every mark's price is a fill price between 0 and 1.
      for (const m of marks) expect(m.price).toBeLessThan(1);
    }
    expect(await page.locator('circle.mark.entry').count()).toBeGreaterThan(0);
    expect(await page.locator('circle.mark.exit').count()).toBeGreaterThan(0);
  });

  it('lists every round trip: entry, exit, holding time, exit reason and P&L as in report.json', async () => {
    expect(report.roundTripList.length).toBe(report.total.roundTrips);
    const rows = await page.locator('table#round-trips tbody tr').evaluateAll((trs: { children: Iterable<{ textContent: string | null }> }[]) => trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')));
    expect(rows).toHaveLength(report.roundTripList.length);
    rows.forEach((cells, i) => {
      const t = report.roundTripList[i];
      expect(cells[0]).toBe(t.strategy);
      expect(cells[1]).toBe(t.market);
      expect(cells[6]).toBe(t.entryPrice);
      expect(cells[7]).toBe(t.exitPrice);
      expect(cells[9]).toBe(t.exitReason);
      expect(cells[10]).toBe(t.pnl);
    });
    const perMarket = await page.locator('table#per-market tbody tr').count();
    expect(perMarket).toBe(report.perMarket.length);
    expect(report.perMarket.reduce((n, m) => n + m.roundTrips, 0)).toBe(report.roundTripList.length);
    expect(await page.locator('#headline').textContent()).toContain(`${report.performance.total.returnPct.toFixed(2)} %`);
    expect(await page.locator('#parameters summary').textContent()).toMatch(/^Parameters used \(\d+\)$/);
  });

  it('lists every strategy and the total in the results table, with the report’s net P&L', async () => {
    const rows = await page.locator('table#results tbody tr').evaluateAll((trs: { children: Iterable<{ textContent: string | null }> }[]) => trs.map((tr) => [...tr.children].map((c) => c.textContent ?? '')));
    const byName = new Map(rows.map((cells) => [cells[0], cells]));
    expect([...byName.keys()].sort()).toEqual([...Object.keys(report.strategies), 'total'].sort());
    const netColumn = 6;
    for (const [name, block] of Object.entries(report.strategies)) expect(byName.get(name)![netColumn]).toBe(block.netPnl);
    expect(byName.get('total')![netColumn]).toBe(report.total.netPnl);
  });

  it('labels the simulated markets', async () => {
    const text = await page.locator('#simulated').textContent();
    for (const m of report.simulated.markets) expect(text).toContain(m);
  });

  it('makes no network request: only the file itself is loaded', () => {
    expect(requests).toEqual([url]);
  });

  it('saves a screenshot', async () => {
    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const png = readFileSync(SCREENSHOT);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
  });
});
