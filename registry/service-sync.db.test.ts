import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { storyCitizen } from '../adapters/index.ts';
import { defineService, describeService } from '../adapters/sdk/index.ts';
import type { Database } from '../core/database/index.ts';
import { silentLogger } from '../core/index.ts';
import { directoryScopes, obtainCitizenToken, startEidServer } from '../dev/eid/index.ts';
import { createTestDatabase } from '../tests/support/database.ts';
import {
  createTestFederation,
  listenTestRegistry,
  type TestFederation,
} from '../tests/support/registry-federation.ts';
import { createRegistryAdminClient, type RegistryAdminClient } from './admin-client.ts';
import type { RegistryListeners } from './server.ts';
import {
  adapterDescriptionSchema,
  applyServiceSync,
  isInSync,
  planServiceSync,
  printServiceSyncPlan,
} from './service-sync.ts';

const SUBSYSTEM = 'DEMO/GOV/dog-town/register';

/** The dog licence register's services, declared once with the SDK. */
const licencesWith = (changes: { title?: string; requiredLoa?: 'substantial' | 'high' } = {}) =>
  defineService({
    code: 'dog-licences',
    version: 'v1',
    title: 'Your dog licences',
    description: 'The dog licences the city has issued to you.',
    personalData: true,
    personIds: ['licences[].holderId'],
    eidScope: 'dogs.licences',
    requiredLoa: 'substantial',
    purposes: [{ code: 'dog-tax', title: 'Assessing the dog tax' }],
    legalBases: [{ code: 'city-dog-tax-bylaw', title: 'Dog tax by-law, § 3' }],
    hideable: false,
    method: 'GET',
    request: z.object({}),
    response: z.object({ licences: z.array(z.object({ holderId: z.string() })) }),
    handler: (_input, { subject }) => ({ licences: [{ holderId: subject }] }),
    ...changes,
  });
const licences = licencesWith();
const fees = defineService({
  code: 'dog-tax-fees',
  version: 'v1',
  title: 'Dog tax rates',
  description: 'The yearly dog tax.',
  personalData: false,
  method: 'GET',
  request: z.object({}),
  response: z.object({ euro: z.number() }),
  handler: () => ({ euro: 120 }),
});

/** What `GET /_einmal/services` (and `einmal adapter describe`) gives, through JSON as on the wire. */
const described = (...services: ReturnType<typeof defineService>[]) =>
  adapterDescriptionSchema.parse(JSON.parse(JSON.stringify({ services: services.map(describeService) })));

describe('registering an adapter’s services from its description', () => {
  let database: Database;
  let federation: TestFederation;
  let listeners: RegistryListeners;
  let client: RegistryAdminClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    federation = await createTestFederation();
    listeners = await listenTestRegistry(database.db, federation);
    client = createRegistryAdminClient({
      url: `https://127.0.0.1:${listeners.adminPort}`,
      credentials: {
        certPem: federation.operator.certPem,
        keyPem: federation.operator.keyPem,
        caPem: federation.rootPem,
      },
    });
    await client.add('members', { id: 'DEMO/GOV/dog-town', name: 'Dog Town' });
    await client.add('subsystems', { id: SUBSYSTEM });
  });
  afterAll(async () => {
    await client?.close();
    await listeners?.close();
    await database?.close();
  });

  const plan = async (description = described(licences, fees)) =>
    planServiceSync(SUBSYSTEM, description, (await client.list('services')) as never);

  it('registers each described service once, with the policy the adapter declares', async () => {
    const first = await plan();
    expect(printServiceSyncPlan(first)).toEqual([
      `+ ${SUBSYSTEM}/dog-licences-v1 (not registered)`,
      `+ ${SUBSYSTEM}/dog-tax-fees-v1 (not registered)`,
    ]);
    await applyServiceSync(client, first);
    expect(await client.list('services')).toEqual([
      {
        id: `${SUBSYSTEM}/dog-licences-v1`,
        title: 'Your dog licences',
        description: 'The dog licences the city has issued to you.',
        personalData: true,
        requiredLoa: 'substantial',
        eidScope: 'dogs.licences',
        purposes: [{ code: 'dog-tax', title: 'Assessing the dog tax' }],
        legalBases: [{ code: 'city-dog-tax-bylaw', title: 'Dog tax by-law, § 3' }],
        hideable: false,
      },
      expect.objectContaining({ id: `${SUBSYSTEM}/dog-tax-fees-v1`, personalData: false, eidScope: null }),
    ]);
    expect(isInSync(await plan())).toBe(true);
  });

  it('reports where the registry and the adapter disagree, and updates on request', async () => {
    const changed = licencesWith({ title: 'Your dog licences and tags', requiredLoa: 'high' });
    const differing = await plan(described(changed, fees));
    expect(isInSync(differing)).toBe(false);
    expect(printServiceSyncPlan(differing)).toEqual([
      `~ ${SUBSYSTEM}/dog-licences-v1 (differs: title, requiredLoa)`,
      `= ${SUBSYSTEM}/dog-tax-fees-v1`,
    ]);
    await applyServiceSync(client, differing);
    const listed = (await client.list('services')) as { id: string; title: string; requiredLoa: string }[];
    expect(listed.find((service) => service.id.endsWith('dog-licences-v1'))).toMatchObject({
      title: 'Your dog licences and tags',
      requiredLoa: 'high',
    });
    expect(printServiceSyncPlan(await plan(described(fees)))).toEqual([
      `= ${SUBSYSTEM}/dog-tax-fees-v1`,
      `? ${SUBSYSTEM}/dog-licences-v1 (registered, not described by the adapter)`,
    ]);
  });

  it('publishes the registered services in the signed directory', async () => {
    const agent = new Agent({ connect: { ca: federation.rootPem } });
    const response = await request(`https://127.0.0.1:${listeners.publicPort}/directory`, {
      dispatcher: agent,
    });
    const payload = JSON.parse(
      Buffer.from((await response.body.text()).split('.')[1]!, 'base64url').toString(),
    );
    await agent.close();
    expect(payload.services.map((service: { id: string }) => service.id)).toEqual([
      `${SUBSYSTEM}/dog-licences-v1`,
      `${SUBSYSTEM}/dog-tax-fees-v1`,
    ]);
  });

  it('lets the development eID provider offer the scopes the directory’s services declare', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'einmal-eid-'));
    const scopes = directoryScopes({
      registryUrl: `https://127.0.0.1:${listeners.publicPort}`,
      anchorPem: federation.credentials.anchorPem,
      log: silentLogger,
    });
    const fromDirectory = await startEidServer({ port: 0, stateDir, scopes });
    const demo = await startEidServer({ port: 0, stateDir });
    try {
      const token = await obtainCitizenToken({
        issuer: fromDirectory.issuer,
        citizen: storyCitizen.id,
        scope: 'dogs.licences',
      });
      expect(String(decodeJwt(token).scope).split(' ')).toContain('dogs.licences');
      expect((await scopes())['dogs.licences']).toBe('Your dog licences and tags');
      // The demo's fixed list does not know the new service's scope.
      const fixed = await obtainCitizenToken({
        issuer: demo.issuer,
        citizen: storyCitizen.id,
        scope: 'dogs.licences',
      }).then(
        (issued) => String(decodeJwt(issued).scope ?? ''),
        (error: Error) => error.message,
      );
      expect(fixed).not.toContain('dogs.licences');
    } finally {
      await fromDirectory.close();
      await demo.close();
      await scopes.close();
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('refuses a description that is not an adapter’s', () => {
    expect(
      adapterDescriptionSchema.safeParse({ services: [{ serviceCode: '../x', title: 't' }] }).success,
    ).toBe(false);
    expect(() => planServiceSync('not a subsystem', described(fees), [])).toThrow();
  });
});
