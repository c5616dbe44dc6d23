import type { Hex } from 'viem';

// Apart from the CLOB client, so checking credentials loads no signing code.

export interface LiveCredentials {
  privateKey: Hex;
  apiKey: string;
  apiSecret: string;
  apiPassphrase: string;
  /** The funding wallet for proxy / safe signature types; null: the key's own address. */
  funder: string | null;
}

export const CREDENTIAL_VARIABLES = ['POLYMARKET_PRIVATE_KEY', 'POLYMARKET_API_KEY', 'POLYMARKET_API_SECRET', 'POLYMARKET_API_PASSPHRASE'] as const;

/** Reads the credentials from the environment; the error names missing or malformed variables, never values. */
export function liveCredentialsFromEnv(env: Record<string, string | undefined>): LiveCredentials {
  const missing = CREDENTIAL_VARIABLES.filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`live orders need ${missing.join(', ')} in the environment`);
  const raw = env.POLYMARKET_PRIVATE_KEY!.trim();
  const privateKey = (raw.startsWith('0x') ? raw : `0x${raw}`) as Hex;
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) throw new Error('POLYMARKET_PRIVATE_KEY is not a 32-byte hex key');
  const funder = env.POLYMARKET_FUNDER?.trim() || null;
  if (funder !== null && !/^0x[0-9a-fA-F]{40}$/.test(funder)) throw new Error('POLYMARKET_FUNDER is not an address (0x and 40 hex digits)');
  return { privateKey, apiKey: env.POLYMARKET_API_KEY!, apiSecret: env.POLYMARKET_API_SECRET!, apiPassphrase: env.POLYMARKET_API_PASSPHRASE!, funder };
}
