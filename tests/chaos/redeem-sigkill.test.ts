import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { Portfolio } from '../../actors/execution/portfolio';
import { readAllEvents } from '../../events/log';
import { makeEvent, type AnyEvent } from '../../events/types';
import { marketInfo } from '../support/execution';
import { JsonRpcChain } from '../support/jsonRpcChain';
import { PolymarketServer, twentyMarkets } from '../support/polymarketServer';
import { WsReplayServer } from '../support/wsReplayServer';
import { reportFigures } from './support/figures';
import { ServiceProcess, wallClock } from './support/serviceProcess';

const T0 = 1_760_000_000_000;
const privateKey = generatePrivateKey();
const wallet = privateKeyToAccount(privateKey).address;
const CONDITION = `0x${'be'.repeat(32)}`;
const market = marketInfo({ id: 'm-neg', conditionId: CONDITION, tokenIds: ['2001', '2002'], outcomes: ['Yes', 'No'], negRisk: true, negRiskMarketId: '0xe1', tickSize: '0.01', minSize: '5' });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pma-chaos-redeem-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A live log whose last input is the resolution of a negRisk market the wallet holds 7 winning shares of (bought at 0.30), cut before anything it derives. */
function seedLog(path: string): void {
  const events: AnyEvent[] = [
    makeEvent('market_snapshot', T0, { source: 'gamma', request: '/markets', markets: [market] }),
    makeEvent('exchange_fill', T0 + 1, { orderId: 'elsewhere:1', tokenId: '2002', side: 'BUY', price: '0.3', size: '7', fee: '0', tradeId: 't1' }),
    makeEvent('market_resolved', T0 + 2, { market: CONDITION, winningTokenId: '2002', winningOutcome: 'No' }),
  ];
  writeFileSync(path, events.map((e, i) => JSON.stringify({ ...e, seq: i + 1 })).join('\n') + '\n');
}

async function logOf(path: string): Promise<AnyEvent[]> {
  return (await readAllEvents(path)).records.map((r) => r.event);
}

it('pma start --live: a resolution redeemed once across a SIGKILL between broadcast and receipt and a restart (negRisk adapter); no double payout', async () => {
  const chain = await JsonRpcChain.start(137);
  chain.hold(wallet, '2001', 3_000_000n);
  chain.hold(wallet, '2002', 7_000_000n);
  chain.conditions.set(CONDITION, { tokenIds: ['2001', '2002'], winner: 1, negRisk: true });
  chain.approve(wallet, chain.contracts.negRiskAdapter);
  chain.holdReceipts = true;
  const ws = await WsReplayServer.start();
  const gamma = await PolymarketServer.start();
  gamma.markets = twentyMarkets();
  const env = {
    POLYMARKET_PRIVATE_KEY: privateKey,
    POLYMARKET_API_KEY: 'redeem-chaos-key',
    POLYMARKET_API_SECRET: Buffer.from('redeem-chaos-secret').toString('base64url'),
    POLYMARKET_API_PASSPHRASE: 'redeem-chaos-pass',
    BINANCE_WS_URL: ws.url,
    GAMMA_URL: gamma.url,
    CLOB_URL: gamma.url,
    CLOB_WS_URL: ws.url,
    CLOB_USER_WS_URL: `${ws.url}/ws/user`,
    RTDS_WS_URL: ws.url,
    POLYGON_RPC_URL: chain.url,
  };
  const configPath = join(dir, 'live.json');
  writeFileSync(configPath, JSON.stringify({ service: { mode: 'live' }, live: { receiptPollMs: 50 } }));
  const logPath = join(dir, 'events.jsonl');
  seedLog(logPath);
  const args = ['start', '--live', '--config', configPath, '--log', logPath, '--metrics-port', '0'];
  const children: ServiceProcess[] = [];
  try {
    // First life: the rebuild derives the intent, the redeemer logs the signed transaction and broadcasts it; killed before any receipt.
    const first = new ServiceProcess({ args, env });
    children.push(first);
    const sent = await first.killWhen((line) => line.msg === 'redemption sent', 'SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const afterKill = await logOf(logPath);
    expect(afterKill.filter((e) => e.type === 'redemption_intent' || e.type === 'redemption').map((e) => (e.type === 'redemption' ? `redemption:${e.status}` : e.type))).toEqual(['redemption_intent', 'redemption:submitted']);
    expect(chain.redemptions.length).toBe(1);
    expect(sent.txHash).toBe(chain.redemptions[0].hash);

    // Second life: the intent without an outcome is looked up by its transaction hash before anything is sent.
    chain.holdReceipts = false;
    const second = new ServiceProcess({ args, env });
    children.push(second);
    await second.started();
    const until = wallClock.now() + 30_000;
    while (!readFileSync(logPath, 'utf8').includes('"status":"confirmed"')) {
      if (wallClock.now() > until) throw new Error(`no confirmed redemption in the log:\n${second.stdout.slice(-2000)}`);
      await wallClock.sleep(50);
    }
    const served = JSON.parse((await second.control('/debug/portfolio')).body) as { cash: string; redeemable: Record<string, string>; realised: string };
    second.kill('SIGTERM');
    await second.exited;

    const events = await logOf(logPath);
    const redemptions = events.filter((e) => e.type === 'redemption_intent' || e.type === 'redemption');
    expect(redemptions.map((e) => (e.type === 'redemption' ? `redemption:${e.status}` : e.type))).toEqual(['redemption_intent', 'redemption:submitted', 'redemption:confirmed']);
    expect(redemptions[0]).toMatchObject({ route: 'neg_risk_adapter', tokenIds: ['2001', '2002'], winningTokenId: '2002', shares: '7' });
    expect(redemptions[2]).toMatchObject({ payout: '7', txHash: chain.redemptions[0].hash });
    // Exactly one redeemPositions reached the chain, through the adapter, for what the wallet held; it paid 7 once.
    expect(chain.redeemSends).toBe(1);
    expect(chain.redemptions.map((t) => [t.to.toLowerCase(), t.args])).toEqual([[chain.contracts.negRiskAdapter.toLowerCase(), [chain.contracts.collateral, `0x${'0'.repeat(64)}`, CONDITION, [1n, 2n]]]]);
    expect(chain.paid.get(wallet.toLowerCase())).toBe(7_000_000n);
    const folded = Portfolio.fromEvents('1000', events);
    expect([folded.cash().toString(), folded.realised().toString(), folded.redeemable()]).toEqual(['1004.9', '4.9', []]);
    expect([served.cash, served.realised, served.redeemable]).toEqual(['1004.9', '4.9', {}]);
    reportFigures('redemption across SIGKILL', { redeem_sends: chain.redeemSends, redemptions_mined: chain.redemptions.length, payouts_booked: events.filter((e) => e.type === 'redemption' && e.status === 'confirmed').length });
  } finally {
    for (const child of children) if (child.running) child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await chain.close();
    await ws.stop();
    await gamma.close();
  }
}, 120_000);
