import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../core/database/index.ts';
import { silentLogger } from '../core/index.ts';
import { createTestDatabase } from '../tests/support/database.ts';
import {
  createTestFederation,
  listenTestRegistry,
  type TestFederation,
} from '../tests/support/registry-federation.ts';
import { type RegistryListeners, startRegistry } from './server.ts';

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
    federation = await createTestFederation();
    listeners = await listenTestRegistry(database.db, federation);
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

describe('the registry started from credential files', () => {
  let database: Database;
  let federation: TestFederation;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    federation = await createTestFederation();
    dir = await mkdtemp(join(tmpdir(), 'einmal-registry-'));
    const file = async (name: string, pem: string) => {
      await writeFile(join(dir, name), pem);
      return join(dir, name);
    };
    const { credentials } = federation;
    env = {
      REGISTRY_INSTANCE: 'TEST',
      REGISTRY_HOST: '127.0.0.1',
      REGISTRY_PORT: '0',
      REGISTRY_ADMIN_PORT: '0',
      REGISTRY_TLS_CERT: await file('tls.pem', credentials.tlsCertPem),
      REGISTRY_TLS_KEY: await file('tls.key.pem', credentials.tlsKeyPem),
      REGISTRY_DIRECTORY_CERT: await file('directory.pem', credentials.directoryCertPem),
      REGISTRY_DIRECTORY_KEY: await file('directory.key.pem', credentials.directoryKeyPem),
      REGISTRY_ANCHOR_CERT: await file('root.pem', credentials.anchorPem),
      REGISTRY_ADMIN_CA: await file('admin-ca.pem', credentials.adminCaPem),
      REGISTRY_LOG_LEVEL: 'silent',
    };
    env.REGISTRY_WITNESS_CERT = await file('witness.pem', federation.witness.certPem);
    env.REGISTRY_WITNESS_KEY = await file('witness.key.pem', federation.witness.keyPem);
  });
  afterAll(async () => {
    await database?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const start = (overrides: Record<string, string | undefined>) =>
    startRegistry({ ...env, ...overrides }, { database, log: silentLogger });

  it('serves its witness with the configured witness key and names it in the directory', async () => {
    const registry = await start({ REGISTRY_WITNESS_URL: 'https://registry.test:4400/witness' });
    try {
      const base = `https://127.0.0.1:${registry.publicPort}`;
      const dispatcher = new Agent({ connect: { ca: federation.rootPem } });
      try {
        const directory = await request(`${base}/directory`, { dispatcher });
        const payload = JSON.parse(
          Buffer.from((await directory.body.text()).split('.')[1]!, 'base64url').toString(),
        );
        expect(payload.witness).toEqual({ url: 'https://registry.test:4400/witness' });
        const latest = await request(
          `${base}/witness/checkpoints/${encodeURIComponent('TEST/GOV/city/gw1')}`,
          {
            dispatcher,
          },
        );
        expect(latest.statusCode).toBe(404);
        expect(((await latest.body.json()) as { type: string }).type).toBe('Witness.NotWitnessed');
      } finally {
        await dispatcher.close();
      }
    } finally {
      await registry.close();
    }
  });

  it('serves no witness without a witness key, and refuses to start with a key that is not one', async () => {
    const registry = await start({ REGISTRY_WITNESS_CERT: undefined, REGISTRY_WITNESS_KEY: undefined });
    try {
      const published = await registry.publish();
      const payload = JSON.parse(Buffer.from(published.jws.split('.')[1]!, 'base64url').toString());
      expect(payload.witness).toBeNull();
    } finally {
      await registry.close();
    }
    await expect(
      start({
        REGISTRY_WITNESS_CERT: env.REGISTRY_DIRECTORY_CERT,
        REGISTRY_WITNESS_KEY: env.REGISTRY_DIRECTORY_KEY,
      }),
    ).rejects.toMatchObject({
      code: 'Config.Invalid',
      message: 'The witness certificate is not a witness certificate under the anchor (Pki.WrongUsage)',
    });
    await expect(start({ REGISTRY_WITNESS_KEY: undefined })).rejects.toMatchObject({
      code: 'Config.Invalid',
    });
  });
});
