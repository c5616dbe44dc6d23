import { existsSync, mkdirSync, rmSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { INSTALLED_PMA, pma, ROOT, waitForText } from './support/installedPma';
import { FIXTURES } from './support/shared';

/** What a user meets through an installed `pma` (a symlink named pma, run by its shebang), each in a child process. */

const DEMO = join(ROOT, 'data/binance-btcusdt-ethusdt-20240808.ticks.jsonl.gz');
const demoLines = gunzipSync(readFileSync(DEMO)).toString('utf8').split('\n').filter((l) => l.length > 0);
const dir = mkdtempSync(join(tmpdir(), 'pma-user-'));

function ticksFile(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => l + '\n').join(''));
  return path;
}

/** The demo's BTC trades moved back to 2019-01-01 as XRPUSDT: a tick file five years before the demo file. */
function ticks2019(): string {
  const first = JSON.parse(demoLines[0]) as { ts: number };
  const shift = first.ts - Date.UTC(2019, 0, 1);
  const lines = demoLines
    .slice(0, 3000)
    .map((l) => JSON.parse(l) as { ts: number; symbol: string; price: string })
    .filter((e) => e.symbol === 'BTCUSDT')
    .map((e, i) => JSON.stringify({ ...e, seq: i + 1, ts: e.ts - shift, symbol: 'XRPUSDT', price: (Number(e.price) / 200_000).toFixed(5) }));
  return ticksFile('xrp-2019.ticks.jsonl', lines);
}

function files(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(path).sort()) out[f] = readFileSync(join(path, f)).toString('base64');
  return out;
}

const oneLine = (text: string) => text.trimEnd().split('\n');

describe('an installed pma', () => {
  it('runs through a symlink named pma from any folder and prints its version', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const v = await pma(['--version'], { cwd: tmpdir() });
    expect(v).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
    const help = await pma(['--help'], { cwd: tmpdir() });
    expect(help.code).toBe(0);
    for (const command of ['import', 'replay', 'backtest', 'start', 'record', 'visualize']) expect(help.stdout).toContain(command);
  });

  it.each(['import', 'replay', 'backtest', 'start', 'record', 'visualize', 'cache', 'merge-log', 'redeem'])('pma %s --help shows an example', async (command) => {
    const help = await pma([command, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`Example[^\\n]*:\\n  pma ${command} `));
  });
});

describe('usage errors: exit 2 with the help after the error', () => {
  it.each([
    [['cache', 'x.jsonl', '--out', 'y'], "error: unknown option '--out'"],
    [['backtest', '--report', 'out/never'], "error: missing required argument 'ticks'"],
    [['backtest', 'x.jsonl'], "error: required option '--report <dir>' not specified"],
    [['nosuch'], "error: unknown command 'nosuch'"],
  ])('pma %j', async (args, message) => {
    const r = await pma(args);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(message);
  });
});

describe('file-system errors: one line naming the path, exit 2', () => {
  const ticks = ticksFile('small.ticks.jsonl', demoLines.slice(0, 200));

  it('an output that is a folder (EISDIR)', async () => {
    const out = join(dir, 'a-folder');
    mkdirSync(out);
    const r = await pma(['replay', ticks, '--out', out]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([`pma replay: ${out}: is a directory, not a file; nothing written`]);
  });

  it('an output where nobody may write (EACCES)', async () => {
    const r = await pma(['replay', ticks, '--out', '/sys/pma-replay.jsonl']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual(['pma replay: /sys/pma-replay.jsonl: permission denied; nothing written (/sys/pma-replay.jsonl not created)']);
  });

  it('an input that does not exist (ENOENT) and a report folder that is a file (ENOTDIR)', async () => {
    const missing = join(dir, 'missing.jsonl');
    const r = await pma(['replay', missing, '--out', join(dir, 'x.jsonl')]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([`pma replay: ${missing}: no such file or directory; nothing written`]);
    const b = await pma(['backtest', ticks, '--report', ticks]);
    expect(b.code).toBe(2);
    expect(oneLine(b.stderr)).toEqual([`pma backtest: ${ticks}: is not a folder (or a part of the path is not); nothing written`]);
  });

  it('an input that is a folder (EISDIR, from a read of the open file, which names no path)', async () => {
    const folder = join(dir, 'ticks-folder');
    mkdirSync(folder);
    const report = join(dir, 'never-report');
    const r = await pma(['backtest', folder, '--report', report]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toEqual([`pma backtest: ${folder}: is a directory, not a file; nothing written (${report}/events.jsonl, ${report}/report.json, ${report}/report.html not created)`]);
  });
});

describe('outputs are never half-written', () => {
  it('a backtest killed mid-run (SIGKILL) or interrupted (Ctrl-C) leaves the previous outputs as they were', async () => {
    const report = join(dir, 'report');
    const first = await pma(['backtest', DEMO, '--report', report]);
    expect(first.code).toBe(0);
    const before = files(report);
    expect(Object.keys(before)).toEqual(['events.jsonl', 'report.html', 'report.json']);

    const partial = join(report, 'events.jsonl.partial');
    const killed = await pma(['backtest', DEMO, '--report', report], {
      onSpawn: (child) => void waitForPartial(partial).then(() => child.kill('SIGKILL')),
    });
    expect(killed.signal).toBe('SIGKILL');
    const afterKill = files(report);
    delete afterKill['events.jsonl.partial']; // what the killed run was writing, under its temporary name
    expect(afterKill).toEqual(before);
    rmSync(partial);

    const interrupted = await pma(['backtest', DEMO, '--report', report], {
      onSpawn: (child) => void waitForPartial(partial).then(() => child.kill('SIGINT')),
    });
    expect(interrupted.code).toBe(130);
    expect(oneLine(interrupted.stderr)).toHaveLength(1);
    expect(interrupted.stderr).toMatch(
      new RegExp(`^pma backtest: interrupted after [\\d,]+ input events \\([\\d.]+ % of the input read\\); ${report}/events.jsonl, ${report}/report.json, ${report}/report.html left as they were`),
    );
    expect(files(report)).toEqual(before); // the partial file removed too
  }, 120_000);

  it('replay of a file with a corrupt line 501 leaves no 500-line log: exit 2 naming the line, the previous log kept', async () => {
    const lines = demoLines.slice(0, 1000);
    lines[500] = lines[500].slice(0, 40);
    const ticks = ticksFile('corrupt-501.ticks.jsonl', lines);
    const out = join(dir, 'corrupt.out.jsonl');
    const fresh = await pma(['replay', ticks, '--out', out]);
    expect(fresh.code).toBe(2);
    expect(fresh.stderr).toMatch(new RegExp(`^pma replay: ${ticks}:501: .*; nothing written \\(${out} not created\\)\\n$`));
    expect(existsSync(out)).toBe(false);
    expect(existsSync(out + '.partial')).toBe(false);

    writeFileSync(out, 'the previous log\n');
    const again = await pma(['replay', ticks, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`; ${out} left as it was (from the previous run)`);
    expect(readFileSync(out, 'utf8')).toBe('the previous log\n');
  });
});

async function waitForPartial(path: string): Promise<void> {
  await waitForText(() => (existsSync(path) && statSync(path).size > 0 ? 'started' : ''), 'started');
}

describe('memory stays bounded whatever the gap between inputs', () => {
  it('a 2019 tick file and the 2024 demo file: finishes with a bounded peak RSS and says the data has a gap', async () => {
    const rssFile = join(dir, 'maxrss.txt');
    const report = join(dir, 'gap');
    const r = await pma(['backtest', ticks2019(), DEMO, '--report', report], {
      env: { NODE_OPTIONS: `--require=${join(ROOT, 'tests/support/maxRss.js')}`, PMA_MAXRSS_FILE: rssFile },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('pma backtest: warning: the data has 1 gap(s) longer than 60 min without events: clock ticks paused in them');
    // A single backtest of the demo peaks near 150 MB; five years of 1 s ticks grew past 2 GB before.
    const maxRssKb = Number(readFileSync(rssFile, 'utf8'));
    expect(maxRssKb).toBeGreaterThan(10_000);
    expect(maxRssKb).toBeLessThan(500_000);
    const rep = JSON.parse(readFileSync(join(report, 'report.json'), 'utf8')) as { range: { firstEventTs: number; lastEventTs: number } };
    expect(rep.range.firstEventTs).toBe(Date.UTC(2019, 0, 1));
    expect(new Date(rep.range.lastEventTs).getUTCFullYear()).toBe(2024);
  }, 120_000);
});

describe('empty results say why', () => {
  const small = ticksFile('small2.ticks.jsonl', demoLines.slice(0, 300));

  it('--from/--to outside the data: a warning naming the range and the data span', async () => {
    const r = await pma(['backtest', small, '--report', join(dir, 'range'), '--from', '2019-01-01T00:00:00Z', '--to', '2019-01-02T00:00:00Z']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(': 0 input events');
    const first = new Date((JSON.parse(demoLines[0]) as { ts: number }).ts).toISOString();
    expect(r.stderr).toContain(`pma backtest: warning: no events between 2019-01-01T00:00:00.000Z and 2019-01-02T00:00:00.000Z (--from/--to): the data spans ${first} to `);
  });

  it('an empty tick file: a warning naming it', async () => {
    const empty = ticksFile('empty.ticks.jsonl', []);
    const r = await pma(['backtest', empty, '--report', join(dir, 'empty')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`pma backtest: warning: ${empty} holds no events (empty file)\n`);
  });

  it('a symbol no strategy trades: a warning naming it', async () => {
    const doge = ticksFile('doge.ticks.jsonl', demoLines.slice(0, 300).map((l) => l.replace('"symbol":"BTCUSDT"', '"symbol":"DOGEUSDT"')));
    const r = await pma(['backtest', doge, '--report', join(dir, 'doge')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('pma backtest: warning: DOGEUSDT: no strategy trades this symbol (the 15-minute strategy trades BTCUSDT, ETHUSDT, SOLUSDT, XRPUSDT)');
    expect(r.stderr).not.toContain('ETHUSDT: no strategy');
  });

  it('a tick file given to pma import: exit 2 saying it is already a tick file', async () => {
    const r = await pma(['import', small, '--out', join(dir, 'imported.jsonl')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`pma import: ${small} is already a tick file (pma events), not a Binance trade file: give it to pma backtest or pma replay as it is`);
  });

  it('a raw Binance recording given to pma backtest: exit 2 with a hint to run pma import first', async () => {
    const raw = join(FIXTURES, 'binance/btcusdt_20240808.head1500.gz');
    const r = await pma(['backtest', raw, '--report', join(dir, 'raw')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`pma backtest: ${raw}:1: not valid JSON`);
    expect(r.stderr).toContain(`${raw} looks like a raw Binance file (recording), not a tick file: convert it first with\n  pma import ${raw} --out ticks.jsonl.gz`);
    expect(existsSync(join(dir, 'raw/events.jsonl'))).toBe(false);
  });
});

describe('progress on a terminal', () => {
  it('is drawn before the first batch and its last frame counts the input events the summary counts', async () => {
    // `script` gives the child a pseudo-terminal, as a user's shell does.
    const report = join(dir, 'tty');
    const run = spawnSync('script', ['-qec', `${INSTALLED_PMA} backtest ${DEMO} --report ${report}`, '/dev/null'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` },
      timeout: 120_000,
    });
    expect(run.status).toBe(0);
    const frames = run.stdout.split(/\r|\n/).filter((l) => l.includes('input events |'));
    expect(frames[0]).toMatch(/\[-{30}\] 0% \| 0 input events \| 0 events\/s/);
    const summary = /: (\d+) input events \(/.exec(run.stdout)![1];
    expect(frames[frames.length - 1]).toContain(`100% | ${Number(summary).toLocaleString('en-US')} input events |`);
  }, 120_000);
});

describe('README examples run on a fresh clone', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/\\\n\s*/g, '');
  const examples = [...readme.matchAll(/^ {6}node bin\/pma\.js (.+)$/gm)].map((m) => m[1].trim().split(/\s+/));

  it('keeps exactly the two set-up commands', () => {
    expect([...readme.matchAll(/^ {4}(npm ci && .+)$/gm)].map((m) => m[1])).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
  });

  it('reads only files the repo ships or an earlier example wrote', () => {
    const written = new Set<string>();
    expect(examples.map((e) => e[0])).toEqual(expect.arrayContaining(['import', 'record', 'replay', 'backtest', 'sweep', 'worker', 'start', 'visualize']));
    for (const [command, ...args] of examples) {
      for (let i = 0; i < args.length; i++) {
        const flag = args[i - 1];
        const arg = args[i];
        if (arg === '&') continue;
        if (flag === '--report') for (const f of ['events.jsonl', 'report.json', 'report.html']) written.add(`${arg}/${f}`);
        else if (flag === '--out' || (flag === '--log' && command === 'start')) written.add(arg);
        else if (flag === '--nats') expect(arg).toMatch(/^nats:\/\/[\d.]+:4222$/);
        else if (!arg.startsWith('-') && arg.includes('/') && !/^[a-z]+\/usd/.test(arg) && !arg.includes('://')) expect([arg, written.has(arg) || existsSync(join(ROOT, arg))]).toEqual([arg, true]);
      }
    }
  });

  it('the import and replay examples work as written (outputs in a temporary out/)', async () => {
    const work = join(dir, 'readme');
    for (const [command, ...args] of examples.filter((e) => e[0] === 'import' || e[0] === 'replay')) {
      const r = await pma([command, ...args.map((a) => (a.startsWith('out/') ? join(work, a) : a))]);
      expect([command, r.code, r.stderr]).toEqual([command, 0, '']);
    }
    expect(statSync(join(work, 'out/replay.jsonl')).size).toBeGreaterThan(0);
  });
});
