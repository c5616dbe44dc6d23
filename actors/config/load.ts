import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema, type Config } from './schema';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Environment variables that override config keys (the contract of `pma start`). */
const ENV_KEYS: Record<string, [section: string, key: string]> = {
  BINANCE_WS_URL: ['feeds', 'binanceWsUrl'],
  GAMMA_URL: ['feeds', 'gammaUrl'],
  CLOB_URL: ['feeds', 'clobUrl'],
  CLOB_WS_URL: ['feeds', 'clobWsUrl'],
  CLOB_USER_WS_URL: ['feeds', 'clobUserWsUrl'],
  RTDS_WS_URL: ['feeds', 'rtdsWsUrl'],
  POLYGON_RPC_URL: ['live', 'rpcUrl'],
  ANTHROPIC_BASE_URL: ['llm', 'baseUrl'],
  PMA_LOG: ['log', 'path'],
  /** 0.0.0.0 inside a container (docker-compose.yml) so Prometheus can reach /metrics; 127.0.0.1 otherwise. */
  PMA_METRICS_HOST: ['service', 'metricsHost'],
};

export function describeIssue(issue: z.core.$ZodIssue, source: string): string {
  const key = issue.path.join('.') || '(top level)';
  let allowed = '';
  if (issue.code === 'invalid_value' && 'values' in issue) allowed = ` (allowed: ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`;
  if (issue.code === 'unrecognized_keys') return `${source}: unknown key ${issue.keys.map((k) => (key === '(top level)' ? k : `${key}.${k}`)).join(', ')}`;
  return `${source}: ${key}: ${issue.message}${allowed}`;
}

/** Validates a raw config object; every problem is named by its key. */
export function parseConfig(raw: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => describeIssue(i, source)).join('\n'));
  return result.data;
}

/** Reads a JSON config file (optional) and applies environment overrides, then validates. */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  let raw: Record<string, Record<string, unknown>> = {};
  const source = file ?? 'config';
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`${file}: cannot read config (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`${file}: not valid JSON (${(err as Error).message})`);
    }
  }
  for (const [name, [section, key]] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw = { ...raw, [section]: { ...(raw[section] ?? {}), [key]: value } };
  }
  return parseConfig(raw, source);
}

export const defaultConfig = (): Config => parseConfig({});
