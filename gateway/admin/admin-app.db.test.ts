import { execFile } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrateToLatest } from '../../core/database/index.ts';
import { silentLogger } from '../../core/index.ts';
import { createTestDatabase } from '../../tests/support/database.ts';
import { createAccessRuleCache } from '../access/access-rule-store.ts';
import { createIsAuthenticator } from '../consumer/information-systems.ts';
import { gatewayMigrations } from '../db/migrations.ts';
import type { GatewayDb } from '../db/tables.ts';
import { createAdminApp } from './admin-app.ts';

const TOKEN = 'operator-token-0123456789';
const CLIENT = 'DEMO/GOV/munich/parking-permits';
const VEHICLES = 'DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1';

let database: Database;
let db: Kysely<GatewayDb>;
let app: ReturnType<typeof createAdminApp>;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateToLatest(database.db, { schema: 'gw_admin', migrations: gatewayMigrations });
  db = database.db.withSchema('gw_admin') as Kysely<GatewayDb>;
  app = createAdminApp({
    db,
    log: silentLogger,
    token: TOKEN,
    accessRules: createAccessRuleCache(db, Date.now),
    informationSystems: createIsAuthenticator({ db, clock: Date.now, allowPlainHttp: false }),
  });
});
afterAll(() => database.close());

const admin = (method: string, path: string, body?: unknown) =>
  app.request(`/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });

describe('the gateway admin API', () => {
  it('grants hiding per access rule, off unless asked for', async () => {
    const plain = await admin('POST', '/acl', { subject: CLIENT, service: VEHICLES });
    expect(plain.status).toBe(201);
    expect(await plain.json()).toMatchObject({ subject: CLIENT, service: VEHICLES, mayHide: false });
    const hiding = await admin('POST', '/acl', { subject: CLIENT, service: VEHICLES, mayHide: true });
    expect(await hiding.json()).toMatchObject({ mayHide: true });
    const listed = (await (await admin('GET', '/acl')).json()) as { mayHide: boolean }[];
    expect(listed.map((r) => r.mayHide)).toEqual([false, true]);
    expect((await admin('POST', '/acl', { subject: CLIENT, service: VEHICLES, mayHide: 'yes' })).status).toBe(
      400,
    );
  });

  it('is driven by the einmal gateway commands, which print the rules and exit 0', async () => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const einmal = (...argv: string[]) =>
        promisify(execFile)(process.execPath, [
          fileURLToPath(new URL('../../bin/einmal.js', import.meta.url)),
          'gateway',
          ...argv,
          '--admin',
          base,
          '--token',
          TOKEN,
        ]);
      const added = await einmal('acl-add', '--subject', CLIENT, '--service', VEHICLES, '--may-hide');
      expect(JSON.parse(added.stdout)).toMatchObject({ subject: CLIENT, service: VEHICLES, mayHide: true });
      const listed = await einmal('acl-list');
      expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ mayHide: true }));
    } finally {
      server.close();
    }
  }, 60_000);

  it.each([
    ['a rule id past the integer range', 'DELETE', '/acl/2147483648'],
    ['a rule id that is not a number', 'DELETE', '/acl/1e3x'],
    ['a NUL in a local group member', 'DELETE', '/local-groups/g1/members/DEMO%2FGOV%2Fmunich%00'],
    ['a NUL in a local group code', 'DELETE', `/local-groups/g%001/members/${encodeURIComponent(CLIENT)}`],
    ['a NUL in a certificate fingerprint', 'DELETE', '/is-certificates/ab%00cd'],
  ])('answers %s with 4xx', async (_what, method, path) => {
    const response = await admin(method, path);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.headers.get('x-road-error')).toMatch(/^Client\./);
  });

  it('never answers 5xx to any parameter or body (property)', async () => {
    const text = fc.oneof(
      fc.constantFrom(
        '',
        '\u0000',
        'a\u0000',
        CLIENT,
        VEHICLES,
        'local:g1',
        'group:DEMO/g',
        '/**',
        'GET',
        '2147483648',
        '-1',
      ),
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    const call = fc.oneof(
      fc.tuple(
        fc.constant('DELETE'),
        text.map((t) => `/acl/${encodeURIComponent(t)}`),
        fc.constant(undefined),
      ),
      fc.tuple(
        fc.constant('DELETE'),
        fc
          .tuple(text, text)
          .map(([g, m]) => `/local-groups/${encodeURIComponent(g)}/members/${encodeURIComponent(m)}`),
        fc.constant(undefined),
      ),
      fc.tuple(
        fc.constant('DELETE'),
        text.map((t) => `/is-certificates/${encodeURIComponent(t)}`),
        fc.constant(undefined),
      ),
      fc.tuple(
        fc.constant('POST'),
        fc.constant('/acl'),
        fc.record(
          {
            subject: text,
            service: text,
            method: text,
            pathPattern: text,
            mayHide: fc.oneof(fc.boolean(), text),
          },
          { requiredKeys: [] },
        ),
      ),
      fc.tuple(
        fc.constant('POST'),
        text.map((g) => `/local-groups/${encodeURIComponent(g)}/members`),
        fc.record({ member: text }, { requiredKeys: [] }),
      ),
      fc.tuple(
        fc.constant('POST'),
        fc.constant('/is-certificates'),
        fc.record({ client: text, fingerprint: text }, { requiredKeys: [] }),
      ),
    );
    await fc.assert(
      fc.asyncProperty(call, async ([method, path, body]) => {
        const response = await admin(method, path, body);
        expect(
          response.status,
          `${method} ${path} ${JSON.stringify(body)}: ${await response.text()}`,
        ).toBeLessThan(500);
      }),
      { numRuns: 400 },
    );
  });
});
