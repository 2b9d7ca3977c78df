import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storyCitizen, testCitizens } from '../../adapters/index.ts';
import {
  createCaStore,
  createCsr,
  createRootCa,
  exportPrivateKeyPem,
  generateKeyPair,
  normalizeSerial,
  openCaStore,
  toPem,
} from '../../certs/index.ts';
import type { ErrorCode } from '../../core/index.ts';
import { addRevocation } from '../../registry/index.ts';
import { auditRecordSchema, parseMemberId, type RequestClaims } from '../../schemas/index.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { acrOf, type EidTokenForge, openEidTokenForge } from '../support/forge-eid-token.ts';
import {
  digest,
  type ForgedAnswer,
  type ForgeKit,
  type ForgeSigner,
  flipSignatureByte,
  openForgeKit,
  requestClaims,
  signerFromPem,
  signForged,
  type TlsCredentials,
} from '../support/forge-request.ts';

const PROVIDER = 'DEMO/GOV/residents-office/gw1';
const CITY_GATEWAY = 'DEMO/GOV/munich/gw1';
const VEHICLE_GATEWAY = 'DEMO/GOV/vehicle-authority/gw1';
const CLIENT = 'DEMO/GOV/munich/parking-permits';
const ADDRESS = 'DEMO/GOV/residents-office/register/address-v1';
const HOUSEHOLD = 'DEMO/GOV/residents-office/register/household-v1';
const PURPOSE = 'parking-permit';

/**
 * docs/protocol.md §4: requests forged, replayed, tampered with or badly authorized, sent straight
 * at the residents' office gateway with valid mutual TLS. Each one must be refused with its own
 * stable code (header and body), never a 500, never reach the adapter, and leave a rejection record
 * in the provider's log. Every attack starts from a request the test first proves is accepted, and
 * changes one thing.
 */
describe('the provider gateway refuses hostile peer requests', () => {
  let federation: TestFederation;
  let forge: ForgeKit;
  let tokens: EidTokenForge;
  let city: ForgeSigner;
  let cityTls: TlsCredentials;
  let token: string;
  let foreignDir: string;

  beforeAll(async () => {
    federation = await startTestFederation();
    forge = await openForgeKit(federation);
    tokens = await openEidTokenForge({ dir: federation.dir, issuer: federation.endpoints.eid.issuer });
    [city, cityTls, token] = await Promise.all([
      forge.memberSigner('DEMO/GOV/munich'),
      forge.gatewayTls(CITY_GATEWAY),
      federation.citizenToken('population.address vehicles.holder'),
    ]);
    foreignDir = await mkdtemp(join(tmpdir(), 'einmal-foreign-ca-'));
  }, 120_000);
  afterAll(async () => {
    await forge?.close();
    await federation?.close();
    if (foreignDir) await rm(foreignDir, { recursive: true, force: true });
  });

  /** A signed address request by the city's permit system with the story citizen's token. */
  const addressClaims = (overrides: Partial<RequestClaims> = {}, eidToken = token) =>
    requestClaims({
      client: CLIENT,
      service: ADDRESS,
      purpose: PURPOSE,
      eid: digest(eidToken),
      ...overrides,
    });

  /** Sends `claims` signed by `signer` from the city's gateway, with `eidToken` attached. */
  const send = (
    claims: RequestClaims,
    options: Partial<Parameters<ForgeKit['send']>[1]> & {
      signer?: ForgeSigner;
      eidToken?: string | null;
    } = {},
  ) => {
    const { signer = city, eidToken = token, ...rest } = options;
    return forge.send(PROVIDER, {
      as: cityTls,
      claims,
      jws: signForged(claims, signer),
      ...rest,
      headers: { ...(eidToken === null ? {} : { 'einmal-eid-token': eidToken }), ...rest.headers },
    });
  };

  const providerLog = () => federation.gatewayDb(PROVIDER).selectFrom('audit_record').selectAll();

  /**
   * Runs one attack and checks everything a refusal must be: its own code in `X-Road-Error` and the
   * body's `type`, the code's status (never a 500), no signed answer and no register data, exactly
   * one new rejection record with that code (under the message id once the signature is known to
   * be genuine), and no record of the adapter having answered that message id.
   */
  async function expectRefused(
    code: ErrorCode,
    attack: () => Promise<ForgedAnswer>,
    messageId?: string,
  ): Promise<ForgedAnswer> {
    const before = await providerLog().where('error_code', '=', code).execute();
    const answer = await attack();
    expect(answer.headers['x-road-error'], answer.body).toBe(code);
    expect(answer.json).toMatchObject({ type: code, detail: expect.any(String) });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.headers['einmal-response']).toBeUndefined();
    expect(answer.body).not.toContain('München');
    expect(answer.body).not.toMatch(/stack|at .*\.ts:\d+/);

    const after = await providerLog().where('error_code', '=', code).orderBy('idx').execute();
    expect(after).toHaveLength(before.length + 1);
    const record = after.at(-1)!;
    expect(record).toMatchObject({ outcome: 'rejected', side: 'provider', status: answer.status });
    if (messageId !== undefined) {
      expect(record.message_id).toBe(messageId);
      const answered = await providerLog()
        .where('message_id', '=', messageId)
        .where('outcome', '!=', 'rejected')
        .execute();
      expect(answered).toEqual([]);
    }
    return answer;
  }

  it('accepts the unaltered forged-kit request (the control every attack changes one thing of)', async () => {
    const claims = addressClaims();
    const answer = await send(claims);
    expect(answer.status, answer.body).toBe(200);
    expect(answer.json).toMatchObject({ subject: storyCitizen.id, address: { city: 'München' } });
    expect(answer.headers['einmal-response']).toEqual(expect.any(String));
    const minted = await tokens.real({ sub: storyCitizen.id });
    const withMinted = await send(addressClaims({}, minted), { eidToken: minted });
    expect(withMinted.status, withMinted.body).toBe(200);
  });

  describe('signature and signer (§5 check 2)', () => {
    it('refuses a signature with one flipped bit', async () => {
      const claims = addressClaims();
      await expectRefused('Server.ServerProxy.InvalidSignature', () =>
        forge.send(PROVIDER, {
          as: cityTls,
          claims,
          jws: flipSignatureByte(signForged(claims, city)),
          headers: { 'einmal-eid-token': token },
        }),
      );
    });

    it('refuses a request for the city signed with another member’s key', async () => {
      const vehicles = await forge.memberSigner('DEMO/GOV/vehicle-authority');
      await expectRefused('Server.ServerProxy.SignerMismatch', () =>
        send(addressClaims(), { signer: vehicles }),
      );
    });

    it('refuses an x5c chain from a CA the federation does not approve', async () => {
      const foreign = await foreignCredentials('signing');
      const claims = addressClaims();
      await expectRefused('Server.ServerProxy.UntrustedSigner', () =>
        send(claims, { signer: signerFromPem(foreign.cert, foreign.key, foreign.ca) }),
      );
    });

    it('refuses a request without Einmal-Request', async () => {
      const claims = addressClaims();
      await expectRefused('Server.ServerProxy.MissingSignature', () =>
        forge.send(PROVIDER, { as: cityTls, claims, headers: { 'einmal-eid-token': token } }),
      );
    });

    it('refuses a signing certificate once the registry revokes it, within one directory refresh', async () => {
      // A second signing certificate for the city, so revoking it leaves the city's own key usable.
      const store = await openCaStore(join(federation.dir, federation.manifest.caStores.issuing));
      const keys = await generateKeyPair();
      const csrPem = await createCsr({
        keys,
        subject: 'CN=DEMO/GOV/munich second signing key, O=DEMO/GOV/munich',
        profile: 'signing',
        member: parseMemberId('DEMO/GOV/munich'),
      });
      const certificate = await store.issue({ csrPem, profile: 'signing' });
      const spare = signerFromPem(
        toPem(certificate),
        await exportPrivateKeyPem(keys.privateKey),
        forge.issuingCa,
      );

      const accepted = await send(addressClaims(), { signer: spare });
      expect(accepted.status, accepted.body).toBe(200);

      await addRevocation(federation.registry.db, {
        issuer: certificate.issuer,
        serialNumber: normalizeSerial(certificate.serialNumber),
        revokedAt: new Date(),
      });
      await federation.registry.publish();
      await federation.refreshDirectories();

      const claims = addressClaims();
      await expectRefused('Server.ServerProxy.RevokedSigner', () => send(claims, { signer: spare }));
    });
  });

  describe('the envelope: what the log must hold as it was signed (§5 check 2)', () => {
    it('refuses a validly signed request whose header carries a member of 6,000 characters', async () => {
      const claims = addressClaims();
      const jws = signForged(claims, city, { note: 'x'.repeat(6_000) });
      const answer = await expectRefused('Server.ServerProxy.MalformedSignature', () =>
        forge.send(PROVIDER, { as: cityTls, claims, jws, headers: { 'einmal-eid-token': token } }),
      );
      expect(answer.status).toBe(400);
      // Too large to keep, it is still named by its digest.
      const [record] = await providerLog()
        .where('error_code', '=', 'Server.ServerProxy.MalformedSignature')
        .orderBy('idx', 'desc')
        .limit(1)
        .execute();
      const stored = auditRecordSchema.parse(JSON.parse(Buffer.from(record!.canonical).toString('utf8')));
      expect(stored.requestSignature).toBeNull();
      expect(stored.requestDigest).toBe(digest(jws));
    });

    it.each([
      ['a key id', { kid: 'k1' }],
      ['a critical extension', { crit: ['exp'], exp: 1 }],
      ['a JWK set URL', { jku: 'https://attacker.example/jwks' }],
      ['five certificates in x5c', 'five'],
      ['another type', { typ: 'JWT' }],
    ] as const)('refuses a request JWS header with %s', async (_what, change) => {
      const claims = addressClaims();
      const header = change === 'five' ? { x5c: [...city.x5c, ...city.x5c, city.x5c[0]!] } : change;
      const jws = signForged(claims, city, header);
      await expectRefused('Server.ServerProxy.MalformedSignature', () =>
        forge.send(PROVIDER, { as: cityTls, claims, jws, headers: { 'einmal-eid-token': token } }),
      );
      // Small enough to keep: the refusal record holds the envelope as received.
      const [record] = await providerLog()
        .where('error_code', '=', 'Server.ServerProxy.MalformedSignature')
        .orderBy('idx', 'desc')
        .limit(1)
        .execute();
      expect(JSON.parse(Buffer.from(record!.canonical).toString('utf8')).requestSignature).toBe(jws);
    });

    it('refuses an envelope longer than the log holds, however it is padded', async () => {
      const claims = addressClaims({
        userId: 'u'.repeat(200),
        issue: 'i'.repeat(200),
        hiddenReason: 'r'.repeat(200),
      });
      const padded = { x5c: [...city.x5c, 'A'.repeat(4000)] };
      await expectRefused('Server.ServerProxy.MalformedSignature', () =>
        forge.send(PROVIDER, {
          as: cityTls,
          claims,
          jws: signForged(claims, city, padded),
          headers: { 'einmal-eid-token': token },
        }),
      );
    });

    it.each([
      ['the raw query instead of its digest', { query: 'name=Anna+Huber' }],
      ['an upper-case message id', 'upper'],
      ['a hiding date in the year 0000', { hiddenUntil: '0000-01-01T00:00:00.000Z', hiddenReason: 'x' }],
      ['a hiding date with an offset', { hiddenUntil: '2099-01-01T00:00:00+01:00', hiddenReason: 'x' }],
      ['an extra claim', { admin: true }],
      ['a lower-case subject', { subject: 'DEabcd12345' }],
    ] as const)(
      'refuses validly signed claims with %s as InvalidClaims, not InvalidSignature',
      async (_what, change) => {
        const base = addressClaims();
        const claims = (
          change === 'upper' ? { ...base, id: base.id.toUpperCase() } : { ...base, ...change }
        ) as RequestClaims;
        await expectRefused('Server.ServerProxy.InvalidClaims', () => send(claims));
      },
    );

    it('refuses a path that is not in its canonical form, although signed as sent', async () => {
      const claims = addressClaims({ path: '/r1/DEMO/GOV/residents-office/register/%61ddress-v1' });
      await expectRefused('Server.ServerProxy.NonCanonicalPath', () => send(claims));
    });

    it('refuses hiding on a service whose records may not be hidden', async () => {
      const claims = addressClaims({
        hiddenUntil: '9999-12-31T23:59:59.999Z',
        hiddenReason: 'Investigation',
      });
      await expectRefused('Server.ServerProxy.HidingNotAllowed', () => send(claims), claims.id);
    });
  });

  describe('TLS peer (§5 check 1)', () => {
    it('drops a client certificate from a foreign CA at the TLS handshake', async () => {
      const foreign = await foreignCredentials('auth');
      const before = await providerLog().execute();
      await expect(send(addressClaims(), { as: { cert: foreign.cert, key: foreign.key } })).rejects.toThrow();
      // Nothing reached the application, so there is nothing it could have logged.
      expect(await providerLog().execute()).toHaveLength(before.length);
    });

    it('refuses a valid federation certificate that no gateway lists (the operator’s)', async () => {
      const operator = await forge.operatorTls();
      await expectRefused('Server.ServerProxy.UnknownGateway', () => send(addressClaims(), { as: operator }));
    });

    it('refuses an information system’s client certificate used as a gateway', async () => {
      const isCert = await forge.clientTls(CLIENT);
      await expectRefused('Server.ServerProxy.UnknownGateway', () => send(addressClaims(), { as: isCert }));
    });

    it('refuses a client the calling gateway does not host', async () => {
      const vehicleTls = await forge.gatewayTls(VEHICLE_GATEWAY);
      const claims = addressClaims();
      await expectRefused(
        'Server.ServerProxy.ClientNotHosted',
        () => send(claims, { as: vehicleTls }),
        claims.id,
      );
    });
  });

  describe('binding, freshness and replay (§5 check 3)', () => {
    it('refuses a replayed message id; the first use is answered', async () => {
      const claims = addressClaims();
      const first = await send(claims);
      expect(first.status, first.body).toBe(200);
      const before = await providerLog().where('message_id', '=', claims.id).execute();
      const answer = await send(claims);
      expect(answer.headers['x-road-error']).toBe('Server.ServerProxy.Replay');
      expect(answer.status).toBe(403);
      const after = await providerLog().where('message_id', '=', claims.id).orderBy('idx').execute();
      expect(after).toHaveLength(before.length + 1);
      expect(after.at(-1)).toMatchObject({ outcome: 'rejected', error_code: 'Server.ServerProxy.Replay' });
    });

    it('refuses a request signed ten minutes ago', async () => {
      const claims = addressClaims({ iat: Math.floor(Date.now() / 1000) - 600 });
      await expectRefused('Server.ServerProxy.StaleRequest', () => send(claims), claims.id);
    });

    it('refuses a request dated in the future', async () => {
      const claims = addressClaims({ iat: Math.floor(Date.now() / 1000) + 600 });
      await expectRefused('Server.ServerProxy.StaleRequest', () => send(claims), claims.id);
    });

    it('refuses a body changed after signing', async () => {
      const claims = addressClaims({ method: 'POST', body: digest('{"subject":"DE65402138797"}') });
      await expectRefused(
        'Server.ServerProxy.BindingMismatch',
        () => send(claims, { body: '{"subject":"DE48517309264"}' }),
        claims.id,
      );
    });

    it('refuses a path changed after signing', async () => {
      const claims = addressClaims();
      await expectRefused(
        'Server.ServerProxy.BindingMismatch',
        () => send(claims, { path: `/r1/${HOUSEHOLD}` }),
        claims.id,
      );
    });

    it('refuses a query changed after signing', async () => {
      const claims = addressClaims({ query: digest('at=2026-01-01') });
      await expectRefused(
        'Server.ServerProxy.BindingMismatch',
        () => send(claims, { query: 'at=2020-01-01' }),
        claims.id,
      );
    });

    it('refuses a method changed after signing', async () => {
      const claims = addressClaims();
      await expectRefused(
        'Server.ServerProxy.BindingMismatch',
        () => send(claims, { method: 'DELETE' }),
        claims.id,
      );
    });
  });

  describe('access rights and service policy (§5 checks 4 and 5)', () => {
    it('refuses the vehicle authority, signing properly from its own gateway, on the address service', async () => {
      const [vehicles, vehicleTls] = await Promise.all([
        forge.memberSigner('DEMO/GOV/vehicle-authority'),
        forge.gatewayTls(VEHICLE_GATEWAY),
      ]);
      const claims = addressClaims({ client: 'DEMO/GOV/vehicle-authority/vehicles' });
      await expectRefused(
        'Server.ServerProxy.AccessDenied',
        () => send(claims, { signer: vehicles, as: vehicleTls }),
        claims.id,
      );
    });

    it('refuses a personal-data request without a purpose', async () => {
      const claims = addressClaims({ purpose: null });
      await expectRefused('Server.ServerProxy.PurposeRequired', () => send(claims), claims.id);
    });

    it('refuses a purpose the service does not list', async () => {
      const claims = addressClaims({ purpose: 'traffic-offence' });
      await expectRefused('Server.ServerProxy.PurposeNotAllowed', () => send(claims), claims.id);
    });

    it('refuses a declared subject without a legal basis and without a token', async () => {
      const claims = addressClaims({ eid: null, subject: testCitizens[3]!.id });
      await expectRefused(
        'Server.ServerProxy.AuthorizationRequired',
        () => send(claims, { eidToken: null }),
        claims.id,
      );
    });
  });

  describe('citizen eID token (§5 check 6, §6)', () => {
    const withToken = async (code: ErrorCode, eidToken: string, overrides: Partial<RequestClaims> = {}) => {
      const claims = addressClaims(overrides, eidToken);
      await expectRefused(code, () => send(claims, { eidToken }), claims.id);
    };
    const now = () => Math.floor(Date.now() / 1000);

    it('refuses an expired token signed by the real issuer', async () => {
      const expired = await tokens.real({ sub: storyCitizen.id, iat: now() - 1200, exp: now() - 600 });
      await withToken('Server.ServerProxy.TokenExpired', expired);
    });

    it('refuses a token for another audience', async () => {
      const elsewhere = await tokens.real({ sub: storyCitizen.id, aud: 'urn:einmal:OTHER' });
      await withToken('Server.ServerProxy.TokenAudience', elsewhere);
    });

    it('refuses a token from an issuer the directory does not trust (self-made key)', async () => {
      const stranger = await tokens.selfMade({ sub: storyCitizen.id, iss: 'https://eid.attacker.example' });
      await withToken('Server.ServerProxy.TokenIssuer', stranger);
    });

    it('refuses a token claiming the real issuer but signed with a self-made key', async () => {
      const impostor = await tokens.selfMade({ sub: storyCitizen.id });
      await withToken('Server.ServerProxy.TokenInvalid', impostor);
    });

    it('refuses an unsigned token (alg none)', async () => {
      await withToken('Server.ServerProxy.TokenAlgorithm', tokens.unsigned({ sub: storyCitizen.id }));
    });

    it('refuses an HS256 token', async () => {
      await withToken('Server.ServerProxy.TokenAlgorithm', await tokens.hmac({ sub: storyCitizen.id }));
    });

    it('refuses a citizen whose eID reaches only “low” on a “substantial” service', async () => {
      const low = testCitizens.find((c) => c.loa === 'low')!;
      const lowToken = await federation.citizenToken('population.address', low.id);
      await withToken('Server.ServerProxy.TokenLevel', lowToken);
      const minted = await tokens.real({ sub: storyCitizen.id, acr: acrOf('low') });
      await withToken('Server.ServerProxy.TokenLevel', minted);
    });

    it('refuses a token whose nbf lies in the future as not yet valid, not as expired', async () => {
      const early = await tokens.real({ sub: storyCitizen.id, nbf: now() + 600 });
      await withToken('Server.ServerProxy.TokenNotYetValid', early);
    });

    it('refuses a token of the trusted issuer whose subject the log could not hold', async () => {
      for (const sub of ['DEabcd12345', 'DE6540213879a']) {
        await withToken('Server.ServerProxy.TokenSubject', await tokens.real({ sub }));
      }
      // Every record the provider wrote stays valid for the offline verifier.
      for (const row of await providerLog().execute()) {
        const record = JSON.parse(Buffer.from(row.canonical).toString('utf8'));
        expect(auditRecordSchema.safeParse(record).success, JSON.stringify(record)).toBe(true);
      }
    });

    it('refuses a token whose scope does not cover the service', async () => {
      const vehiclesOnly = await federation.citizenToken('vehicles.holder');
      await withToken('Server.ServerProxy.TokenScope', vehiclesOnly);
    });

    it('refuses a declared subject that differs from the token’s', async () => {
      await withToken('Server.ServerProxy.SubjectMismatch', token, { subject: testCitizens[3]!.id });
    });

    it('refuses a token swapped for another citizen’s after signing', async () => {
      const other = await tokens.real({ sub: testCitizens[1]!.id });
      const claims = addressClaims({}, token);
      await expectRefused(
        'Server.ServerProxy.TokenBinding',
        () => send(claims, { eidToken: other }),
        claims.id,
      );
    });

    it('refuses a signed token digest sent without the token', async () => {
      const claims = addressClaims();
      await expectRefused(
        'Server.ServerProxy.TokenBinding',
        () => send(claims, { eidToken: null }),
        claims.id,
      );
    });
  });

  /** A key and certificate of `profile` from a root CA the federation has never heard of. */
  async function foreignCredentials(profile: 'auth' | 'signing') {
    const root = await createRootCa({ name: 'CN=Foreign Root CA, O=Elsewhere' });
    const store = await createCaStore(join(foreignDir, `${profile}-ca`), root, { force: true });
    const keys = await generateKeyPair();
    const csrPem = await createCsr({
      keys,
      subject: `CN=DEMO/GOV/munich/gw1, O=DEMO/GOV/munich`,
      profile,
      ...(profile === 'auth'
        ? { host: ['localhost', '127.0.0.1'] }
        : { member: parseMemberId('DEMO/GOV/munich') }),
    });
    const certificate = await store.issue({ csrPem, profile });
    return {
      cert: toPem(certificate),
      key: await exportPrivateKeyPem(keys.privateKey),
      ca: toPem(root.certificate),
    };
  }

  it('leaves every record of every gateway valid for the offline verifier', async () => {
    for (const gateway of federation.endpoints.gateways) {
      for (const row of await federation
        .gatewayDb(gateway.id)
        .selectFrom('audit_record')
        .selectAll()
        .execute()) {
        const record = JSON.parse(Buffer.from(row.canonical).toString('utf8'));
        expect(auditRecordSchema.safeParse(record).success, JSON.stringify(record)).toBe(true);
      }
    }
  });
});
