import type { Command } from 'commander';
import Big from 'big.js';
import { ConfigError, loadConfig } from '../../actors/config/load';
import { redemptionsDue } from '../../actors/execution/live/redemptions';
import { readAllEvents } from '../../events/log';

interface RedeemOptions {
  log?: string;
  config?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** `pma redeem --dry-run [--log FILE] [--config FILE] [--json]`. */
export function register(program: Command): void {
  program
    .command('redeem')
    .description(
      'List what the resolutions in an event log make redeemable: every position a market_resolved settled, its ' +
        'condition id, shares, payout (1 USDC a winning share) and whether it redeems through the negRisk adapter. ' +
        'Only --dry-run exists: the service does not send redemption transactions yet (docs/live-orders.md, Limits).',
    )
    .option('--log <file>', 'event log (default: config log.path)')
    .option('--config <file>', 'JSON config file (risk.startingCapital, log.path)')
    .option('--dry-run', 'show what would be redeemed; nothing is sent')
    .option('--json', 'one JSON object per line instead of a table')
    .addHelpText('after', '\nExample:\n  pma redeem --dry-run --log var/events.jsonl\n')
    .action(async (opts: RedeemOptions) => {
      let config;
      try {
        config = loadConfig(opts.config);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        process.stderr.write(`pma redeem: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      if (!opts.dryRun) {
        process.stderr.write('pma redeem: on-chain redemption is not implemented; pass --dry-run to list what would be redeemed\n');
        process.exitCode = 2;
        return;
      }
      const logPath = opts.log ?? config.log.path;
      const events = (await readAllEvents(logPath)).records.map((r) => r.event);
      const due = redemptionsDue(config.risk.startingCapital, events);
      if (opts.json) {
        for (const r of due) process.stdout.write(JSON.stringify(r) + '\n');
        return;
      }
      const total = due.reduce((sum, r) => sum.plus(r.payout), new Big(0));
      const lines = due.map((r) => `${new Date(r.ts).toISOString()}  ${r.conditionId}  ${r.strategy}  ${r.outcome || r.tokenId}  ${r.shares} shares  payout ${r.payout}  ${r.negRisk === null ? 'adapter unknown' : r.negRisk ? 'negRisk adapter' : 'CTF'}`);
      process.stdout.write(`${lines.join('\n')}${lines.length ? '\n' : ''}dry run: ${due.filter((r) => new Big(r.payout).gt(0)).length} winning positions, ${total.toString()} USDC would be redeemed from ${logPath}; nothing was sent\n`);
    });
}
