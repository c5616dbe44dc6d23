/**
 * A child process for the crash test: appends events to a log forever and prints `ack N` to stdout
 * after each append returns (i.e. after the event is durable per the policy). The parent SIGKILLs it.
 */
import { EventLogWriter, type Durability } from '../../events/log';
import { makeEvent, type MarketInfo } from '../../events/types';

const [path, durability] = process.argv.slice(2);
const log = EventLogWriter.open(path, { durability: durability as Durability });
const market = (i: number): MarketInfo => ({
  id: String(i), conditionId: `0x${i.toString(16).padStart(64, '0')}`, slug: `m-${i}`, question: 'Will it? '.repeat(20),
  outcomes: ['Yes', 'No'], outcomePrices: ['0.5', '0.5'], tokenIds: [`${i}1`, `${i}2`], negRisk: false, negRiskMarketId: null,
  negRiskAugmented: false, tickSize: '0.01', minSize: '5', feesEnabled: false, feeSchedule: null, endTs: null, active: true,
  closed: false, acceptingOrders: true, bestBid: '0.49', bestAsk: '0.51', groupItemTitle: null,
});
const bigMarkets = Array.from({ length: 600 }, (_, i) => market(i));
let n = log.lastSeq;
for (;;) {
  n++;
  // Mostly small lines, every 10th a ~450 kB snapshot: a kill can land inside that write.
  const e = n % 10 === 0
    ? makeEvent('market_snapshot', n, { source: 'gamma', request: '/markets', markets: bigMarkets })
    : makeEvent('trade', n, { venue: 'binance', symbol: 'BTCUSDT', tradeId: n, price: '61837.63', qty: '0.02', buyerMaker: n % 2 === 0 });
  log.append(e);
  process.stdout.write(`ack ${e.seq}\n`);
}
