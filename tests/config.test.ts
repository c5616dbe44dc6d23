import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, defaultConfig, loadConfig, parseConfig } from '../actors/config/load';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = defaultConfig();
    expect(c.signals).toEqual({ windowMs: 10_000, threshold: 0.001, volumeWindow: 60, volumeAverageOf: 30, volumeMultiplier: 2 });
    expect(c.scan.baseIntervalMs).toBe(2_000);
    expect(c.scan.minIntervalMs).toBe(500);
    expect(c.marketData.cacheTtlMs).toBe(2_000);
    expect(c.llm.cacheTtlMs).toBe(60_000);
    expect(c.service.mode).toBe('paper');
    expect(c.risk.maxHeatPct).toBe(0.3);
  });

  it('names every bad key and the allowed values', () => {
    let message = '';
    try {
      parseConfig({ service: { mode: 'yolo' }, risk: { maxHeatPct: 3 }, signals: { volumeAverageOf: 90 }, typo: 1 }, 'my.json');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain('my.json: service.mode: ');
    expect(message).toContain('(allowed: "paper", "live")');
    expect(message).toContain('my.json: risk.maxHeatPct: ');
    expect(message).toContain('my.json: signals.volumeAverageOf: volumeAverageOf must not exceed volumeWindow');
    expect(message).toContain('my.json: unknown key typo');
  });

  it('reads a file and lets the environment override endpoints', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pma-cfg-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ feeds: { gammaUrl: 'http://127.0.0.1:1/gamma' }, scan: { baseIntervalMs: 1000 } }));
      const c = loadConfig(file, { GAMMA_URL: 'http://127.0.0.1:2/g', CLOB_URL: 'http://127.0.0.1:3/c' });
      expect(c.feeds.gammaUrl).toBe('http://127.0.0.1:2/g');
      expect(c.feeds.clobUrl).toBe('http://127.0.0.1:3/c');
      expect(c.scan.baseIntervalMs).toBe(1000);
      writeFileSync(file, '{"scan": ');
      expect(() => loadConfig(file, {})).toThrow(`${file}: not valid JSON`);
      expect(() => loadConfig(join(dir, 'missing.json'), {})).toThrow(/missing.json: cannot read config \(ENOENT\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
