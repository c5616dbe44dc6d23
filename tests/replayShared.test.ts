import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayTickFile } from '../actors/replay';
import { checkReplayedLog } from './replayCheck';
import { DEFAULT_PARAMS, mergeByTime, readRecordedTrades, tickLine } from './streamsReference';
import { describeWithShared } from './support/shared';

const SPOT = 'binance/hftbacktest/spot';

describeWithShared(
  'replay of the full shared BTCUSDT and ETHUSDT recordings (2 x 10 min 50 s)',
  [`${SPOT}/btcusdt_20240808.gz`, `${SPOT}/btcusdt_20240809.gz`, `${SPOT}/ethusdt_20240808.gz`, `${SPOT}/ethusdt_20240809.gz`],
  ([btc1, btc2, eth1, eth2]) => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'pma-replay-shared-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('writes every trade and exactly the independently recomputed signals of both symbols', async () => {
      const btc = [...readRecordedTrades(btc1), ...readRecordedTrades(btc2)];
      const eth = [...readRecordedTrades(eth1), ...readRecordedTrades(eth2)];
      // the recordings' own trade counts (shared/data/SOURCES.md)
      expect([btc.length, eth.length]).toEqual([19_904, 14_515]);
      const all = mergeByTime(btc, eth);
      const ticks = join(dir, 'btc-eth.ticks.jsonl');
      writeFileSync(ticks, all.map((t, i) => tickLine(i + 1, t)).join('\n') + '\n');

      const summary = await replayTickFile({ ticks, out: join(dir, 'out.jsonl'), signals: DEFAULT_PARAMS });
      const { signals, reference } = checkReplayedLog(readFileSync(join(dir, 'out.jsonl'), 'utf8'), all, DEFAULT_PARAMS);

      const perSymbol = (symbol: string) => {
        const ref = reference.filter((r) => r.symbol === symbol);
        const confirmed = ref.filter((r) => r.confirmed).length;
        return { confirmed, unconfirmed: ref.length - confirmed };
      };
      expect(summary.signals).toEqual({ BTCUSDT: perSymbol('BTCUSDT'), ETHUSDT: perSymbol('ETHUSDT') });
      expect(summary.trades).toBe(all.length);
      expect(summary.written).toBe(all.length + signals);
      expect(signals).toBeGreaterThan(1_000);
    });
  },
);
