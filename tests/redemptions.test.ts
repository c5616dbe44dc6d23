import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { redemptionsDue } from '../actors/execution/live/redemptions';
import { Portfolio } from '../actors/execution/portfolio';
import { readAllEvents } from '../events/log';
import { ServiceProcess } from './chaos/support/serviceProcess';
import { JsonRpcChain } from './support/jsonRpcChain';
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
    expect(refused.stderr).toBe('pma redeem: sending redemptions needs service.mode "live" in the config (--dry-run lists them in any mode)\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('pma redeem (live config) sends the redemption the log holds without an outcome, appends what the chain says, and sends nothing the second time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pma-redeem-live-'));
  const chain = await JsonRpcChain.start(137);
  try {
    const privateKey = generatePrivateKey();
    const wallet = privateKeyToAccount(privateKey).address;
    const condition = `0x${'c1'.repeat(32)}`;
    chain.hold(wallet, '11', 10_000_000n);
    chain.conditions.set(condition, { tokenIds: ['11', '12'], winner: 0 });
    const market = marketInfo({ id: 'm1', conditionId: condition, tokenIds: ['11', '12'], outcomes: ['Up', 'Down'] });
    const events: AnyEvent[] = [
      makeEvent('market_snapshot', T0, { source: 'gamma', request: '/markets', markets: [market] }),
      makeEvent('exchange_fill', T0 + 1, { orderId: 'x:1', tokenId: '11', side: 'BUY', price: '0.4', size: '10', fee: '0', tradeId: 't1' }),
      makeEvent('market_resolved', T0 + 2, { market: condition, winningTokenId: '11', winningOutcome: 'Up' }),
      makeEvent('redemption_intent', T0 + 2, { intentId: `redeem:${condition}`, conditionId: condition, marketId: 'm1', route: 'ctf', tokenIds: ['11', '12'], winningTokenId: '11', shares: '10' }),
    ];
    const path = join(dir, 'events.jsonl');
    writeFileSync(path, events.map((e, i) => JSON.stringify({ ...e, seq: i + 1 })).join('\n') + '\n');
    const configPath = join(dir, 'live.json');
    writeFileSync(configPath, JSON.stringify({ service: { mode: 'live' }, live: { receiptPollMs: 20 } }));
    const env = { POLYMARKET_PRIVATE_KEY: privateKey, POLYMARKET_API_KEY: 'k', POLYMARKET_API_SECRET: 's', POLYMARKET_API_PASSPHRASE: 'p', POLYGON_RPC_URL: chain.url };
    const redeem = async () => {
      const p = new ServiceProcess({ args: ['redeem', '--config', configPath, '--log', path], env });
      const exit = await p.exited;
      return { ...exit, stdout: p.stdout, stderr: p.stderr };
    };
    const first = await redeem();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const hash = chain.redemptions[0].hash;
    const approval = [...chain.txs.values()].find((t) => t.function === 'setApprovalForAll')!;
    expect(approval.args).toEqual([chain.contracts.ctfAdapter, true]);
    expect(first.stdout.trim().split('\n')).toEqual([
      `approval  ${chain.contracts.ctfAdapter}  ${approval.hash}  setApprovalForAll(adapter, true) on ConditionalTokens`,
      `${condition}  submitted  ${hash}  payout 0  ctf redeemPositions through adapter ${chain.contracts.ctfAdapter} (approved in tx ${approval.hash}), nonce 1, 10 winning shares held`,
      expect.stringMatching(new RegExp(`^${condition}  confirmed  ${hash}  payout 10  mined in block \\d+$`)),
      `1 redemptions to settle, 1 confirmed, 10 pUSD paid; outcomes appended to ${path}`,
    ]);
    const logged = (await readAllEvents(path)).records.map((r) => r.event);
    expect(logged.slice(4).map((e) => (e.type === 'redemption' ? [e.seq, e.status, e.payout] : e.type))).toEqual([[5, 'submitted', '0'], [6, 'confirmed', '10']]);
    expect(Portfolio.fromEvents('1000', logged).cash().toString()).toBe('1006');
    const dry = new ServiceProcess({ args: ['redeem', '--dry-run', '--config', configPath, '--log', path], env });
    await dry.exited;
    expect(dry.stdout.trim().split('\n')).toEqual([`${new Date(T0 + 2).toISOString()}  ${condition}  external  Up  10 shares  payout 10  CTF  redeemed ${hash}`, `dry run: 0 winning positions, 0 USDC would be redeemed from ${path}; nothing was sent`]);
    const second = await redeem();
    expect([second.code, second.stdout.trim()]).toEqual([0, `0 redemptions to settle, 0 confirmed, 0 pUSD paid; outcomes appended to ${path}`]);
    expect([chain.redeemSends, chain.redemptions.length, chain.txs.size]).toEqual([1, 1, 2]);
  } finally {
    await chain.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
