import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storyCitizen, testCitizens } from '../../adapters/index.ts';
import { EinmalError } from '../../core/index.ts';
import { testAuditors } from '../auditors.ts';
import { DEMO_AUDIENCE } from '../demo-federation.ts';
import {
  CLI_REDIRECT_URI,
  EIDAS_ACR,
  obtainCitizenToken,
  type RunningEidServer,
  startEidServer,
} from './index.ts';

let eid: RunningEidServer;
let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'einmal-eid-'));
  eid = await startEidServer({ port: 0, stateDir });
});

afterAll(async () => {
  await eid?.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** The public keys an eID provider serves. */
const fetchJwks = async (url: string) => (await (await fetch(url)).json()) as JSONWebKeySet;

/** An authorization request of the CLI client, PKCE unless `withoutPkce`. */
function authorizationUrl(options: { withoutPkce?: boolean } = {}): string {
  const params = new URLSearchParams({
    client_id: 'einmal-cli',
    response_type: 'code',
    redirect_uri: CLI_REDIRECT_URI,
    scope: 'openid population.address',
    resource: DEMO_AUDIENCE,
    state: 'st',
  });
  if (!options.withoutPkce) {
    params.set(
      'code_challenge',
      createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
    );
    params.set('code_challenge_method', 'S256');
  }
  return `${eid.issuer}/auth?${params}`;
}

describe('development eID provider', () => {
  it('publishes discovery with the JWKS, S256 PKCE and the eIDAS acr values', async () => {
    const meta = await (await fetch(`${eid.issuer}/.well-known/openid-configuration`)).json();
    expect(meta).toMatchObject({
      issuer: eid.issuer,
      jwks_uri: `${eid.issuer}/jwks`,
      code_challenge_methods_supported: ['S256'],
      acr_values_supported: Object.values(EIDAS_ACR),
    });
    const jwks = await fetchJwks(`${eid.issuer}/jwks`);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.keys[0]?.d).toBeUndefined();
  });

  it('issues an at+jwt for the instance audience with the citizen, level and granted scopes', async () => {
    const token = await obtainCitizenToken({
      issuer: eid.issuer,
      citizen: storyCitizen.id,
      scope: 'population.address vehicles.holder',
    });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const jwks = await fetchJwks(`${eid.issuer}/jwks`);
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: eid.issuer,
      audience: DEMO_AUDIENCE,
    });
    expect(payload).toMatchObject({
      sub: 'DE65402138797',
      acr: 'http://eidas.europa.eu/LoA/high',
      scope: 'population.address vehicles.holder',
      client_id: 'einmal-cli',
    });
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it('shows the test citizens with their 11-digit identifiers on the login page', async () => {
    const started = await fetch(authorizationUrl(), { redirect: 'manual' });
    expect(started.status).toBe(303);
    const cookies = started.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    const page = await fetch(new URL(started.headers.get('location')!, eid.issuer), {
      headers: { cookie: cookies },
    });
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const citizen of testCitizens) {
      expect(html).toContain(citizen.id.slice(2));
      expect(html).toContain(citizen.familyName);
    }
  });

  it('logs an auditor in with a staff account: role auditor, entitlements and the audit.search scope', async () => {
    const [petra, jonas] = testAuditors;
    const token = await obtainCitizenToken({ issuer: eid.issuer, citizen: jonas!.id, scope: 'audit.search' });
    const jwks = await fetchJwks(`${eid.issuer}/jwks`);
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { audience: DEMO_AUDIENCE });
    expect(payload).toMatchObject({
      sub: jonas!.id,
      scope: 'audit.search',
      roles: ['auditor'],
      entitlements: ['urn:einmal:DEMO:GOV:munich'],
      acr: EIDAS_ACR.high,
    });
    const instanceWide = await obtainCitizenToken({
      issuer: eid.issuer,
      citizen: petra!.id,
      scope: 'audit.search',
    });
    expect((await jwtVerify(instanceWide, createLocalJWKSet(jwks))).payload.entitlements).toEqual([
      'urn:einmal:DEMO',
    ]);
  });

  it('never gives a citizen the auditor role or scope', async () => {
    // The staff login lists staff accounts only, so a citizen cannot log in there ...
    await expect(
      obtainCitizenToken({ issuer: eid.issuer, citizen: storyCitizen.id, scope: 'audit.search' }),
    ).rejects.toMatchObject({ code: 'Eid.UnknownCitizen' });
    // ... and a citizen's own login carries no role.
    const token = await obtainCitizenToken({
      issuer: eid.issuer,
      citizen: storyCitizen.id,
      scope: 'audit.read',
    });
    expect(decodeJwt(token)).not.toHaveProperty('roles');
    expect(decodeJwt(token)).not.toHaveProperty('entitlements');
  });

  it('refuses the login of an unknown citizen', async () => {
    const attempt = obtainCitizenToken({
      issuer: eid.issuer,
      citizen: 'DE00000000000',
      scope: 'population.address',
    });
    await expect(attempt).rejects.toBeInstanceOf(EinmalError);
    await expect(attempt).rejects.toMatchObject({ code: 'Eid.UnknownCitizen' });
  });

  it('refuses an authorization request without PKCE', async () => {
    const response = await fetch(authorizationUrl({ withoutPkce: true }), { redirect: 'manual' });
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(CLI_REDIRECT_URI);
    expect(location.searchParams.get('error')).toBe('invalid_request');
  });

  it('keeps its signing key in the state directory, so tokens verify after a restart', async () => {
    const token = await obtainCitizenToken({
      issuer: eid.issuer,
      citizen: storyCitizen.id,
      scope: 'audit.read',
    });
    expect((await stat(join(stateDir, 'eid-provider-keys.json'))).mode & 0o077).toBe(0);
    const restarted = await startEidServer({ port: 0, stateDir, issuer: new URL(eid.issuer) });
    try {
      const { port } = restarted.server.address() as AddressInfo;
      const jwks = await fetchJwks(`http://127.0.0.1:${port}/jwks`);
      await expect(
        jwtVerify(token, createLocalJWKSet(jwks), { audience: DEMO_AUDIENCE }),
      ).resolves.toBeDefined();
    } finally {
      await restarted.close();
    }
  });
});
