import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { createActor } from 'xstate';
import { InspectionHub } from '../actors/visualizer/inspectionHub';
import { LogIndex } from '../actors/visualizer/logIndex';
import { startVisualizer, type VisualizerServer } from '../actors/visualizer/server';
import { SystemClock } from '../events/clock';
import { isInputEvent, type AnyEvent, type StrategyStateEvent } from '../events/types';
import { MACHINES } from '../machines/registry';
import { scanIntervalMachine } from '../machines/scanInterval';
import { CHROMIUM, CHROMIUM_ARGS, T0, configStateCount, tradeLogEvents, writeLog } from './visualizer.support';

const pollClock = new SystemClock();

/** The page redraws after each step: poll an attribute until it has the value (2 s), then assert it. */
async function attrEventually(locator: Locator, attr: string, want: string | null): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await locator.getAttribute(attr)) === want) return;
    await pollClock.sleep(20);
  }
  expect(await locator.getAttribute(attr)).toBe(want);
}

const ARTIFACTS = resolve(__dirname, 'artifacts');
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;

describeWithChromium('visualizer page in headless Chromium', () => {
  let dir: string;
  let events: AnyEvent[];
  let browser: Browser;
  let server: VisualizerServer;
  let hub: InspectionHub;
  let page: Page;
  const input = { baseIntervalMs: 60_000, minIntervalMs: 10_000, volatilityThreshold: 0.05, sampleMarkets: 10 };
  const changes = () => events.filter((e): e is StrategyStateEvent => e.type === 'strategy_state');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viz-browser-'));
    const file = join(dir, 'paper-run.jsonl');
    events = writeLog(file, tradeLogEvents(4));
    hub = new InspectionHub({ clock: new SystemClock(), flushMs: 20 });
    server = await startVisualizer({ port: 0, hub, log: await LogIndex.build(file, { checkpointEvery: 32 }) });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith(server.url.replace('http', 'ws')) && !r.url().startsWith('data:')) problems.push(`left the server: ${r.url()}`);
    });
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready="1"]');
    expect(problems).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens on the log given: its first screen lists every actor of the log, no "No actors yet"', async () => {
    const fresh = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
    await fresh.goto(server.url);
    await fresh.waitForSelector('body[data-ready="1"]');
    const logActors = [...new Set(changes().map((e) => `${e.strategy}/${e.key}`))].sort();
    expect(logActors.length).toBeGreaterThan(1);
    const listed = await fresh.locator('#actors li[data-origin="log"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-actor')));
    expect([...listed].sort()).toEqual(logActors);
    expect(await fresh.locator('#actors-empty').isHidden()).toBe(true);
    mkdirSync(ARTIFACTS, { recursive: true });
    await fresh.screenshot({ path: join(ARTIFACTS, 'visualizer-first-screen.png') });
    await fresh.close();
  });

  it('draws every machine with as many states as its definition has', async () => {
    for (const m of MACHINES) {
      await expect(page.locator(`svg[data-machine="${m.name}"] g.state`).count()).resolves.toBe(configStateCount(m.machine));
      for (const key of Object.keys(m.machine.config.states ?? {})) {
        await expect(page.locator(`g.state[data-machine="${m.name}"][data-state="${key}"] text.name`).textContent()).resolves.toBe(key);
      }
    }
    const flashLabels = await page.locator('svg[data-machine="flashCrash"] .edge-label').allTextContents();
    expect(flashLabels.join(' ')).toContain('always [crashEntry]');
    expect(flashLabels).toContain('RESOLVED');
  });

  it('highlights the state a live actor is in and follows its transition', async () => {
    const actor = createActor(scanIntervalMachine, { input, inspect: hub.inspect, id: 'scanInterval/live' }).start();
    const row = page.locator('#actors li[data-actor][data-label="scanInterval/live"]');
    await row.waitFor();
    await row.click();
    const active = page.locator('svg[data-machine="scanInterval"] g.state.active');
    await attrEventually(active, 'data-state', actor.getSnapshot().value);
    actor.send({ type: 'SNAPSHOT', ts: T0, markets: [{ id: 'm', outcomePrices: ['0.90', '0.10'], bestBid: null, bestAsk: null }] });
    expect(actor.getSnapshot().value).toBe('fast');
    await page.waitForSelector('svg[data-machine="scanInterval"] g.state.active[data-state="fast"]');
    await expect(active.count()).resolves.toBe(1);
    await expect(page.locator('#last-events li.moved').first().textContent()).resolves.toContain('SNAPSHOT normal → fast');
    await attrEventually(page.locator('svg[data-machine="scanInterval"] path.edge.last'), 'data-target', 'fast');
    actor.stop();
  });

  it('steps through a recorded log: next and previous change and event, jumps by seq and time, the cause of a change', async () => {
    const all = changes();
    const cursor = page.locator('#cursor');
    const flashActive = page.locator('svg[data-machine="flashCrash"] g.state.active');
    // The highlight is redrawn after the cursor moves: wait for it rather than read it at once.
    const flashActiveIs = async (state: string) => {
      await page.waitForSelector(`svg[data-machine="flashCrash"] g.state.active[data-state="${state}"]`);
      await expect(flashActive.count()).resolves.toBe(1);
    };
    await page.click('#next-change');
    await page.waitForSelector(`#cursor[data-seq="${all[0].seq}"]`);
    await attrEventually(page.locator('#actors li.selected'), 'data-actor', 'flashCrash/tokA');
    await flashActiveIs(all[0].to);
    await page.click('#next-change');
    await page.waitForSelector(`#cursor[data-seq="${all[1].seq}"]`);
    await flashActiveIs('holding');
    await attrEventually(page.locator('svg[data-machine="flashCrash"] path.edge.last'), 'data-source', 'entering');

    // The cause panel: the book update that triggered it, then the context before it.
    const change = all[5]; // tokB watching -> entering
    await page.fill('#jump-seq', String(change.seq));
    await page.click('#jump-seq-go');
    await page.waitForSelector(`#cursor[data-seq="${change.seq}"]`);
    await attrEventually(page.locator('#actors li.selected'), 'data-actor', 'flashCrash/tokB');
    await flashActiveIs('entering');
    const before = events.filter((e) => e.seq < change.seq).reverse();
    const trigger = before.find(isInputEvent)!;
    await attrEventually(page.locator('#cause'), 'data-change', String(change.seq));
    await attrEventually(page.locator('#cause [data-trigger]'), 'data-seq', String(trigger.seq));
    const items = page.locator('#cause .item[data-seq]');
    const shown = await items.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-type')}#${e.getAttribute('data-seq')}`));
    expect(shown).toContain(`order_intent#${change.seq - 1}`);
    expect(shown).toContain(`fill#${change.seq + 1}`);
    expect(shown).toContain(`signal#${before.find((e) => e.type === 'signal')!.seq}`);
    expect(shown).toContain(`market_snapshot#${before.find((e) => e.type === 'market_snapshot')!.seq}`);
    await expect(page.locator('#cause').textContent()).resolves.toContain('flash crash: 0.6 -> 0.42');

    // Back one event: the order intent; the selected actor is still the one of the change.
    await page.click('#prev-event');
    await page.waitForSelector(`#cursor[data-seq="${change.seq - 1}"]`);
    await expect(cursor.textContent()).resolves.toContain('order_intent');
    await page.click('#next-event');
    await page.click('#next-event');
    await page.waitForSelector(`#cursor[data-seq="${change.seq + 1}"]`);

    // Previous change of the selected actor only (tokB), then of any actor.
    await page.check('#only-selected');
    await page.click('#prev-change');
    const tokBBefore = all.filter((e) => e.key === 'tokB' && e.seq <= change.seq);
    await page.waitForSelector(`#cursor[data-seq="${tokBBefore[tokBBefore.length - 1].seq}"]`);
    await page.uncheck('#only-selected');
    await page.click('#prev-change');
    await page.waitForSelector(`#cursor[data-seq="${all[4].seq}"]`);
    // At that point tokA is back in watching: both actors show in the list with their state.
    const listed = () => page.locator('#actors li[data-origin="log"]').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-actor')}=${e.getAttribute('data-state')}`));
    let states = await listed();
    const want = 'flashCrash/tokA=watching,flashCrash/tokB=not started yet';
    for (let i = 0; i < 100 && states.join() !== want; i++) {
      await pollClock.sleep(20);
      states = await listed();
    }
    // tokB changes state later in the log: listed all along, not yet started at this point.
    expect(states).toEqual(['flashCrash/tokA=watching', 'flashCrash/tokB=not started yet']);

    // Jump by time (ISO): the first event at or after it.
    const target = events[300];
    await page.fill('#jump-time', new Date(target.ts).toISOString());
    await page.click('#jump-time-go');
    const expectedSeq = events.find((e) => e.ts >= target.ts)!.seq;
    await page.waitForSelector(`#cursor[data-seq="${expectedSeq}"]`);
    await attrEventually(page.locator('#events li.cursor'), 'data-seq', String(expectedSeq));

    // The screenshot a person checks: the cause of the tokB entry, the flash-crash chart highlighted.
    await page.fill('#jump-seq', String(change.seq));
    await page.click('#jump-seq-go');
    await page.waitForSelector(`#cursor[data-seq="${change.seq}"]`);
    await page.locator('#cause details').first().evaluate((d) => d.setAttribute('open', ''));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'visualizer.png'), fullPage: true });
    expect(existsSync(join(ARTIFACTS, 'visualizer.png'))).toBe(true);
  });
});
