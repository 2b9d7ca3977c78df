import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EinmalError } from '../../core/index.ts';
import { storyCitizen, testCitizens } from '../../dev/citizens.ts';
import { DEMO_AUDIENCE } from '../../dev/demo-federation.ts';
import {
  eidasAcrLevels,
  obtainCitizenToken,
  type RunningEidServer,
  startEidServer,
} from '../../dev/eid/index.ts';
import { createEidVerifier, type EidTokenPolicy } from './index.ts';
import type { TrustedEidIssuer } from './trusted-issuers.ts';

const lowCitizen = testCitizens.find((c) => c.loa === 'low')!;
const addressPolicy: EidTokenPolicy = { requiredLoa: 'substantial', scope: 'population.address' };
const SELF_ISSUER = 'https://self-signed.example';

let eid: RunningEidServer;
let stateDir: string;
let providerIssuer: TrustedEidIssuer;
let storyToken: string;
let lowToken: string;
let selfIssuer: TrustedEidIssuer;
let selfKey: CryptoKey;

const now = () => Date.now();

/** A token of the inline-JWKS issuer, with claims a test chooses. */
const selfSigned = (claims: JWTPayload, typ = 'at+jwt') => {
  const iat = Math.floor(now() / 1000);
  return new SignJWT({
    iss: SELF_ISSUER,
    aud: DEMO_AUDIENCE,
    sub: 'DE65402138797',
    iat,
    exp: iat + 600,
    acr: 'http://eidas.europa.eu/LoA/high',
    scope: 'population.address',
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ, kid: 'self-1' })
    .sign(selfKey);
};

/** The refusal code of a verification that must fail. */
async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EinmalError) return error.code;
    throw error;
  }
  throw new Error('the token was accepted');
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'einmal-eid-'));
  eid = await startEidServer({ port: 0, stateDir });
  providerIssuer = { issuer: eid.issuer, jwksUri: `${eid.issuer}/jwks`, acr: eidasAcrLevels() };
  [storyToken, lowToken] = await Promise.all([
    obtainCitizenToken({
      issuer: eid.issuer,
      citizen: storyCitizen.id,
      scope: 'population.address vehicles.holder',
    }),
    obtainCitizenToken({ issuer: eid.issuer, citizen: lowCitizen.id, scope: 'population.address' }),
  ]);
  const pair = await generateKeyPair('ES256');
  selfKey = pair.privateKey;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'self-1', alg: 'ES256', use: 'sig' };
  selfIssuer = { issuer: SELF_ISSUER, jwks: { keys: [publicJwk] }, acr: eidasAcrLevels() };
});

afterAll(async () => {
  await eid?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe('createEidVerifier with tokens of the development eID provider', () => {
  const verifier = (overrides: Partial<Parameters<typeof createEidVerifier>[0]> = {}) =>
    createEidVerifier({
      issuers: [providerIssuer, selfIssuer],
      audience: DEMO_AUDIENCE,
      clock: now,
      ...overrides,
    });

  it('accepts a citizen token and returns its subject, level, scopes and digest', async () => {
    const verified = await verifier().verify(storyToken, addressPolicy);
    expect(verified).toMatchObject({
      subject: storyCitizen.id,
      issuer: eid.issuer,
      loa: 'high',
      scopes: ['population.address', 'vehicles.holder'],
      tokenDigest: createHash('sha256').update(storyToken).digest('base64url'),
    });
    expect(verified.expiresAt).toBeGreaterThan(now() + 9 * 60_000);
    expect(verified.expiresAt).toBeLessThanOrEqual(now() + 10 * 60_000 + 1000);
  });

  it('accepts a service without level or scope requirement', async () => {
    const verified = await verifier().verify(lowToken, { requiredLoa: null, scope: null });
    expect(verified).toMatchObject({ subject: lowCitizen.id, loa: 'low' });
  });

  it('refuses an expired token once the clock passes exp plus the skew', async () => {
    const later = verifier({ clock: () => now() + 11 * 60_000 });
    expect(await refusal(later.verify(storyToken, addressPolicy))).toBe('Server.ServerProxy.TokenExpired');
    const withinSkew = verifier({ clock: () => now() + 10 * 60_000 + 20_000 });
    await expect(withinSkew.verify(storyToken, addressPolicy)).resolves.toMatchObject({
      subject: storyCitizen.id,
    });
  });

  it('tells a token used too early from one used too late', async () => {
    const early = verifier({ clock: () => now() - 5 * 60_000 });
    expect(await refusal(early.verify(storyToken, addressPolicy))).toBe(
      'Server.ServerProxy.TokenNotYetValid',
    );
    const notBefore = await selfSigned({ nbf: Math.floor(now() / 1000) + 300 });
    expect(await refusal(verifier().verify(notBefore, addressPolicy))).toBe(
      'Server.ServerProxy.TokenNotYetValid',
    );
    const withinSkew = await selfSigned({ nbf: Math.floor(now() / 1000) + 20 });
    await expect(verifier().verify(withinSkew, addressPolicy)).resolves.toMatchObject({
      issuer: SELF_ISSUER,
    });
    const old = await selfSigned({ iat: Math.floor(now() / 1000) - 7200 });
    expect(await refusal(verifier().verify(old, addressPolicy))).toBe('Server.ServerProxy.TokenExpired');
  });

  it('refuses a token for another audience', async () => {
    const other = verifier({ audience: 'urn:einmal:OTHER' });
    expect(await refusal(other.verify(storyToken, addressPolicy))).toBe('Server.ServerProxy.TokenAudience');
  });

  it('refuses a token of an issuer not trusted, and accepts it once the directory lists the issuer', async () => {
    const withoutProvider = verifier({ issuers: [selfIssuer] });
    expect(await refusal(withoutProvider.verify(storyToken, addressPolicy))).toBe(
      'Server.ServerProxy.TokenIssuer',
    );
    withoutProvider.updateIssuers([selfIssuer, providerIssuer]);
    await expect(withoutProvider.verify(storyToken, addressPolicy)).resolves.toMatchObject({
      subject: storyCitizen.id,
    });
  });

  it('refuses alg none and HMAC tokens before looking up any key', async () => {
    const claims = {
      sub: storyCitizen.id,
      acr: 'http://eidas.europa.eu/LoA/high',
      scope: 'population.address',
    };
    const unsigned = new UnsecuredJWT(claims)
      .setIssuer(eid.issuer)
      .setAudience(DEMO_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .encode();
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(eid.issuer)
      .setAudience(DEMO_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('a shared secret anyone could guess'));
    let fetched = 0;
    const counting = verifier({
      fetch: (url, options) => {
        fetched += 1;
        return fetch(url, options);
      },
    });
    expect(await refusal(counting.verify(unsigned, addressPolicy))).toBe('Server.ServerProxy.TokenAlgorithm');
    expect(await refusal(counting.verify(hmac, addressPolicy))).toBe('Server.ServerProxy.TokenAlgorithm');
    expect(fetched).toBe(0);
  });

  it('refuses a level of assurance below the required one', async () => {
    expect(await refusal(verifier().verify(lowToken, addressPolicy))).toBe('Server.ServerProxy.TokenLevel');
  });

  it('refuses an acr value the issuer is not known to issue', async () => {
    const token = await selfSigned({ acr: 'urn:some:other:level' });
    expect(await refusal(verifier().verify(token, addressPolicy))).toBe('Server.ServerProxy.TokenLevel');
    const inherited = await selfSigned({ acr: 'toString' });
    expect(await refusal(verifier().verify(inherited, addressPolicy))).toBe('Server.ServerProxy.TokenLevel');
  });

  it('refuses a token that does not grant the service scope', async () => {
    const household = { requiredLoa: 'high', scope: 'population.household' } as const;
    expect(await refusal(verifier().verify(storyToken, household))).toBe('Server.ServerProxy.TokenScope');
  });

  it('refuses a malformed subject even when the signature verifies', async () => {
    await expect(verifier().verify(await selfSigned({}), addressPolicy)).resolves.toMatchObject({
      issuer: SELF_ISSUER,
    });
    // Lower-case letters after the country prefix: one person, one spelling, or the log breaks.
    for (const sub of [
      'not-a-subject',
      'de65402138797',
      'DEabcd1234',
      'DE6540213879a',
      'DE123',
      `DE${'1'.repeat(40)}`,
    ]) {
      const token = await selfSigned({ sub });
      expect(await refusal(verifier().verify(token, addressPolicy))).toBe('Server.ServerProxy.TokenSubject');
    }
  });

  it('refuses a tampered signature or payload', async () => {
    const [header, payload, signature] = storyToken.split('.') as [string, string, string];
    const middle = Math.floor(signature.length / 2);
    const flipped = signature[middle] === 'A' ? 'B' : 'A';
    const badSignature = `${header}.${payload}.${signature.slice(0, middle)}${flipped}${signature.slice(middle + 1)}`;
    expect(await refusal(verifier().verify(badSignature, addressPolicy))).toBe(
      'Server.ServerProxy.TokenInvalid',
    );

    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: lowCitizen.id })).toString('base64url');
    expect(await refusal(verifier().verify(`${header}.${forged}.${signature}`, addressPolicy))).toBe(
      'Server.ServerProxy.TokenInvalid',
    );
  });

  it('refuses a token that is not an access token (RFC 9068 typ)', async () => {
    const idToken = await selfSigned({}, 'JWT');
    expect(await refusal(verifier().verify(idToken, addressPolicy))).toBe('Server.ServerProxy.TokenInvalid');
  });

  it('answers TokenIssuerUnavailable when the issuer keys cannot be fetched', async () => {
    const unreachable = { ...providerIssuer, jwksUri: 'http://127.0.0.1:9/jwks' };
    const offline = verifier({ issuers: [unreachable] });
    expect(await refusal(offline.verify(storyToken, addressPolicy))).toBe(
      'Server.ServerProxy.TokenIssuerUnavailable',
    );
  });

  it('refuses any malformed input with a token code and never echoes the token', async () => {
    const part = fc.string({ unit: fc.constantFrom(...'AZaz09-_.=+/ '.split('')), maxLength: 40 });
    const arbitraryToken = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.tuple(part, part, part).map((parts) => parts.join('.')),
      fc
        .tuple(fc.json(), fc.json(), part)
        .map(
          ([h, p, s]) =>
            `${Buffer.from(h).toString('base64url')}.${Buffer.from(p).toString('base64url')}.${s}`,
        ),
    );
    const v = verifier();
    await fc.assert(
      fc.asyncProperty(arbitraryToken, async (token) => {
        try {
          await v.verify(token, addressPolicy);
        } catch (error) {
          expect(error).toBeInstanceOf(EinmalError);
          expect((error as EinmalError).code).toMatch(/^Server\.ServerProxy\.Token/);
          if (token.length > 8)
            expect(JSON.stringify((error as EinmalError).detail) ?? '').not.toContain(token);
          return;
        }
        throw new Error('accepted an arbitrary token');
      }),
      { numRuns: 300 },
    );
  });
});
