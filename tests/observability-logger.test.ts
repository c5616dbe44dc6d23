import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../actors/observability/logger';
import { MIN_SECRET_LENGTH, secretValues } from '../actors/observability/secrets';

// Fake secrets shaped like the real ones (Anthropic key, Polygon private key, CLOB L2 credentials).
const ANTHROPIC = 'sk-ant-api03-FAKEfakeFAKEfake0123456789abcdefXYZ-_QQ';
const PRIVATE_HEX = '4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
const PRIVATE = `0x${PRIVATE_HEX}`;
const API_KEY = '0f6a9b3e-1d2c-4e5f-8a7b-9c0d1e2f3a4b';
const API_SECRET = 'dGhpcyBpcyBhIGZha2Ugc2VjcmV0IGZvciB0ZXN0cw==';
const PASSPHRASE = 'c0ffee0ddba11d00dfeedface1234567';
const OTHER_TOKEN = 'ghp_fakeGithubTokenValue1234567890';
/** Configured (not from the environment), with characters JSON escapes. */
const CONFIGURED = 'conf"igured\\secret-value';
/** Secrets whose values the logger is never told: only their key paths can hide them. */
const UNLISTED = ['unlisted-apikey-value-1', 'Bearer unlisted-bearer-2', 'unlisted-privkey-3', 'unlisted-sig-4', 'unlisted-creds-secret-5', 'unlisted-pass-6'];

const env: NodeJS.ProcessEnv = {
  ANTHROPIC_API_KEY: ANTHROPIC,
  POLYMARKET_PRIVATE_KEY: PRIVATE,
  POLYMARKET_API_KEY: API_KEY,
  POLYMARKET_API_SECRET: API_SECRET,
  POLYMARKET_API_PASSPHRASE: PASSPHRASE,
  DEPLOY_GITHUB_TOKEN: OTHER_TOKEN,
  PMA_LOG: 'var/events.jsonl',
  SHORT_TOKEN: 'abc',
};

const KNOWN = [ANTHROPIC, PRIVATE, PRIVATE_HEX, API_KEY, API_SECRET, PASSPHRASE, OTHER_TOKEN, CONFIGURED, JSON.stringify(CONFIGURED).slice(1, -1)];

describe('logger: secrets never reach the log file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pma-logger-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('redacts by value (messages, errors, stacks, causes, bindings) and by key path, keeping everything else', async () => {
    const file = join(dir, 'logs', 'service.log');
    const { logger, close } = createLogger({ file, env, secrets: [CONFIGURED] });

    logger.info(`connecting with key ${ANTHROPIC}`);
    const httpErr = new Error(`401 from https://clob.example/auth?key=${API_KEY}&passphrase=${PASSPHRASE}`);
    logger.error({ err: httpErr }, 'auth failed');
    logger.error(new Error(`signing failed for ${PRIVATE_HEX} (no 0x prefix)`));
    logger.warn({ err: new Error('order rejected', { cause: new Error(`bad secret ${API_SECRET}`) }) }, 'order failed');
    logger.child({ wallet: `key=${PRIVATE}` }).info('child logger with a secret in its bindings');
    logger.info({ note: `prefix${OTHER_TOKEN}suffix`, configured: CONFIGURED, tokenId: '123456789012345', key: 'BTC|directional_trend|0.53|0.48', plain: 'abc def' }, 'secrets inside longer strings');
    logger.info(
      {
        apiKey: UNLISTED[0],
        req: { headers: { authorization: UNLISTED[1], POLY_SIGNATURE: UNLISTED[3] } },
        wallet: { signer: { privateKey: UNLISTED[2] } },
        creds: { key: 'k', secret: UNLISTED[4], passphrase: UNLISTED[5] },
      },
      'secrets under secret-named keys',
    );
    await close();

    const text = readFileSync(file, 'utf8');
    for (const secret of [...KNOWN, ...UNLISTED]) expect(text).not.toContain(secret);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(7);

    expect(lines[0].msg).toBe('connecting with key [REDACTED]');
    expect(lines[1].err.message).toBe('401 from https://clob.example/auth?key=[REDACTED]&passphrase=[REDACTED]');
    expect(lines[1].err.stack).toContain('401 from https://clob.example/auth?key=[REDACTED]');
    expect(lines[2].err.message).toBe('signing failed for [REDACTED] (no 0x prefix)');
    expect(JSON.stringify(lines[3].err)).toContain('bad secret [REDACTED]');
    expect(lines[4].wallet).toBe('key=[REDACTED]');
    expect(lines[5]).toMatchObject({ note: 'prefix[REDACTED]suffix', configured: '[REDACTED]', tokenId: '123456789012345', key: 'BTC|directional_trend|0.53|0.48' });
    expect(lines[6]).toMatchObject({
      apiKey: '[REDACTED]',
      req: { headers: { authorization: '[REDACTED]', POLY_SIGNATURE: '[REDACTED]' } },
      wallet: { signer: { privateKey: '[REDACTED]' } },
      creds: '[REDACTED]',
      msg: 'secrets under secret-named keys',
    });
    // A value too short to be a secret (SHORT_TOKEN=abc) is not scrubbed from ordinary text.
    expect(lines[5].plain).toBe('abc def');
  });

  it('writes asynchronously in blocks: nothing reaches the file before a flush, everything after', async () => {
    const file = join(dir, 'async.log');
    const { logger, flush, close } = createLogger({ file, env });
    logger.info({ n: 1 }, 'one short line');
    expect(statSync(file).size).toBe(0);
    await flush();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ n: 1, msg: 'one short line', level: 30 });
    await close();
  });
});

describe('secret values from the environment', () => {
  it('takes the listed variables, anything named like a secret, both forms of a private key, and skips short values', () => {
    const values = secretValues(env, [CONFIGURED]);
    expect(new Set(values)).toEqual(new Set([ANTHROPIC, PRIVATE, PRIVATE_HEX, API_KEY, API_SECRET, PASSPHRASE, OTHER_TOKEN, CONFIGURED]));
    expect(values).not.toContain('abc');
    expect(values).not.toContain('var/events.jsonl');
    expect(values.every((v) => v.length >= MIN_SECRET_LENGTH)).toBe(true);
  });

  it('adds the 0x form of a bare 64-hex private key', () => {
    expect(secretValues({ POLYMARKET_PRIVATE_KEY: PRIVATE_HEX })).toEqual([PRIVATE_HEX, PRIVATE]);
  });
});
