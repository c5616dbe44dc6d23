import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { redemptionsDue } from '../actors/execution/live/redemptions';
import { makeEvent, type AnyEvent } from '../events/types';
import { fillEvent, marketInfo } from './support/execution';

const ROOT = resolve(__dirname, '..');
const T0 = 1_760_000_000_000;
const plain = marketInfo({ id: 'm1', conditionId: '0xc1', tokenIds: ['yes1', 'no1'], outcomes: ['Up', 'Down'] });
const neg = marketInfo({ id: 'm2', conditionId: '0xc2', tokenIds: ['yes2', 'no2'], negRisk: true, negRiskMarketId: '0xe1' });

function log(): AnyEvent[] {
  const events: AnyEvent[] = [
    makeEvent('market_snapshot', T0, { source: 'gamma', request: '/markets', markets: [plain, neg] }),
    fillEvent({ orderId: 'a', strategy: 'flashCrash', marketId: 'm1', tokenId: 'yes1', side: 'BUY', price: '0.4', size: '10', fee: '0', ts: T0 + 1 }),
    fillEvent({ orderId: 'b', strategy: 'fifteenMin', marketId: 'm1', tokenId: 'no1', side: 'BUY', price: '0.5', size: '4', fee: '0', ts: T0 + 2 }),
    fillEvent({ orderId: 'c', strategy: 'negRisk', marketId: 'm2', tokenId: 'no2', side: 'BUY', price: '0.3', size: '7', fee: '0', ts: T0 + 3 }),
    makeEvent('market_resolved', T0 + 10, { market: '0xc1', winningTokenId: 'yes1', winningOutcome: 'Up' }),
    makeEvent('market_resolved', T0 + 20, { market: '0xc2', winningTokenId: 'no2', winningOutcome: 'No' }),
    // A second resolution message for a market already settled: nothing left to redeem.
    makeEvent('market_resolved', T0 + 30, { market: '0xc1', winningTokenId: 'yes1', winningOutcome: 'Up' }),
  ];
  return events.map((e, i) => ({ ...e, seq: i + 1 }));
}

it('lists what each resolution settles, winners with their payout and losers at 0, once, with the redemption route', () => {
  expect(redemptionsDue('1000', log())).toEqual([
    { seq: 5, ts: T0 + 10, conditionId: '0xc1', strategy: 'fifteenMin', tokenId: 'no1', outcome: 'Down', shares: '4', payout: '0', negRisk: false },
    { seq: 5, ts: T0 + 10, conditionId: '0xc1', strategy: 'flashCrash', tokenId: 'yes1', outcome: 'Up', shares: '10', payout: '10', negRisk: false },
    { seq: 6, ts: T0 + 20, conditionId: '0xc2', strategy: 'negRisk', tokenId: 'no2', outcome: 'No', shares: '7', payout: '7', negRisk: true },
  ]);
});

it('pma redeem --dry-run prints the list and the total, sends nothing; without --dry-run it refuses (exit 2)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pma-redeem-'));
  try {
    const path = join(dir, 'events.jsonl');
    writeFileSync(path, log().map((e) => JSON.stringify(e)).join('\n') + '\n');
    const run = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'bin/pma.js'), 'redeem', '--log', path, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 60_000 });
    const dry = run(['--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.status).toBe(0);
    expect(dry.stdout.trim().split('\n').at(-1)).toBe(`dry run: 2 winning positions, 17 USDC would be redeemed from ${path}; nothing was sent`);
    expect(dry.stdout).toContain('0xc2  negRisk  No  7 shares  payout 7  negRisk adapter');
    const json = run(['--dry-run', '--json']);
    expect(json.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { payout: string }).payout)).toEqual(['0', '10', '7']);
    const refused = run([]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe('pma redeem: on-chain redemption is not implemented; pass --dry-run to list what would be redeemed\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
