import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleAuditRecord } from '../bench/sample-audit-record.ts';
import { certificateDer, createChainVerifier, toPem } from '../certs/index.ts';
import { type Database, migrateToLatest } from '../core/database/index.ts';
import { silentLogger } from '../core/index.ts';
import { DEMO_AUDIENCE } from '../dev/demo-federation.ts';
import { eidasAcrLevels } from '../dev/eid/index.ts';
import { createTestDatabase } from '../tests/support/database.ts';
import { createTestPki, demoDirectory, type IssuedCredential } from '../tests/support/directory-fixture.ts';
import { createAuditLog } from './audit/audit-log.ts';
import { encodeCursor } from './audit/record-query.ts';
import { gatewayMigrations } from './db/migrations.ts';
import type { GatewayDb } from './db/tables.ts';
import { createEidVerifier } from './eid/index.ts';
import { createPublicApp } from './public-app.ts';

const ANNA = 'DE65402138797';
const ISSUER = 'https://eid.test.example';
const TREE = 'DEMO/GOV/munich/gw1';

let database: Database;
let db: Kysely<GatewayDb>;
let app: ReturnType<typeof createPublicApp>;
let citizenToken: string;
let auditor: IssuedCredential;
const now = Date.now();

/** What node-server hands the app for a TLS connection on which the peer presented `credential`. */
function tlsEnv(credential: IssuedCredential) {
  const raw = Buffer.from(certificateDer(credential.certificate));
  const socket = {
    authorized: true,
    getPeerCertificate: () => ({
      raw,
      fingerprint256: 'AA',
      serialNumber: credential.certificate.serialNumber,
      issuer: {},
    }),
  };
  return { incoming: { socket } } as never;
}

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateToLatest(database.db, { schema: 'gw_input', migrations: gatewayMigrations });
  db = database.db.withSchema('gw_input') as Kysely<GatewayDb>;
  const pki = await createTestPki();
  auditor = await pki.issue({ profile: 'auditor', subject: 'CN=DEMO auditor, O=DEMO' });
  const verifier = createChainVerifier({
    anchors: [pki.root.certificate],
    intermediates: [pki.issuing.certificate],
  });
  const pair = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const iat = Math.floor(now / 1000);
  citizenToken = await new SignJWT({
    iss: ISSUER,
    aud: DEMO_AUDIENCE,
    sub: ANNA,
    iat,
    exp: iat + 3000,
    acr: 'http://eidas.europa.eu/LoA/substantial',
    scope: 'openid audit.read',
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
    .sign(pair.privateKey);
  app = createPublicApp({
    db,
    gatewayId: TREE,
    tree: TREE,
    log: silentLogger,
    clock: () => now,
    directory: () => demoDirectory({ version: 1, issuedAt: new Date(now) }),
    eid: createEidVerifier({
      issuers: [{ issuer: ISSUER, jwks: { keys: [jwk] }, acr: eidasAcrLevels() }],
      audience: DEMO_AUDIENCE,
      clock: () => now,
    }),
    verifyCertificate: (der, usage) => verifier.verify(der, { usage, at: new Date(now) }),
    adminToken: 'test-admin-token-0123456789',
    anchorPem: toPem(pki.root.certificate),
  });
  const log = createAuditLog({ db, tree: TREE, log: silentLogger });
  for (let i = 0; i < 3; i++) {
    await log.append(sampleAuditRecord({ gateway: TREE, logTime: new Date(now - i * 60_000).toISOString() }));
  }
});
afterAll(() => database.close());

const asCitizen = (path: string) =>
  app.request(path, { headers: { authorization: `Bearer ${citizenToken}`, 'x-road-userid': ANNA } });
const asAuditor = (path: string) => app.request(path, {}, tlsEnv(auditor));

/** base64url of JSON, as a cursor is made. */
const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

/** The status and error type of an answer, for the assertion message. */
async function outcome(response: Response) {
  const text = await response.text();
  return { status: response.status, type: response.headers.get('x-road-error'), text };
}

describe('the public APIs answer bad input with 4xx, never 5xx', () => {
  it.each([
    [
      'a cursor whose time lies before the year 0001',
      `/citizen/v1/records?cursor=${cursorOf([-62_200_000_000_000, TREE, 1])}`,
    ],
    [
      'a cursor whose time lies after the year 9999',
      `/citizen/v1/records?cursor=${cursorOf([253_402_300_800_000, TREE, 1])}`,
    ],
    [
      'a cursor with a NUL in its tree',
      `/citizen/v1/records?cursor=${cursorOf([now, 'DEMO/GOV/munich/gw1\u0000', 1])}`,
    ],
    ['a NUL in a cursor', '/citizen/v1/records?cursor=%00'],
    ['a NUL in a log source system', `/v3/findUsage?userCode=${ANNA}&logSourceSystems=parking%00permits`],
    ['a period starting in the year 0000', `/v3/findUsage?userCode=${ANNA}&periodStart=0000-01-01T00:00:00Z`],
    [
      'a period ending past the year 9999',
      `/v3/findUsage?userCode=${ANNA}&periodEnd=9999-12-31T23:59:59.999-00:01`,
    ],
    ['a NUL in the limit', `/v3/findUsage?userCode=${ANNA}&limit=1%00`],
  ])('citizen and Data Tracker APIs: %s is 400', async (_what, path) => {
    const answer = await outcome(await asCitizen(path));
    expect(answer.status, answer.text).toBe(400);
  });

  it('Data Tracker: a period ending at the last instant of the year 9999 is answered', async () => {
    const answer = await outcome(
      await asCitizen(
        `/v3/findUsage?userCode=${ANNA}&periodStart=0001-01-01T00:00:00Z&periodEnd=9999-12-31T23:59:59.999Z`,
      ),
    );
    expect(answer.status, answer.text).toBe(200);
    expect(JSON.parse(answer.text)).toMatchObject({ totalUsages: 3 });
  });

  it.each([
    ['from in the year 0000', '/audit/v1/records?from=0000-01-01T00:00:00Z'],
    ['to past the year 9999', '/audit/v1/records?to=9999-12-31T23:00:00-01:00'],
    ['a NUL in the service', '/audit/v1/records?service=DEMO/GOV/x/y/z%00'],
    ['a cursor before the year 0001', `/audit/v1/records?cursor=${cursorOf([-62_200_000_000_000, TREE, 1])}`],
  ])('auditor API: %s is 400', async (_what, path) => {
    const answer = await outcome(await asAuditor(path));
    expect(answer.status, answer.text).toBe(400);
    expect(answer.type).toBe('Client.BadRequest');
  });

  it('pages through the citizen records with the cursors it hands out', async () => {
    const first = await asCitizen('/citizen/v1/records?limit=2');
    const page = (await first.json()) as { records: unknown[]; nextCursor: string };
    expect(page.records).toHaveLength(2);
    const rest = (await (await asCitizen(`/citizen/v1/records?cursor=${page.nextCursor}`)).json()) as {
      records: unknown[];
    };
    expect(rest.records).toHaveLength(1);
    expect(encodeCursor({ log_time: new Date(now), tree: TREE, idx: 0 })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  /** Values near the edges of what the parameters take, and arbitrary text. */
  const value = fc.oneof(
    fc.constantFrom(
      '',
      '0',
      '-1',
      '1e309',
      '2147483648',
      '9007199254740993',
      '0000-01-01T00:00:00Z',
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999Z',
      '9999-12-31T23:59:59.999-00:01',
      '2026-02-30T00:00:00Z',
      ANNA,
      'de65402138797',
      'DEMO/GOV/munich',
      'DEMO/GOV/munich/parking-permits',
      'DATA_REQUEST',
      'true',
      'ok',
      '\u0000',
      'a\u0000b',
      '\u007f',
      '\u0085',
      'ü',
      '😀',
      'x'.repeat(500),
    ),
    fc.string({ maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    // A cursor-shaped value around the edges of a sort key.
    fc
      .tuple(
        fc.oneof(
          fc.integer(),
          fc.double(),
          fc.constantFrom(-62_135_596_800_001, 253_402_300_800_000, 8.64e15),
        ),
        fc.oneof(fc.constant(TREE), fc.string({ unit: 'binary', maxLength: 12 })),
        fc.oneof(fc.nat(), fc.integer(), fc.constant(Number.MAX_SAFE_INTEGER + 2)),
      )
      .map(cursorOf),
  );
  /** Values each parameter takes, so that a generated query is mostly valid and one value is not. */
  const plausible: Record<string, readonly string[]> = {
    limit: ['1', '50', '200'],
    cursor: [cursorOf([now, TREE, 1]), cursorOf([now - 60_000, TREE, 0])],
    userCode: [ANNA],
    processingType: ['DATA_REQUEST', 'DATA_RESPONSE'],
    includeBulkProcessing: ['true', 'false'],
    logSourceSystems: ['parking-permits', 'register'],
    periodStart: ['2020-01-01T00:00:00Z', '0001-01-01T00:00:00Z'],
    periodEnd: ['2099-01-01T00:00:00+01:00', '9999-12-31T23:59:59.999Z'],
    offset: ['0', '2'],
    member: ['DEMO/GOV/munich'],
    service: ['DEMO/GOV/residents-office/register/address-v1'],
    subject: [ANNA],
    client: ['DEMO/GOV/munich/parking-permits'],
    errorCode: ['Server.ServerProxy.AccessDenied', 'Client.BadRequest'],
    tree: [TREE],
    index: ['0', '2', '3'],
    from: ['2020-01-01T00:00:00Z', '0001-01-01T00:00:00Z'],
    to: ['9999-12-31T23:59:59.999Z'],
    status: ['200', '403'],
    outcome: ['ok', 'rejected'],
    queryId: ['0f6b7c2e-1d2a-4b3c-8d4e-5f6a7b8c9d0e'],
    hiddenReason: ['Investigation closed'],
    hiddenUntil: ['2020-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z'],
  };
  const valueFor = (name: string) =>
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...(plausible[name] ?? [''])) },
      { weight: 1, arbitrary: value },
    );
  const query = (names: readonly string[]) =>
    fc
      .array(
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc.constantFrom(...names).chain((k) => valueFor(k).map((v) => [k, v] as const)),
          },
          { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 8 }), value) },
        ),
        { maxLength: 6 },
      )
      .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));

  it.each([
    ['/citizen/v1/records', ['limit', 'cursor'], asCitizen],
    [
      '/v3/findUsage',
      [
        'userCode',
        'processingType',
        'includeBulkProcessing',
        'logSourceSystems',
        'periodStart',
        'periodEnd',
        'limit',
        'offset',
      ],
      asCitizen,
    ],
    [
      '/audit/v1/records',
      [
        'member',
        'client',
        'service',
        'subject',
        'from',
        'to',
        'status',
        'outcome',
        'errorCode',
        'limit',
        'cursor',
      ],
      asAuditor,
    ],
    ['/audit/v1/record', ['tree', 'index'], asAuditor],
    ['/audit/v1/bundle', ['tree'], asAuditor],
  ] as const)('%s never answers 5xx to any query (property)', async (path, names, as) => {
    await fc.assert(
      fc.asyncProperty(query(names), async (qs) => {
        const withUser = path === '/v3/findUsage' ? `userCode=${ANNA}&${qs}` : qs;
        const answer = await outcome(await as(`${path}?${withUser}`));
        expect(answer.status, `${path}?${withUser} → ${answer.text}`).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });

  it('POST /v3/disclose never answers 5xx to any item (property)', async () => {
    const item = fc.record(
      {
        queryId: valueFor('queryId'),
        hiddenReason: valueFor('hiddenReason'),
        hiddenUntil: valueFor('hiddenUntil'),
        extra: value,
      },
      { requiredKeys: ['queryId', 'hiddenReason', 'hiddenUntil'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(item, { maxLength: 3 }), async (items) => {
        const response = await app.request('/v3/disclose', {
          method: 'POST',
          headers: {
            authorization: 'Bearer test-admin-token-0123456789',
            'content-type': 'application/json',
          },
          body: JSON.stringify(items),
        });
        const answer = await outcome(response);
        expect(answer.status, `${JSON.stringify(items)} → ${answer.text}`).toBeLessThan(500);
      }),
      { numRuns: 200 },
    );
  });
});
