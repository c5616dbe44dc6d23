/**
 * What the logger must never write: values of secrets known at start (scrubbed wherever they
 * appear in a line) and keys that hold secrets (redacted by path, whatever their value).
 */

/** Environment variables whose values are always secrets. */
export const SECRET_ENV = ['ANTHROPIC_API_KEY', 'POLYMARKET_PRIVATE_KEY', 'POLYMARKET_API_KEY', 'POLYMARKET_API_SECRET', 'POLYMARKET_API_PASSPHRASE', 'PMA_CONTROL_TOKEN'] as const;

/** Any other variable named like a secret (`..._API_KEY`, `..._SECRET`, `..._TOKEN`, ...) is one too. */
const SECRET_ENV_NAME = /(^|_)(API_?KEY|PRIVATE_?KEY|SECRET|PASSPHRASE|PASSWORD|TOKEN)$/i;

/** Shorter values are not scrubbed by value: replacing every "1" or "true" would mangle the logs. */
export const MIN_SECRET_LENGTH = 8;

export const CENSOR = '[REDACTED]';

/** Object keys whose value is a secret (Anthropic, Polymarket L1/L2 auth, clob-client `ApiKeyCreds`). */
export const SECRET_KEYS = [
  'apiKey',
  'api_key',
  'x-api-key',
  'privateKey',
  'private_key',
  'secret',
  'apiSecret',
  'api_secret',
  'passphrase',
  'apiPassphrase',
  'api_passphrase',
  'password',
  'signature',
  'authorization',
  'Authorization',
  'POLY_API_KEY',
  'POLY_SIGNATURE',
  'POLY_PASSPHRASE',
  'creds',
  'credentials',
] as const;

/**
 * pino `redact` paths for every secret key at the top level and up to `depth` objects deep
 * (pino's wildcard matches one level only; deeper secrets are caught by value when known).
 */
export function redactPaths(keys: readonly string[] = SECRET_KEYS, depth = 3): string[] {
  const paths: string[] = [];
  for (const key of keys) {
    const plain = /^[A-Za-z_$][\w$]*$/.test(key);
    for (let d = 0; d <= depth; d++) {
      const parents = Array<string>(d).fill('*').join('.');
      if (plain) paths.push(parents ? `${parents}.${key}` : key);
      else paths.push(`${parents}[${JSON.stringify(key)}]`);
    }
  }
  return paths;
}

/** Secret values from the environment (the fixed list and anything named like a secret) plus `extra`. */
export function secretValues(env: NodeJS.ProcessEnv, extra: readonly string[] = []): string[] {
  const values = new Set<string>();
  const add = (v: string | undefined): void => {
    const s = v?.trim();
    if (!s || s.length < MIN_SECRET_LENGTH) return;
    values.add(s);
    // A private key is written with or without its 0x prefix.
    if (/^0x[0-9a-f]+$/i.test(s) && s.length - 2 >= MIN_SECRET_LENGTH) values.add(s.slice(2));
    else if (/^[0-9a-f]{64}$/i.test(s)) values.add(`0x${s}`);
  };
  for (const name of SECRET_ENV) add(env[name]);
  for (const [name, value] of Object.entries(env)) if (SECRET_ENV_NAME.test(name)) add(value);
  for (const v of extra) add(v);
  return [...values];
}

/** Replaces every occurrence of a secret value (as written, and as escaped inside a JSON string). */
export class SecretScrubber {
  private readonly needles: string[];

  constructor(values: readonly string[]) {
    const needles = new Set<string>();
    for (const v of values) {
      needles.add(v);
      needles.add(JSON.stringify(v).slice(1, -1));
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.needles = [...needles].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.needles.length;
  }

  scrub(text: string): string {
    let out = text;
    for (const needle of this.needles) if (out.includes(needle)) out = out.split(needle).join(CENSOR);
    return out;
  }
}
