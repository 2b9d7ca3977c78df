import type { Kysely } from 'kysely';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainVerifier, parseCertificateBundle, privateKeyObject } from '../certs/index.ts';
import { type Database, migrateToLatest, silentLogger } from '../core/index.ts';
import { createTestDatabase } from '../tests/support/database.ts';
import { createRegistryApps } from './app.ts';
import { type RegistryDb, registryMigrations } from './db/index.ts';
import { listenRegistry, type RegistryListeners } from './server.ts';
import { createTestFederation, type TestFederation } from './test-federation.ts';

describe('registry listeners over real sockets', () => {
  let database: Database;
  let federation: TestFederation;
  let listeners: RegistryListeners;
  const agents: Agent[] = [];

  const agent = (client?: { certPem: string; keyPem: string }) => {
    const created = new Agent({
      connect: { ca: federation.rootPem, ...(client ? { cert: client.certPem, key: client.keyPem } : {}) },
    });
    agents.push(created);
    return created;
  };
  const adminUrl = (path: string) => `https://127.0.0.1:${listeners.adminPort}${path}`;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateToLatest(database.db, registryMigrations);
    federation = await createTestFederation();
    const { credentials } = federation;
    const apps = createRegistryApps({
      db: database.db.withSchema(registryMigrations.schema) as Kysely<RegistryDb>,
      log: silentLogger,
      clock: () => new Date(),
      signer: {
        privateKey: privateKeyObject(credentials.directoryKeyPem),
        chain: parseCertificateBundle(credentials.directoryCertPem),
      },
      config: {
        REGISTRY_INSTANCE: 'DEMO',
        REGISTRY_DIRECTORY_TTL: 600,
        REGISTRY_WITNESS_URL: undefined,
        REGISTRY_ADMIN_TOKEN: undefined,
        REGISTRY_DEV_MODE: false,
      },
      operatorVerifier: createChainVerifier({
        anchors: [credentials.anchorPem],
        intermediates: [credentials.adminCaPem],
      }),
    });
    await apps.publisher.publish();
    listeners = await listenRegistry({
      ...apps,
      credentials,
      host: '127.0.0.1',
      publicPort: 0,
      adminPort: 0,
      allowTokenClients: false,
    });
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await listeners?.close();
    await database?.close();
  });

  it('refuses a client without a certificate at the TLS handshake', async () => {
    await expect(request(adminUrl('/admin/members'), { dispatcher: agent() })).rejects.toThrow();
  });

  it('refuses a trusted certificate that is not an operator certificate with 403', async () => {
    const response = await request(adminUrl('/admin/members'), { dispatcher: agent(federation.gateway) });
    expect(response.statusCode).toBe(403);
    expect(((await response.body.json()) as { type: string }).type).toBe('Registry.NotOperator');
  });

  it('admits the operator certificate and serves the directory over HTTPS', async () => {
    const operator = agent(federation.operator);
    const added = await request(adminUrl('/admin/members'), {
      dispatcher: operator,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'DEMO/GOV/munich', name: 'City of Munich' }),
    });
    expect(added.statusCode).toBe(201);
    await added.body.dump();
    const listed = await request(adminUrl('/admin/members'), { dispatcher: operator });
    expect(await listed.body.json()).toEqual([{ id: 'DEMO/GOV/munich', name: 'City of Munich' }]);

    const published = await request(`https://127.0.0.1:${listeners.publicPort}/directory`, {
      dispatcher: agent(),
    });
    expect(published.statusCode).toBe(200);
    expect(published.headers.etag).toBe('"2"');
    expect((await published.body.text()).split('.')).toHaveLength(3);
  });
});
