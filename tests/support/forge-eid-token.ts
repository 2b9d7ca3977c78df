import { createSecretKey, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { generateKeyPair, importJWK, type JWTPayload, SignJWT } from 'jose';
import { DEMO_AUDIENCE } from '../../dev/demo-federation.ts';
import { loadOrCreateEidProviderKeys } from '../../dev/eid/index.ts';
import type { LevelOfAssurance } from '../../schemas/index.ts';

/** The eIDAS `acr` value of a level, as the development eID provider issues it. */
export const acrOf = (level: LevelOfAssurance): string => `http://eidas.europa.eu/LoA/${level}`;

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Mints citizen eID access tokens for hostile-input tests. `real` signs with the development eID
 * provider's own key (read from `DIR/state/eid`, where the running provider keeps it), so a token
 * differs from a genuine one only in the claims a test changes; the other helpers make tokens no
 * trusted issuer would sign: a stranger's key, `alg: none`, an HMAC secret.
 *
 * @example
 * const tokens = await openEidTokenForge({ dir: federation.dir, issuer: federation.endpoints.eid.issuer });
 * const expired = await tokens.real({ sub: 'DE65402138797', exp: Math.floor(Date.now() / 1000) - 600 });
 */
export async function openEidTokenForge(options: { dir: string; issuer: string }) {
  const keys = await loadOrCreateEidProviderKeys(join(options.dir, 'state', 'eid'));
  const jwk = keys.jwks.keys[0]!;
  const issuerKey = await importJWK(jwk, 'ES256');

  /** The claims of a genuine access token for `sub`, overridden by `claims`. */
  const claimsFor = (claims: JWTPayload & { sub: string }): JWTPayload => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: options.issuer,
      aud: DEMO_AUDIENCE,
      iat: now,
      exp: now + 600,
      jti: randomUUID(),
      client_id: 'einmal-cli',
      acr: acrOf('high'),
      scope: 'population.address vehicles.holder',
      ...claims,
    };
  };

  return {
    /** Signed with the real issuer's key and `kid`; only the given claims differ from a genuine token. */
    real: (claims: JWTPayload & { sub: string }) =>
      new SignJWT(claimsFor(claims))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: jwk.kid as string })
        .sign(issuerKey),
    /** Signed with a freshly generated key the federation has never seen, claiming issuer `iss`. */
    async selfMade(claims: JWTPayload & { sub: string }) {
      const { privateKey } = await generateKeyPair('ES256');
      return new SignJWT(claimsFor(claims))
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'self-made' })
        .sign(privateKey);
    },
    /** An unsigned token (`alg: none`), otherwise genuine-looking. */
    unsigned: (claims: JWTPayload & { sub: string }) =>
      `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claimsFor(claims))}.`,
    /** HS256 with a secret an attacker chose, e.g. the issuer's public key bytes in the old confusion attack. */
    hmac: (claims: JWTPayload & { sub: string }, secret = 'not-a-secret-at-all-32-bytes-long!') =>
      new SignJWT(claimsFor(claims))
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid as string })
        .sign(createSecretKey(Buffer.from(secret))),
  };
}

export type EidTokenForge = Awaited<ReturnType<typeof openEidTokenForge>>;
