import type { AnyStateMachine } from 'xstate';
import { EventLogWriter } from '../events/log';
import { makeEvent, type AnyEvent, type MarketInfo } from '../events/types';

/** 2024-08-08T00:00:00Z, the day of the repository's tick file. */
export const T0 = 1723075200000;

export function market(id: string, tokens: [string, string], yes: string): MarketInfo {
  const no = (1 - Number(yes)).toFixed(2);
  return {
    id,
    conditionId: `0xcond${id}`,
    slug: `btc-up-or-down-${id}`,
    question: `Bitcoin up or down (${id})?`,
    outcomes: ['Up', 'Down'],
    outcomePrices: [yes, no],
    tokenIds: tokens,
    negRisk: false,
    negRiskMarketId: null,
    negRiskAugmented: false,
    tickSize: '0.01',
    minSize: '5',
    feesEnabled: false,
    feeSchedule: null,
    endTs: T0 + 3_600_000,
    active: true,
    closed: false,
    acceptingOrders: true,
    bestBid: (Number(yes) - 0.01).toFixed(2),
    bestAsk: yes,
    groupItemTitle: null,
  };
}

/**
 * A log shaped like a paper run of the flash-crash strategy on two tokens: Binance trades every
 * 250 ms, a Gamma snapshot every 10 s, signals after some trades, and round trips
 * (watching -> entering -> holding -> exiting -> cooldown -> watching) each triggered by a book
 * update, with the order intent the transition emitted and the paper fill after it.
 */
export function tradeLogEvents(rounds = 6): AnyEvent[] {
  const out: AnyEvent[] = [];
  const tokens: [string, string] = ['tokA', 'tokB'];
  const states = ['watching', 'entering', 'holding', 'exiting', 'cooldown', 'watching'];
  let ts = T0;
  let tradeId = 1000;
  let price = 61_000;
  let n = 0;
  for (let round = 0; round < rounds; round++) {
    const token = tokens[round % 2];
    for (let step = 0; step + 1 < states.length; step++) {
      // Some quiet market between changes.
      for (let k = 0; k < 30; k++) {
        ts += 250;
        n++;
        price += ((n * 7919) % 11) - 5;
        out.push(makeEvent('trade', ts, { venue: 'binance', symbol: 'BTCUSDT', tradeId: tradeId++, price: `${price}.${n % 100}`, qty: `0.0${(n % 9) + 1}`, buyerMaker: n % 2 === 0 }));
        if (n % 40 === 0) {
          out.push(makeEvent('market_snapshot', ts, { source: 'gamma', request: '/markets?closed=false&limit=100', markets: [market('m1', ['tokA', 'tokB'], (0.3 + (n % 40) / 100).toFixed(2))] }));
        }
        if (n % 23 === 0) {
          out.push(
            makeEvent('signal', ts, { symbol: 'BTCUSDT', tradeId: tradeId - 1, change: -0.0061, direction: 'bearish', confirmed: n % 2 === 0, price: `${price}.${n % 100}`, qty: '0.05', avgQty: 0.021 }),
          );
        }
      }
      ts += 250;
      const from = states[step];
      const to = states[step + 1];
      out.push(makeEvent('book', ts, { source: 'clob_ws', tokenId: token, market: 'm1', bids: [{ price: '0.40', size: '120' }], asks: [{ price: '0.42', size: '80' }], tickSize: '0.01', minOrderSize: '5', negRisk: false, hash: `h${ts}` }));
      const orderId = `flashCrash:${token}:${round * 2 + (to === 'entering' ? 1 : 2)}`;
      if (to === 'entering' || to === 'exiting') {
        out.push(
          makeEvent('order_intent', ts, {
            orderId,
            strategy: 'flashCrash',
            marketId: 'm1',
            tokenId: token,
            outcome: 'Up',
            side: to === 'entering' ? 'BUY' : 'SELL',
            price: '0.42',
            size: '11.9',
            orderType: 'market',
            reason: to === 'entering' ? 'flash crash: 0.6 -> 0.42 (-30.0%) within 10000 ms' : 'take_profit: P&L 0.5000 USD at 0.46',
            groupId: null,
          }),
        );
      }
      out.push(makeEvent('strategy_state', ts, { strategy: 'flashCrash', key: token, from, to }));
      if (to === 'entering' || to === 'exiting') {
        out.push(makeEvent('fill', ts, { orderId, strategy: 'flashCrash', marketId: 'm1', tokenId: token, side: to === 'entering' ? 'BUY' : 'SELL', price: '0.42', size: '11.9', fee: '0', partial: false }));
      }
    }
  }
  return out;
}

/** Writes events to a new log at `path`; returns them with the seqs the writer gave them. */
export function writeLog(path: string, events: AnyEvent[]): AnyEvent[] {
  const w = EventLogWriter.open(path, { truncate: true, durability: 'batched' });
  try {
    return events.map((e) => w.append({ ...e }));
  } finally {
    w.close();
  }
}

/** Every state of a machine below the root, counted from the configuration its author wrote. */
export function configStateCount(machine: AnyStateMachine): number {
  type Config = { states?: Record<string, Config> };
  const count = (c: Config): number => Object.values(c.states ?? {}).reduce((sum, child) => sum + 1 + count(child), 0);
  return count(machine.config as Config);
}

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
