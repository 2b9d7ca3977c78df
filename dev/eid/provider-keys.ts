import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { z } from 'zod';
import { EinmalError } from '../../core/index.ts';

/** The provider's secrets: its token-signing keys (private JWKS) and its cookie-signing keys. */
export interface EidProviderKeys {
  readonly jwks: { readonly keys: readonly JWK[] };
  readonly cookieKeys: readonly string[];
}

const KEYS_FILE = 'eid-provider-keys.json';

const keysFile = z.object({
  jwks: z.object({
    keys: z
      .array(z.looseObject({ kty: z.literal('EC'), crv: z.literal('P-256'), d: z.string(), kid: z.string() }))
      .min(1),
  }),
  cookieKeys: z.array(z.string().min(32)).min(1),
});

/** Generates a fresh EC P-256 signing key and cookie key. */
export async function generateEidProviderKeys(): Promise<EidProviderKeys> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  return {
    jwks: { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] },
    cookieKeys: [randomBytes(32).toString('base64url')],
  };
}

/**
 * Reads the provider's keys from `stateDir`, generating and saving them (owner-only) on first
 * start, so tokens issued before a restart still verify after it.
 *
 * @example
 * const keys = await loadOrCreateEidProviderKeys('.einmal/eid');
 */
export async function loadOrCreateEidProviderKeys(stateDir: string): Promise<EidProviderKeys> {
  const path = join(stateDir, KEYS_FILE);
  const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing === undefined) {
    const keys = await generateEidProviderKeys();
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    try {
      await writeFile(path, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      return keys;
    } catch (error) {
      // Another process started at the same moment and won: use its keys.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      return loadOrCreateEidProviderKeys(stateDir);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(existing);
  } catch (error) {
    throw new EinmalError('Config.Invalid', { message: `${path} is not JSON`, cause: error });
  }
  const result = keysFile.safeParse(parsed);
  if (!result.success) {
    throw new EinmalError('Config.Invalid', { message: `${path} does not hold eID provider keys` });
  }
  return { jwks: { keys: result.data.jwks.keys as JWK[] }, cookieKeys: result.data.cookieKeys };
}
