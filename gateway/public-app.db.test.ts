import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractBundleArchive } from '../audit/bundle/index.ts';
import { getRoot, verifyInclusion } from '../audit/index.ts';
import { sampleAuditRecord } from '../bench/sample-audit-record.ts';
import {
  certificateDer,
  createChainVerifier,
  exportPrivateKeyPem,
  privateKeyObject,
  toPem,
} from '../certs/index.ts';
import { type Database, migrateToLatest } from '../core/database/index.ts';
import { silentLogger } from '../core/index.ts';
import { DEMO_AUDIENCE, demoServices } from '../dev/demo-federation.ts';
import { eidasAcrLevels } from '../dev/eid/index.ts';
import { cosignCheckpoint, createCheckpoint, hashFromBase64, signCheckpoint } from '../protocol/index.ts';
import type { AuditRecord, Directory } from '../schemas/index.ts';
import { createTestDatabase } from '../tests/support/database.ts';
import { createTestPki, demoDirectory, type IssuedCredential } from '../tests/support/directory-fixture.ts';
import { createOpenApiValidator } from '../tests/support/openapi-validator.ts';
import { createAuditLog } from './audit/audit-log.ts';
import { gatewayMigrations } from './db/migrations.ts';
import type { GatewayDb } from './db/tables.ts';
import { createEidVerifier } from './eid/index.ts';
import { createPublicApp } from './public-app.ts';

const TREE = 'DEMO/GOV/munich/gw1';
const ANNA = 'DE65402138797';
const LUKAS = 'DE48517309264';
const ISSUER = 'https://eid.test.example';
const ADDRESS = 'DEMO/GOV/residents-office/register/address-v1';
const VEHICLES = 'DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1';
const PERMITS = 'DEMO/GOV/munich/parking-permits';
const MINUTE = 60_000;
// Fixture time starts now, so the certificates issued at test start are valid at the app's clock.
const T0 = Math.floor(Date.now() / MINUTE) * MINUTE;

let database: Database;
let db: Kysely<GatewayDb>;
let app: ReturnType<typeof createPublicApp>;
const now = T0 + 60 * MINUTE;
let eidKey: CryptoKey;
let auditor: IssuedCredential;
let client: IssuedCredential;
let directory: Directory;
let anchorPem: string;
/** message ids by fixture position */
const ids: string[] = [];

/** A record of the fixture log; position `i` is logged at T0 + i minutes. */
function record(i: number, fields: Partial<AuditRecord>): AuditRecord {
  const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  ids[i] = id;
  return sampleAuditRecord({
    logTime: new Date(T0 + i * MINUTE).toISOString(),
    messageId: id,
    gateway: TREE,
    client: PERMITS,
    service: ADDRESS,
    subject: ANNA,
    ...fields,
  });
}

const token = (claims: JWTPayload = {}) => {
  const iat = Math.floor(now / 1000);
  return new SignJWT({
    iss: ISSUER,
    aud: DEMO_AUDIENCE,
    sub: ANNA,
    iat,
    exp: iat + 600,
    acr: 'http://eidas.europa.eu/LoA/substantial',
    scope: 'openid audit.read',
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
    .sign(eidKey);
};

/** What node-server hands the app for a TLS connection on which the peer presented `credential`. */
function tlsEnv(credential: IssuedCredential) {
  const raw = Buffer.from(certificateDer(credential.certificate));
  const fingerprint256 = createHash('sha256').update(raw).digest('hex').toUpperCase();
  const socket = {
    authorized: true,
    getPeerCertificate: () => ({
      raw,
      fingerprint256,
      serialNumber: credential.certificate.serialNumber,
      issuer: {},
    }),
  };
  return { incoming: { socket } } as never;
}

async function asCitizen(path: string, bearer?: string, init: RequestInit = {}) {
  const authorization = bearer ?? `Bearer ${await token()}`;
  const response = await app.request(path, { ...init, headers: { authorization, ...init.headers } });
  return { status: response.status, body: (await response.json()) as any };
}

async function asHolder(credential: IssuedCredential | undefined, path: string, init: RequestInit = {}) {
  const response = await app.request(path, init, credential ? tlsEnv(credential) : undefined);
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as any) : null };
}

/** RFC 9162 §2.1.3.2, written from the RFC text with bigint shifts, independent of audit/. */
function rfc9162VerifyInclusion(
  index: number,
  size: number,
  leaf: Buffer,
  path: Buffer[],
  root: Buffer,
): boolean {
  const h = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  if (fn > sn) return false;
  let r = leaf;
  for (const p of path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = h(Buffer.from([1]), p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = h(Buffer.from([1]), r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && r.equals(root);
}

/** The gateway's own published Data Tracker document, checked with an independent validator. */
let tracker: ReturnType<typeof createOpenApiValidator>;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateToLatest(database.db, { schema: 'gw_public', migrations: gatewayMigrations });
  db = database.db.withSchema('gw_public') as Kysely<GatewayDb>;

  const pki = await createTestPki();
  const member = await pki.issue({ profile: 'signing', subject: 'CN=munich', member: 'DEMO/GOV/munich' });
  const witness = await pki.issue({ profile: 'signing', subject: 'CN=witness', member: 'DEMO/GOV/registry' });
  auditor = await pki.issue({ profile: 'auditor', subject: 'CN=DEMO auditor, O=DEMO' });
  client = await pki.issue({ profile: 'auth', subject: 'CN=gw, O=DEMO', host: ['localhost'] });
  const verifier = createChainVerifier({
    anchors: [pki.root.certificate],
    intermediates: [pki.issuing.certificate],
  });

  const pair = await generateKeyPair('ES256');
  eidKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const eid = createEidVerifier({
    issuers: [{ issuer: ISSUER, jwks: { keys: [jwk] }, acr: eidasAcrLevels() }],
    audience: DEMO_AUDIENCE,
    clock: () => now,
  });
  directory = {
    ...demoDirectory({ version: 1, issuedAt: new Date(T0) }),
    services: demoServices.map((s) => ({ ...s, purposes: [...s.purposes], legalBases: [...s.legalBases] })),
    eidIssuers: [{ issuer: ISSUER, jwks: { keys: [jwk] }, acr: eidasAcrLevels(), roles: ['auditor'] }],
  };
  anchorPem = toPem(pki.root.certificate);
  app = createPublicApp({
    db,
    log: silentLogger,
    clock: () => now,
    directory: () => directory,
    eid,
    verifyCertificate: (der, usage) => verifier.verify(der, { usage, at: new Date(now) }),
    adminToken: 'test-admin-token-0123456789',
    gatewayId: TREE,
    anchorPem,
    tree: TREE,
  });
  tracker = createOpenApiValidator(await (await app.request('/v3/openapi.json')).json());

  // The fixture log, appended through the real group-commit writer.
  const log = createAuditLog({ db, tree: TREE, log: silentLogger });
  const fixture = [
    record(0, { userId: 'DE-munich-clerk-17', issue: 'PP-2025-0042' }),
    record(1, { subject: LUKAS }),
    record(2, { side: 'provider', service: VEHICLES, legalBasis: 'de-stvg-35', path: '/r1/x' }),
    record(3, {
      service: VEHICLES,
      purpose: 'traffic-offence',
      legalBasis: 'de-stvg-35',
      hiddenUntil: new Date(T0 + 24 * 60 * MINUTE).toISOString(),
      hiddenReason: 'Investigation of a traffic offence',
    }),
    record(4, { status: 403, outcome: 'rejected', errorCode: 'Server.ServerProxy.AccessDenied' }),
  ];
  for (const r of fixture) await log.append(r);

  // Witnessed at size 4; a newer checkpoint not yet cosigned must not be used.
  const chain = [Buffer.from(certificateDer(member.certificate)).toString('base64')];
  const witnessChain = [Buffer.from(certificateDer(witness.certificate)).toString('base64')];
  const signer = privateKeyObject(await exportPrivateKeyPem(member.keys.privateKey));
  const witnessKey = privateKeyObject(await exportPrivateKeyPem(witness.keys.privateKey));
  for (const [size, cosigned] of [
    [4, true],
    [5, false],
  ] as const) {
    const checkpoint = createCheckpoint({
      origin: TREE,
      size,
      root: await getRoot(db, TREE, size),
      now: new Date(T0),
    });
    const jws = await signCheckpoint({ checkpoint, privateKey: signer, certificateChain: chain });
    const cosignature = cosigned
      ? await cosignCheckpoint({ checkpoint, privateKey: witnessKey, certificateChain: witnessChain })
      : null;
    await db
      .insertInto('checkpoint')
      .values({ tree: TREE, size, root: checkpoint.root, time: new Date(checkpoint.time), jws, cosignature })
      .execute();
  }
  await log.append(record(5, {}));
  await log.drain();
}, 120_000);

afterAll(async () => {
  await database?.close();
});

describe('GET /citizen/v1/records', () => {
  it('lists only the citizen’s own visible records, newest first, with names and titles', async () => {
    const { status, body } = await asCitizen('/citizen/v1/records');
    expect(status).toBe(200);
    expect(body.subject).toBe(ANNA);
    // 1 is Lukas’s; 3 is hidden until tomorrow.
    expect(body.records.map((r: any) => r.messageId)).toEqual([ids[5], ids[4], ids[2], ids[0]]);
    const oldest = body.records[3];
    expect(oldest).toMatchObject({
      side: 'consumer',
      time: new Date(T0).toISOString(),
      agency: { member: 'DEMO/GOV/munich', name: expect.any(String), client: PERMITS },
      data: { service: ADDRESS, title: 'Registered address' },
      purpose: { code: 'parking-permit', title: 'Application for a resident parking permit' },
      official: 'DE-munich-clerk-17',
      issue: 'PP-2025-0042',
      status: 200,
      outcome: 'ok',
    });
    expect(body.records[2].legalBasis).toEqual({
      code: 'de-stvg-35',
      title: '§ 35 Road Traffic Act (transfer of vehicle register data)',
    });
    expect(body.records[1]).toMatchObject({ status: 403, outcome: 'rejected' });
    expect(JSON.stringify(body)).not.toContain(LUKAS);
  });

  it('pages with a cursor without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=1&cursor=${cursor}` : '?limit=1';
      const { status, body } = await asCitizen(`/citizen/v1/records${query}`);
      expect(status).toBe(200);
      expect(body.records.length).toBeLessThanOrEqual(1);
      seen.push(...body.records.map((r: any) => r.messageId));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([ids[5], ids[4], ids[2], ids[0]]);
  });

  it('proves each witnessed record against the latest cosigned checkpoint; newer ones are pending', async () => {
    const { body } = await asCitizen('/citizen/v1/records');
    expect(body.checkpoints).toHaveLength(1);
    const checkpoint = body.checkpoints[0];
    expect(checkpoint).toMatchObject({ tree: TREE, size: 4 });
    expect(checkpoint.jws.split('.')).toHaveLength(3);
    expect(checkpoint.cosignature.split('.')).toHaveLength(3);
    const byId = new Map(body.records.map((r: any) => [r.messageId, r]));
    expect((byId.get(ids[5]) as any).proof).toBeNull();
    expect((byId.get(ids[4]) as any).proof).toBeNull();
    for (const id of [ids[2], ids[0]]) {
      const proof = (byId.get(id) as any).proof;
      expect(proof.treeSize).toBe(4);
      // The leaf is the record shown: SHA-256(0x00 ‖ canonical record).
      const leaf = createHash('sha256')
        .update(Buffer.from([0]))
        .update(proof.record)
        .digest();
      expect(leaf.toString('base64')).toBe(proof.leafHash);
      expect(JSON.parse(proof.record).messageId).toBe(id);
      const path = proof.proof.map((p: string) => Buffer.from(p, 'base64'));
      const root = Buffer.from(checkpoint.root, 'base64');
      expect(rfc9162VerifyInclusion(proof.leafIndex, proof.treeSize, leaf, path, root)).toBe(true);
      expect(() =>
        verifyInclusion({
          leafIndex: proof.leafIndex,
          treeSize: proof.treeSize,
          leafHash: hashFromBase64(proof.leafHash),
          proof: proof.proof.map((p: string) => hashFromBase64(p)),
          root: hashFromBase64(checkpoint.root),
        }),
      ).not.toThrow();
      // A tampered record no longer verifies.
      const forged = createHash('sha256')
        .update(Buffer.from([0]))
        .update(proof.record.replace('GET', 'PUT'))
        .digest();
      expect(rfc9162VerifyInclusion(proof.leafIndex, proof.treeSize, forged, path, root)).toBe(false);
    }
  });

  it('refuses a missing, expired, wrongly scoped, low-level or forged token with its code', async () => {
    const cases: [string | undefined, number, string][] = [
      ['', 401, 'Client.Unauthenticated'],
      [
        `Bearer ${await token({ exp: Math.floor(now / 1000) - 3600, iat: Math.floor(now / 1000) - 4000 })}`,
        401,
        'Server.ServerProxy.TokenExpired',
      ],
      [`Bearer ${await token({ scope: 'openid population.address' })}`, 403, 'Server.ServerProxy.TokenScope'],
      [
        `Bearer ${await token({ acr: 'http://eidas.europa.eu/LoA/low' })}`,
        403,
        'Server.ServerProxy.TokenLevel',
      ],
      [`Bearer ${(await token()).slice(0, -4)}AAAA`, 401, 'Server.ServerProxy.TokenInvalid'],
      [`Bearer ${await token({ aud: 'urn:einmal:OTHER' })}`, 401, 'Server.ServerProxy.TokenAudience'],
    ];
    for (const [authorization, status, type] of cases) {
      const { status: got, body } = await asCitizen('/citizen/v1/records', authorization);
      expect([got, body.type], type).toEqual([status, type]);
      expect(JSON.stringify(body)).not.toContain(ANNA);
    }
  });

  it('refuses a malformed cursor or limit with 400, never a 500', async () => {
    for (const query of ['?cursor=%%%', '?cursor=eyJhIjoxfQ', '?limit=0', '?limit=100000', '?limit=abc']) {
      const { status, body } = await asCitizen(`/citizen/v1/records${query}`);
      expect([status, body.type], query).toEqual([400, 'Client.BadRequest']);
    }
  });
});

describe('Data Tracker v3', () => {
  /** Every answer is checked against the gateway's published document before the test reads it. */
  const conforming = <T extends { status: number; body: unknown }>(answer: T): T => {
    expect(tracker.response('GET', '/v3/findUsage', answer.status, answer.body)).toEqual([]);
    return answer;
  };
  const findUsage = async (query: string, userId = ANNA, bearer?: string) =>
    conforming(await asCitizen(`/v3/findUsage?${query}`, bearer, { headers: { 'x-road-userid': userId } }));

  it('answers findUsage in the spec’s shape with the citizen’s completed, visible usages', async () => {
    const { status, body } = await findUsage(`userCode=${ANNA}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      totalUsages: 3,
      returnedUsages: 3,
      dataProcessings: [],
      internalProcessings: [],
    });
    expect(body.dataRequests.map((u: any) => u.queryId)).toEqual([ids[5], ids[0]]);
    expect(body.dataResponses.map((u: any) => u.queryId)).toEqual([ids[2]]);
    expect(body.dataRequests[1]).toMatchObject({
      purpose: 'Application for a resident parking permit',
      logSourceSystem: 'parking-permits',
      queryGroupId: 'munich-PP-2025-0042',
      initiatorOrg: { type: 'GOV', systemName: 'parking-permits' },
      initiatorPerson: { alternativeCode: 'DE-munich-clerk-17' },
      target: { type: 'GOV', systemName: 'register' },
    });
  });

  it('honours processingType, period, limit and offset', async () => {
    const requests = await findUsage(`userCode=${ANNA}&processingType=DATA_REQUEST`);
    expect(requests.body).toMatchObject({ totalUsages: 2, dataResponses: null, dataProcessings: null });
    const paged = await findUsage(`userCode=${ANNA}&limit=1&offset=1`);
    expect(paged.body).toMatchObject({ totalUsages: 3, returnedUsages: 1 });
    expect(paged.body.dataResponses.map((u: any) => u.queryId)).toEqual([ids[2]]);
    const period = await findUsage(
      `userCode=${ANNA}&periodStart=${new Date(T0 + MINUTE).toISOString()}&periodEnd=${new Date(T0 + 2 * MINUTE).toISOString()}`,
    );
    expect(period.body.totalUsages).toBe(1);
    const systems = await findUsage(`userCode=${ANNA}&logSourceSystems=vehicles`);
    expect(systems.body.totalUsages).toBe(1);
  });

  it('refuses bad parameters, another person’s userCode and a missing X-Road-UserId', async () => {
    for (const query of [
      `userCode=${ANNA}&limit=10001`,
      `userCode=${ANNA}&processingType=OTHER`,
      'userCode=x',
    ]) {
      const { status, body } = await findUsage(query);
      expect([status, body.code], query).toEqual([400, 'Client.BadRequest']);
    }
    const other = await findUsage(`userCode=${LUKAS}`);
    expect([other.status, other.body.code]).toEqual([403, 'Client.Forbidden']);
    const noUserId = await app.request(`/v3/findUsage?userCode=${ANNA}`, {
      headers: { authorization: `Bearer ${await token()}` },
    });
    expect(noUserId.status).toBe(400);
    const anonymous = conforming(
      await asHolder(undefined, `/v3/findUsage?userCode=${ANNA}`, { headers: { 'x-road-userid': ANNA } }),
    );
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'Client.Unauthenticated']);
  });

  it('lets an auditor certificate read any citizen’s usage', async () => {
    const { status, body } = conforming(
      await asHolder(auditor, `/v3/findUsage?userCode=${LUKAS}`, {
        headers: { 'x-road-userid': 'DE81963547205' },
      }),
    );
    expect(status).toBe(200);
    expect(body.totalUsages).toBe(1);
  });

  it('publishes its OpenAPI document, which tells a conforming answer from a deviating one', async () => {
    const response = await app.request('/v3/openapi.json');
    const document = (await response.json()) as any;
    expect([response.status, document.openapi]).toEqual([200, '3.1.1']);
    expect(Object.keys(document.paths).sort()).toEqual(['/v3/disclose', '/v3/findUsage', '/v3/heartbeat']);
    const { body } = await findUsage(`userCode=${ANNA}`);
    const usage = body.dataRequests[0];
    const withoutTarget = { ...usage };
    delete withoutTarget.target;
    for (const deviating of [
      { ...body, dataRequests: [withoutTarget] },
      { ...body, dataRequests: [{ ...usage, initiatorOrg: { type: 'STATE', name: 'x' } }] },
      { ...body, dataRequests: [{ ...usage, logTime: 'yesterday' }] },
      { ...body, dataRequests: [{ ...usage, leakedField: true }] },
      { ...body, totalUsages: '3' },
    ]) {
      expect(tracker.response('GET', '/v3/findUsage', 200, deviating)).not.toEqual([]);
    }
    expect(tracker.response('GET', '/v3/findUsage', 418, {})).toEqual([
      'GET /v3/findUsage documents no 418 response',
    ]);
  });

  it('answers heartbeat', async () => {
    const response = await app.request('/v3/heartbeat');
    const body = await response.json();
    expect(response.status).toBe(200);
    expect(tracker.response('GET', '/v3/heartbeat', response.status, body)).toEqual([]);
    expect(body).toEqual({ status: 'OK', message: 'API is ready' });
  });

  it('discloses a hidden record only for the data controller; it becomes visible at once', async () => {
    const items = [
      {
        queryId: ids[3],
        hiddenReason: 'Investigation closed',
        hiddenUntil: new Date(now - MINUTE).toISOString(),
      },
    ];
    const post = async (
      credential?: IssuedCredential,
      headers: Record<string, string> = {},
      body: unknown = items,
    ) => {
      const answer = await asHolder(credential, '/v3/disclose', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      expect(tracker.response('POST', '/v3/disclose', answer.status, answer.body)).toEqual([]);
      return answer;
    };
    expect(tracker.request('POST', '/v3/disclose', items)).toEqual([]);
    expect((await post()).status).toBe(401);
    expect((await post(undefined, { authorization: 'Bearer wrong-token-wrong-token' })).body.code).toBe(
      'Audit.NotController',
    );
    expect((await post(client)).body.code).toBe('Audit.NotController');
    const citizenTry = await post(undefined, { authorization: `Bearer ${await token()}` });
    expect(citizenTry.status).toBe(403);
    const unknown = await post(auditor, {}, [
      { ...items[0], queryId: '00000000-0000-4000-8000-999999999999' },
    ]);
    expect(unknown.status).toBe(404);
    for (const bad of [[], [{ queryId: ids[3] }], 'x']) {
      expect(tracker.request('POST', '/v3/disclose', bad), JSON.stringify(bad)).not.toEqual([]);
      expect((await post(auditor, {}, bad)).status).toBe(400);
    }

    const before = await asCitizen('/citizen/v1/records');
    expect(before.body.records.map((r: any) => r.messageId)).not.toContain(ids[3]);
    const done = await post(auditor);
    expect(done.status).toBe(200);
    const after = await asCitizen('/citizen/v1/records');
    const disclosed = after.body.records.find((r: any) => r.messageId === ids[3]);
    expect(disclosed).toMatchObject({ hiddenReason: 'Investigation closed', proof: { treeSize: 4 } });
    const usage = await findUsage(`userCode=${ANNA}`);
    expect(usage.body.dataRequests.find((u: any) => u.queryId === ids[3])).toMatchObject({
      hiddenReason: 'Investigation closed',
      hiddenUntil: items[0]!.hiddenUntil,
    });
  });
});

describe('auditor API', () => {
  it('refuses callers without an auditor certificate', async () => {
    expect((await asHolder(undefined, '/audit/v1/records')).status).toBe(401);
    const wrong = await asHolder(client, '/audit/v1/records');
    expect([wrong.status, wrong.body.type]).toEqual([403, 'Audit.NotAuditor']);
    const citizen = await asCitizen('/audit/v1/records');
    expect([citizen.status, citizen.body.type]).toEqual([403, 'Server.ServerProxy.TokenScope']);
  });

  it('filters by member, service, subject, time, status and outcome, hidden records included', async () => {
    const query = async (q: string) => {
      const { status, body } = await asHolder(auditor, `/audit/v1/records?${q}`);
      expect(status, q).toBe(200);
      return body.records.map((r: any) => r.record.messageId);
    };
    expect(await query('')).toEqual([5, 4, 3, 2, 1, 0].map((i) => ids[i]));
    expect(await query(`subject=${LUKAS}`)).toEqual([ids[1]]);
    expect(await query(`service=${VEHICLES}`)).toEqual([ids[3], ids[2]]);
    expect(await query('member=DEMO/GOV/vehicle-authority')).toEqual([ids[3], ids[2]]);
    expect(await query('member=DEMO/GOV/munich')).toHaveLength(6);
    expect(await query('status=403')).toEqual([ids[4]]);
    expect(await query('outcome=rejected')).toEqual([ids[4]]);
    const from = new Date(T0 + MINUTE).toISOString();
    const to = new Date(T0 + 3 * MINUTE).toISOString();
    expect(await query(`from=${from}&to=${to}`)).toEqual([ids[2], ids[1]]);
    const first = await asHolder(auditor, '/audit/v1/records?limit=4');
    const second = await asHolder(auditor, `/audit/v1/records?limit=4&cursor=${first.body.nextCursor}`);
    expect(second.body.records.map((r: any) => r.record.messageId)).toEqual([ids[1], ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    for (const bad of ['member=x', 'status=99', 'outcome=maybe', 'from=yesterday', 'subject=<script>']) {
      const { status, body } = await asHolder(auditor, `/audit/v1/records?${bad}`);
      expect([status, body.type], bad).toEqual([400, 'Client.BadRequest']);
    }
  });

  it('returns the records of one exchange by message id', async () => {
    const { status, body } = await asHolder(auditor, `/audit/v1/exchanges/${ids[2]}`);
    expect(status).toBe(200);
    expect(body.provider).toHaveLength(1);
    expect(body.provider[0]).toMatchObject({
      tree: TREE,
      leafIndex: 2,
      record: { side: 'provider', service: VEHICLES },
    });
    expect((await asHolder(auditor, '/audit/v1/exchanges/00000000-0000-4000-8000-999999999999')).status).toBe(
      404,
    );
    expect((await asHolder(auditor, '/audit/v1/exchanges/not-a-uuid')).body.type).toBe(
      'Client.InvalidMessageId',
    );
  });
});

describe('auditor API with a staff login (Bearer token)', () => {
  const staffToken = (claims: JWTPayload = {}) =>
    token({
      sub: 'DESTAFF00001',
      scope: 'openid audit.search',
      roles: ['auditor'],
      entitlements: ['urn:einmal:DEMO'],
      ...claims,
    });
  const asStaff = async (path: string, bearer: string) => {
    const response = await app.request(path, { headers: { authorization: `Bearer ${bearer}` } });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('admits an auditor entitled to this member or the whole instance', async () => {
    for (const entitlements of [['urn:einmal:DEMO'], ['urn:einmal:DEMO:GOV:munich']]) {
      const { status, body } = await asStaff('/audit/v1/records', await staffToken({ entitlements }));
      expect(status, JSON.stringify(entitlements)).toBe(200);
      expect(body.records).toHaveLength(6);
    }
  });

  it('refuses a staff token without the role, entitled elsewhere, or from an issuer not trusted for auditors', async () => {
    const refused = async (bearer: string) => {
      const { status, body } = await asStaff('/audit/v1/records', bearer);
      return [status, body.type];
    };
    expect(await refused(await staffToken({ roles: [] }))).toEqual([403, 'Audit.NotAuditor']);
    expect(
      await refused(await staffToken({ entitlements: ['urn:einmal:DEMO:GOV:vehicle-authority'] })),
    ).toEqual([403, 'Audit.NotAuditor']);
    expect(await refused(await staffToken({ scope: 'openid audit.read' }))).toEqual([
      403,
      'Server.ServerProxy.TokenScope',
    ]);
    expect(await refused(await staffToken({ exp: Math.floor(now / 1000) - 120 }))).toEqual([
      401,
      'Server.ServerProxy.TokenExpired',
    ]);
    const trusted = directory;
    directory = { ...trusted, eidIssuers: trusted.eidIssuers.map(({ roles: _roles, ...issuer }) => issuer) };
    try {
      expect(await refused(await staffToken())).toEqual([403, 'Audit.NotAuditor']);
    } finally {
      directory = trusted;
    }
  });

  it('filters by client and error code and hands out a cursor per record', async () => {
    const bearer = await staffToken();
    const byError = await asStaff('/audit/v1/records?errorCode=Server.ServerProxy.AccessDenied', bearer);
    expect(byError.body.records.map((r: any) => r.record.messageId)).toEqual([ids[4]]);
    const byClient = await asStaff(`/audit/v1/records?client=${PERMITS}`, bearer);
    expect(byClient.body.records).toHaveLength(6);
    expect((await asStaff('/audit/v1/records?client=DEMO/GOV/other/app', bearer)).body.records).toEqual([]);
    expect((await asStaff('/audit/v1/records?errorCode=Made.Up', bearer)).status).toBe(400);
    const all = await asStaff('/audit/v1/records', bearer);
    const after = await asStaff(`/audit/v1/records?cursor=${all.body.records[1].cursor}`, bearer);
    expect(after.body.records.map((r: any) => r.record.messageId)).toEqual([3, 2, 1, 0].map((i) => ids[i]));
  });

  it('serves one record with the canonical text and its proof; a pending record has none', async () => {
    const bearer = await staffToken();
    const { status, body } = await asStaff(
      `/audit/v1/record?tree=${encodeURIComponent(TREE)}&index=2`,
      bearer,
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ tree: TREE, leafIndex: 2, record: { messageId: ids[2] } });
    expect(body.checkpoint.size).toBe(4);
    verifyInclusion({
      leafIndex: 2,
      treeSize: body.proof.treeSize,
      leafHash: hashFromBase64(createHash('sha256').update('\0').update(body.canonical).digest('base64')),
      proof: body.proof.inclusionProof.map((h: string) => hashFromBase64(h)),
      root: hashFromBase64(body.checkpoint.root),
    });
    const pending = await asStaff(`/audit/v1/record?tree=${encodeURIComponent(TREE)}&index=5`, bearer);
    expect([pending.body.proof, pending.body.checkpoint]).toEqual([null, null]);
    expect((await asStaff(`/audit/v1/record?tree=${encodeURIComponent(TREE)}&index=99`, bearer)).status).toBe(
      404,
    );
    expect((await asStaff('/audit/v1/record?tree=x&index=-1', bearer)).status).toBe(400);
  });

  it('lists the logs with their origin, size and latest witnessed checkpoint', async () => {
    const { body } = await asStaff('/audit/v1/logs', await staffToken());
    expect(body.logs).toHaveLength(1);
    expect(body.logs[0]).toMatchObject({ tree: TREE, origin: TREE, size: 6, witnessed: { size: 4 } });
    const served = await app.request('/log/v1/checkpoints');
    const { checkpoints } = (await served.json()) as { checkpoints: { size: number; root: string }[] };
    expect(checkpoints.find((c) => c.size === 4)?.root).toBe(body.logs[0].witnessed.root);
  });

  it('exports a log up to its latest witnessed checkpoint as a tar archive that unpacks to the bundle', async () => {
    const response = await app.request(`/audit/v1/bundle?tree=${encodeURIComponent(TREE)}`, {
      headers: { authorization: `Bearer ${await staffToken()}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-tar');
    const dir = await mkdtemp(join(tmpdir(), 'einmal-archive-'));
    try {
      await extractBundleArchive(Readable.fromWeb(response.body as never), dir, { maxBytes: 1 << 24 });
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
      // Six records are logged, four of them witnessed: an honest export verifies cleanly.
      expect(manifest).toMatchObject({ tree: TREE, records: 4, treeSize: 4 });
      const lines = (await readFile(join(dir, 'records.ndjson'), 'utf8')).trim().split('\n');
      expect(lines.map((line) => JSON.parse(line).index)).toEqual([0, 1, 2, 3]);
      expect(await readFile(join(dir, 'certificates.pem'), 'utf8')).toContain(
        anchorPem.trim().split('\n')[1],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect((await asStaff('/audit/v1/bundle?tree=unknown', await staffToken())).status).toBe(404);
  });
});
