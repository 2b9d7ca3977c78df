import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificateBundle, parseCertificatePem, privateKeyObject } from '../certs/index.ts';
import { type Database, migrateToLatest } from '../core/database/index.ts';
import { silentLogger } from '../core/index.ts';
import { createOpsApp } from '../core/ops/index.ts';
import { demoServices } from '../dev/demo-federation.ts';
import { verifyDirectory } from '../protocol/index.ts';
import { createTestDatabase } from '../tests/support/database.ts';
import { createTestFederation, type TestFederation } from '../tests/support/registry-federation.ts';
import { createRegistryApps, type RegistryApps } from './app.ts';
import { type RegistryDb, registryMigrations } from './db/index.ts';

/** A response's JSON body, for asserting on. */
const bodyOf = async (response: Response): Promise<any> => response.json();

const TOKEN = 'operator-token-for-tests-only-0123456789';
const address = demoServices[0]!;

describe('registry admin API and directory', () => {
  let database: Database;
  let federation: TestFederation;
  let apps: RegistryApps;
  let now = new Date();

  const admin = (path: string, init: RequestInit = {}) =>
    apps.adminApp.request(path, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
    });
  const post = (path: string, body: unknown) => admin(path, { method: 'POST', body: JSON.stringify(body) });
  const directory = async () => {
    const response = await apps.publicApp.request('/directory');
    const jws = await response.text();
    return verifyDirectory(jws, { anchor: parseCertificatePem(federation.rootPem), now });
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateToLatest(database.db, registryMigrations);
    federation = await createTestFederation();
    apps = createRegistryApps({
      db: database.db.withSchema(registryMigrations.schema) as Kysely<RegistryDb>,
      log: silentLogger,
      clock: () => now.getTime(),
      signer: {
        privateKey: privateKeyObject(federation.credentials.directoryKeyPem),
        chain: parseCertificateBundle(federation.credentials.directoryCertPem),
      },
      config: {
        REGISTRY_INSTANCE: 'DEMO',
        REGISTRY_DIRECTORY_TTL: 600,
        REGISTRY_WITNESS_URL: undefined,
        REGISTRY_ADMIN_TOKEN: TOKEN,
        REGISTRY_DEV_MODE: true,
      },
    });
    await apps.publisher.publish();
  });
  afterAll(() => database.close());

  it('adds, lists and removes every kind of entry, bumping the version each time', async () => {
    const start = (await directory()).version;
    const steps: [string, unknown][] = [
      ['/admin/members', { id: 'DEMO/GOV/residents-office', name: 'Residents office' }],
      ['/admin/members', { id: 'DEMO/GOV/munich', name: 'City of Munich' }],
      ['/admin/subsystems', { id: 'DEMO/GOV/residents-office/register' }],
      ['/admin/subsystems', { id: 'DEMO/GOV/munich/parking-permits' }],
      ['/admin/services', address],
      [
        '/admin/gateways',
        {
          id: 'DEMO/GOV/residents-office/gw1',
          address: 'https://127.0.0.1:4411',
          authCertificateFingerprints: ['a'.repeat(64)],
          clients: ['DEMO/GOV/residents-office/register'],
        },
      ],
      ['/admin/groups', { id: 'DEMO/cities', description: 'Cities', members: ['DEMO/GOV/munich'] }],
      [
        '/admin/eid-issuers',
        {
          issuer: 'http://127.0.0.1:4402',
          jwksUri: 'http://127.0.0.1:4402/jwks',
          acr: { 'http://eidas.europa.eu/LoA/high': 'high' },
        },
      ],
      ['/admin/cas', { name: 'TEST issuing CA', certificate: federation.issuingPem }],
      ['/admin/revocations', { issuer: 'CN=TEST Issuing CA, O=TEST', serialNumber: '0A1B' }],
    ];
    for (const [index, [path, body]] of steps.entries()) {
      const response = await post(path, body);
      expect(response.status, `${path} ${await response.clone().text()}`).toBe(201);
      expect((await directory()).version).toBe(start + index + 1);
    }

    const published = await directory();
    expect(published.members).toEqual([
      { id: 'DEMO/GOV/munich', name: 'City of Munich', subsystems: ['parking-permits'] },
      { id: 'DEMO/GOV/residents-office', name: 'Residents office', subsystems: ['register'] },
    ]);
    expect(published.services).toEqual([address]);
    expect(published.gateways[0]?.clients).toEqual(['DEMO/GOV/residents-office/register']);
    expect(published.approvedCas[0]?.name).toBe('TEST issuing CA');
    expect(published.revokedCertificates).toEqual([
      { issuer: 'CN=TEST Issuing CA, O=TEST', serialNumber: '0a1b', revokedAt: now.toISOString() },
    ]);
    expect(published.eidIssuers).toHaveLength(1);
    expect(published.groups).toEqual([
      { id: 'DEMO/cities', description: 'Cities', members: ['DEMO/GOV/munich'] },
    ]);

    expect(await bodyOf(await admin('/admin/services'))).toEqual([address]);

    const removals = [
      '/admin/revocations?issuer=CN%3DTEST%20Issuing%20CA%2C%20O%3DTEST&serialNumber=0a1b',
      '/admin/cas?name=TEST%20issuing%20CA',
      '/admin/groups?id=DEMO/cities',
      `/admin/eid-issuers?issuer=${encodeURIComponent('http://127.0.0.1:4402')}`,
    ];
    for (const path of removals) {
      const before = (await directory()).version;
      const response = await admin(path, { method: 'DELETE' });
      expect(response.status, path).toBe(204);
      expect((await directory()).version).toBe(before + 1);
    }
    const after = await directory();
    expect([after.revokedCertificates, after.approvedCas, after.groups, after.eidIssuers]).toEqual([
      [],
      [],
      [],
      [],
    ]);
  });

  it('refuses conflicts and dangling references with their own codes', async () => {
    const version = (await directory()).version;
    const duplicate = await post('/admin/members', { id: 'DEMO/GOV/munich', name: 'Again' });
    expect(duplicate.status).toBe(409);
    expect((await bodyOf(duplicate)).type).toBe('Client.Conflict');
    const dangling = await post('/admin/subsystems', { id: 'DEMO/GOV/nobody/x' });
    expect((await bodyOf(dangling)).type).toBe('Registry.UnknownReference');
    const inUse = await admin('/admin/members?id=DEMO/GOV/residents-office', { method: 'DELETE' });
    expect(inUse.status).toBe(409);
    expect((await bodyOf(inUse)).type).toBe('Registry.EntryInUse');
    const missing = await admin('/admin/services?id=DEMO/GOV/munich/parking-permits/none', {
      method: 'DELETE',
    });
    expect(missing.status).toBe(404);
    expect((await directory()).version).toBe(version);
  });

  it('refuses a change that would make the directory inconsistent', async () => {
    const response = await post('/admin/gateways', {
      id: 'DEMO/GOV/munich/gw1',
      address: 'https://127.0.0.1:4410',
      authCertificateFingerprints: ['a'.repeat(64)],
      clients: [],
    });
    expect(response.status).toBe(400);
    expect((await bodyOf(response)).type).toBe('Client.InvalidBody');
    expect(await bodyOf(await admin('/admin/gateways'))).toHaveLength(1);
  });

  it('answers bad bodies and queries with 400 and a stable code', async () => {
    const cases: [string, RequestInit, string][] = [
      ['/admin/members', { method: 'POST', body: '{"id":' }, 'Client.BadRequest'],
      ['/admin/members', { method: 'POST', body: '{"id":"DEMO/GOV/../x","name":"x"}' }, 'Client.InvalidBody'],
      [
        '/admin/members',
        { method: 'POST', body: '{"id":"DEMO/GOV/x","name":"x","extra":1}' },
        'Client.InvalidBody',
      ],
      ['/admin/members', { method: 'POST', body: '[]' }, 'Client.InvalidBody'],
      [
        '/admin/services',
        { method: 'POST', body: JSON.stringify({ ...address, purposes: [] }) },
        'Client.InvalidBody',
      ],
      ['/admin/cas', { method: 'POST', body: '{"name":"x","certificate":"nope"}' }, 'Client.InvalidBody'],
      [
        '/admin/members',
        { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } },
        'Client.BadRequest',
      ],
      ['/admin/members', { method: 'DELETE' }, 'Client.BadRequest'],
      ['/admin/members', { method: 'POST', body: 'x'.repeat(300_000) }, 'Client.BodyTooLarge'],
    ];
    for (const [path, init, code] of cases) {
      const response = await admin(path, init);
      const body = (await response.json()) as any;
      expect(body.type, `${path} ${init.body?.toString().slice(0, 40)}`).toBe(code);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect(response.headers.get('x-road-error')).toBe(code);
    }
  });

  it('refuses a control character in any name, text or query value with 400, never 500', async () => {
    // PostgreSQL text cannot hold NUL: what the admin API accepts must be storable.
    const nul = 'x\u0000y';
    const bodies: [string, unknown][] = [
      ['members', { id: 'DEMO/GOV/nul-test', name: nul }],
      ['services', { ...address, id: 'DEMO/GOV/residents-office/register/nul-v1', title: nul }],
      ['services', { ...address, id: 'DEMO/GOV/residents-office/register/nul-v1', description: nul }],
      ['groups', { id: 'DEMO/nul-test', description: nul, members: [] }],
      ['revocations', { issuer: nul, serialNumber: 'ab' }],
      ['cas', { name: nul, certificate: federation.rootPem }],
    ];
    for (const [kind, body] of bodies) {
      const response = await post(`/admin/${kind}`, body);
      expect([response.status, response.headers.get('x-road-error')], kind).toEqual([
        400,
        'Client.InvalidBody',
      ]);
    }
    for (const query of [
      'members?id=%00',
      'subsystems?id=%00',
      'gateways?id=%00',
      'services?id=%00',
      'groups?id=%00',
      'eid-issuers?issuer=%00',
      'cas?name=%00',
      'revocations?issuer=%00&serialNumber=ab',
    ]) {
      const response = await admin(`/admin/${query}`, { method: 'DELETE' });
      expect([response.status, response.headers.get('x-road-error')], query).toEqual([
        400,
        'Client.BadRequest',
      ]);
    }
    // Line breaks in a description for people are text, not control.
    const described = await post('/admin/groups', { id: 'DEMO/lines', description: 'one\ntwo', members: [] });
    expect(described.status).toBe(201);
  });

  it('never answers arbitrary JSON with a server error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'members',
          'subsystems',
          'gateways',
          'services',
          'groups',
          'eid-issuers',
          'cas',
          'revocations',
        ),
        fc.jsonValue(),
        async (kind, value) => {
          const response = await post(`/admin/${kind}`, value);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('admits only the operator', async () => {
    const anonymous = await apps.adminApp.request('/admin/members');
    expect(anonymous.status).toBe(401);
    expect((await bodyOf(anonymous)).type).toBe('Client.Unauthenticated');
    const wrong = await apps.adminApp.request('/admin/members', {
      headers: { authorization: 'Bearer wrong' },
    });
    expect(wrong.status).toBe(403);
  });

  it('serves the directory with ETag, 304 and no-cache', async () => {
    const first = await apps.publicApp.request('/directory');
    const etag = first.headers.get('etag')!;
    expect(first.headers.get('cache-control')).toBe('no-cache');
    expect(etag).toBe(`"${(await directory()).version}"`);
    const again = await apps.publicApp.request('/directory', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    await post('/admin/members', { id: 'DEMO/GOV/vehicle-authority', name: 'Vehicles' });
    const changed = await apps.publicApp.request('/directory', { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('re-signs before expiry with a new version even without changes', async () => {
    const before = await directory();
    now = new Date(now.getTime() + 100_000);
    expect((await apps.publisher.publish()).version).toBe(before.version);
    now = new Date(now.getTime() + 150_000);
    const resigned = await apps.publisher.publish();
    expect(resigned.version).toBe(before.version + 1);
    expect(resigned.expiresAt.getTime()).toBe(now.getTime() + 600_000);
    expect((await directory()).expiresAt).toBe(resigned.expiresAt.toISOString());
  });

  it('reports readiness, health and metrics on the operations app, not on the public listener', async () => {
    const ops = createOpsApp(apps.ops);
    expect((await ops.request('/healthz')).status).toBe(200);
    expect((await ops.request('/readyz')).status).toBe(200);
    const metrics = await (await ops.request('/metrics')).text();
    expect(metrics).toMatch(/einmal_registry_directory_version \d+/);
    expect(metrics).toContain('einmal_registry_http_requests_total{listener="admin",status="201"}');
    expect((await apps.publicApp.request('/metrics')).status).toBe(404);
    now = new Date(now.getTime() + 3_600_000);
    const expired = await ops.request('/readyz');
    expect(expired.status).toBe(503);
    expect(await expired.json()).toEqual({ status: 'not ready', failing: ['directory'] });
  });

  it('publishes an OpenAPI 3.1 document of the admin API', async () => {
    const document = (await (await admin('/admin/openapi.json')).json()) as any;
    expect(document.openapi).toBe('3.1.0');
    expect(
      document.paths['/admin/services'].post.requestBody.content['application/json'].schema.properties,
    ).toHaveProperty('personalData');
  });
});
