import type { Command } from 'commander';
import Big from 'big.js';
import { SystemClock } from '../../events/clock';
import { ConfigError, loadConfig } from '../../actors/config/load';
import type { Config } from '../../actors/config/schema';
import { redemptionsDue } from '../../actors/execution/live/redemptions';
import { loadRedeemer } from '../../actors/execution/live/loadRedeemer';
import { liveCredentialsFromEnv } from '../../actors/venues/polymarket/credentials';
import { EventLogWriter, readAllEvents } from '../../events/log';
import type { AnyEvent } from '../../events/types';

interface RedeemOptions {
  log?: string;
  config?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** `pma redeem [--dry-run] [--log FILE] [--config FILE] [--json]`. */
export function register(program: Command): void {
  program
    .command('redeem')
    .description(
      'With --dry-run, list what the resolutions in an event log make redeemable: every position a market_resolved settled, its ' +
        'condition id, shares, payout (1 USDC a winning share) and whether it redeems through the negRisk adapter. Without it (live ' +
        'config only, the service stopped): send the redemptions the log holds without a confirmed outcome (a `redemption_intent` ' +
        'never sent, sent without a receipt, or failed), append what the chain says to the log and print it (docs/live-orders.md).',
    )
    .option('--log <file>', 'event log (default: config log.path)')
    .option('--config <file>', 'JSON config file (risk.startingCapital, log.path; service.mode "live" and live.rpcUrl to send)')
    .option('--dry-run', 'show what would be redeemed; nothing is sent')
    .option('--json', 'one JSON object per line instead of a table')
    .addHelpText('after', '\nExamples:\n  pma redeem --dry-run --log var/events.jsonl\n  POLYGON_RPC_URL=https://… pma redeem --config live.json --log var/events.jsonl\n')
    .action(async (opts: RedeemOptions) => {
      let config: Config;
      try {
        config = loadConfig(opts.config);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        return refuse(err.message);
      }
      const logPath = opts.log ?? config.log.path;
      const events = (await readAllEvents(logPath)).records.map((r) => r.event);
      if (opts.dryRun) return dryRun(config, events, logPath, opts.json === true);
      await send(config, events, logPath, opts.json === true);
    });
}

function refuse(message: string): void {
  process.stderr.write(`pma redeem: ${message}\n`);
  process.exitCode = 2;
}

function dryRun(config: Config, events: AnyEvent[], logPath: string, json: boolean): void {
  const due = redemptionsDue(config.risk.startingCapital, events);
  if (json) {
    for (const r of due) process.stdout.write(JSON.stringify(r) + '\n');
    return;
  }
  // A live log's confirmed redemptions: those conditions are shown redeemed and left out of the total.
  const redeemed = new Map(events.flatMap((e) => (e.type === 'redemption' && e.status === 'confirmed' ? [[e.conditionId, e.txHash ?? '']] : [])));
  const open = due.filter((r) => !redeemed.has(r.conditionId));
  const total = open.reduce((sum, r) => sum.plus(r.payout), new Big(0));
  const lines = due.map((r) => `${new Date(r.ts).toISOString()}  ${r.conditionId}  ${r.strategy}  ${r.outcome || r.tokenId}  ${r.shares} shares  payout ${r.payout}  ${r.negRisk === null ? 'adapter unknown' : r.negRisk ? 'negRisk adapter' : 'CTF'}${redeemed.has(r.conditionId) ? `  redeemed ${redeemed.get(r.conditionId)}` : ''}`);
  process.stdout.write(`${lines.join('\n')}${lines.length ? '\n' : ''}dry run: ${open.filter((r) => new Big(r.payout).gt(0)).length} winning positions, ${total.toString()} USDC would be redeemed from ${logPath}; nothing was sent\n`);
}

/** Sends the log's unsettled redemption intents (retrying failed ones) one at a time and appends each outcome to the log. */
async function send(config: Config, events: AnyEvent[], logPath: string, json: boolean): Promise<void> {
  if (config.service.mode !== 'live') return refuse('sending redemptions needs service.mode "live" in the config (--dry-run lists them in any mode)');
  if (config.live.rpcUrl === '') return refuse('sending redemptions needs live.rpcUrl in the config or POLYGON_RPC_URL in the environment');
  let privateKey;
  try {
    privateKey = liveCredentialsFromEnv(process.env).privateKey;
  } catch (err) {
    return refuse((err as Error).message);
  }
  const log = EventLogWriter.open(logPath, { durability: config.log.durability });
  const problems: string[] = [];
  const redeemer = loadRedeemer(config.live, privateKey, {
    clock: new SystemClock(),
    append: async (event) => {
      log.append(event);
      log.flush();
      if (json) process.stdout.write(JSON.stringify(event) + '\n');
      else process.stdout.write(`${event.conditionId}  ${event.status}  ${event.txHash ?? '-'}  payout ${event.payout}  ${event.detail}\n`);
    },
    onApproval: (adapter, txHash) => (json ? process.stderr : process.stdout).write(`approval  ${adapter}  ${txHash}  setApprovalForAll(adapter, true) on ConditionalTokens\n`),
    onProblem: (problem) => {
      problems.push(problem);
      process.stderr.write(`pma redeem: ${problem}\n`);
    },
  })!;
  try {
    redeemer.recover(events);
    const open = redeemer.unsettled(true);
    await redeemer.resume(true);
    const confirmed = open.map((i) => redeemer.outcome(i.intentId)).filter((o) => o?.status === 'confirmed');
    const paid = confirmed.reduce((sum, o) => sum.plus(o!.payout), new Big(0));
    if (!json) process.stdout.write(`${open.length} redemptions to settle, ${confirmed.length} confirmed, ${paid.toString()} pUSD paid; outcomes appended to ${logPath}\n`);
    if (problems.length > 0 || confirmed.length < open.filter((i) => redeemer.outcome(i.intentId)?.status !== 'nothing_held').length) process.exitCode = 1;
  } finally {
    log.close();
  }
}
