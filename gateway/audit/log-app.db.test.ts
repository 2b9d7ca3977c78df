import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendLeaves,
  hashFromBase64,
  hashToBase64,
  leafHash,
  rootHash,
  verifyConsistency,
} from '../../audit/index.ts';
import { type Database, migrateToLatest, silentLogger } from '../../core/index.ts';
import { createTestDatabase } from '../../tests/support/database.ts';
import { gatewayMigrations } from '../db/migrations.ts';
import type { GatewayDb } from '../db/tables.ts';
import { createLogApp } from './log-app.ts';

const GATEWAY = 'DEMO/GOV/munich/gw1';
const NODE2 = `${GATEWAY}#node2`;

let database: Database;
let db: Kysely<GatewayDb>;
let app: ReturnType<typeof createLogApp>;

const leaves = (n: number, from = 0, tag = '') =>
  Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`record ${from + i}${tag}`)));
const all = leaves(21);

async function get(path: string) {
  const response = await app.request(path);
  return { status: response.status, body: (await response.json()) as any };
}

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateToLatest(database.db, { schema: 'gw_log_app', migrations: gatewayMigrations });
  db = database.db.withSchema('gw_log_app') as unknown as Kysely<GatewayDb>;
  await appendLeaves(db, GATEWAY, all.slice(0, 5));
  await appendLeaves(db, GATEWAY, all.slice(5));
  await appendLeaves(db, 'node2', leaves(3, 0, 'node2'));
  for (const [size, cosigned] of [
    [5, true],
    [13, false],
    [21, true],
  ] as const) {
    await db
      .insertInto('checkpoint')
      .values({
        tree: GATEWAY,
        size,
        root: hashToBase64(rootHash(all.slice(0, size))),
        time: new Date(Date.UTC(2025, 0, 1, 0, 0, size)),
        jws: `checkpoint-${size}`,
        cosignature: cosigned ? `cosignature-${size}` : null,
      })
      .execute();
  }
  app = createLogApp({ db, log: silentLogger, gatewayId: GATEWAY, tree: GATEWAY });
});

afterAll(() => database?.close());

describe("a gateway's public log view", () => {
  it('lists the signed checkpoints with their cosignatures, in pages', async () => {
    const page = await get('/log/v1/checkpoints');
    expect(page.status).toBe(200);
    expect(page.body).toEqual({
      origin: GATEWAY,
      treeSize: 21,
      checkpoints: [5, 13, 21].map((size) => ({
        size,
        root: hashToBase64(rootHash(all.slice(0, size))),
        time: new Date(Date.UTC(2025, 0, 1, 0, 0, size)).toISOString(),
        checkpoint: `checkpoint-${size}`,
        cosignature: size === 13 ? null : `cosignature-${size}`,
      })),
      next: null,
    });
    const first = await get('/log/v1/checkpoints?limit=2');
    expect(first.body.checkpoints.map((c: { size: number }) => c.size)).toEqual([5, 13]);
    expect(first.body.next).toBe(13);
    const rest = await get(`/log/v1/checkpoints?after=13&limit=2`);
    expect(rest.body).toMatchObject({ checkpoints: [{ size: 21 }], next: null });
    const node = await get(`/log/v1/checkpoints?origin=${encodeURIComponent(NODE2)}`);
    expect(node.body).toEqual({ origin: NODE2, treeSize: 3, checkpoints: [], next: null });
  });

  it('serves a consistency proof between any two sizes that verifies against the roots', async () => {
    for (let first = 0; first <= 21; first++) {
      for (const second of [first, Math.min(21, first + 1), 13, 21].filter((s) => s >= first)) {
        const { status, body } = await get(`/log/v1/consistency?first=${first}&second=${second}`);
        expect(status).toBe(200);
        expect(body).toMatchObject({ origin: GATEWAY, first, second });
        expect(() =>
          verifyConsistency({
            oldSize: first,
            newSize: second,
            oldRoot: rootHash(all.slice(0, first)),
            newRoot: rootHash(all.slice(0, second)),
            proof: body.proof.map(hashFromBase64),
          }),
        ).not.toThrow();
      }
    }
    // A proof says nothing for another history.
    const { body } = await get('/log/v1/consistency?first=5&second=21');
    expect(() =>
      verifyConsistency({
        oldSize: 5,
        newSize: 21,
        oldRoot: rootHash(leaves(5, 0, 'rewritten')),
        newRoot: rootHash(all),
        proof: body.proof.map(hashFromBase64),
      }),
    ).toThrow();
  });

  it('answers bad sizes and origins with clear 4xx', async () => {
    const cases: [string, number, string, string?][] = [
      [
        '/log/v1/consistency?first=13&second=5',
        400,
        'Audit.RangeError',
        'first (13) is larger than second (5)',
      ],
      [
        '/log/v1/consistency?first=5&second=22',
        400,
        'Audit.RangeError',
        "second (22) is past the log's size (21)",
      ],
      ['/log/v1/consistency?first=-1&second=5', 400, 'Client.BadRequest'],
      ['/log/v1/consistency?first=1e3&second=5', 400, 'Client.BadRequest'],
      ['/log/v1/consistency?first=99999999999999999&second=5', 400, 'Client.BadRequest'],
      ['/log/v1/consistency?second=5', 400, 'Client.BadRequest'],
      ['/log/v1/consistency?first=1&second=5&extra=1', 400, 'Client.BadRequest'],
      ['/log/v1/checkpoints?limit=0', 400, 'Client.BadRequest'],
      ['/log/v1/checkpoints?after=x', 400, 'Client.BadRequest'],
      [`/log/v1/checkpoints?origin=${encodeURIComponent('DEMO/GOV/vehicles/gw1')}`, 404, 'Client.NotFound'],
      ['/log/v1/consistency?first=1&second=2&origin=garbage', 404, 'Client.NotFound'],
    ];
    for (const [path, status, type, message] of cases) {
      const response = await get(path);
      expect([response.status, response.body.type], path).toEqual([status, type]);
      if (message) expect(response.body.message).toBe(message);
    }
    const node = await get(`/log/v1/consistency?first=2&second=4&origin=${encodeURIComponent(NODE2)}`);
    expect(node.body).toMatchObject({ type: 'Audit.RangeError' });
  });

  it('answers any query with 200 or a 4xx, never a 5xx', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.nat().map(String),
      fc.constant('9007199254740993'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/log/v1/checkpoints', '/log/v1/consistency'),
        fc.dictionary(fc.constantFrom('origin', 'first', 'second', 'after', 'limit', 'x'), value),
        async (path, query) => {
          const response = await app.request(`${path}?${new URLSearchParams(query)}`);
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });
});
