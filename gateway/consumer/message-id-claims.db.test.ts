import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrateToLatest } from '../../core/database/index.ts';
import { createTestDatabase } from '../../tests/support/database.ts';
import { gatewayMigrations } from '../db/migrations.ts';
import type { GatewayDb } from '../db/tables.ts';
import { createMessageIdClaims } from './message-id-claims.ts';

const PERMITS = 'DEMO/GOV/munich/parking-permits';
const OTHER = 'DEMO/GOV/munich/other';

let database: Database;
let db: Kysely<GatewayDb>;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateToLatest(database.db, { schema: 'gw_claims', migrations: gatewayMigrations });
  db = database.db.withSchema('gw_claims') as Kysely<GatewayDb>;
});
afterAll(() => database.close());

describe('message id claims', () => {
  it('lets an id be sent once, by any client, through any node sharing the database', async () => {
    const node1 = createMessageIdClaims({ db });
    const node2 = createMessageIdClaims({ db });
    const id = randomUUID();
    expect(await node1.claim(id, PERMITS)).toBe(true);
    expect(await node1.claim(id, PERMITS)).toBe(false);
    expect(await node2.claim(id, OTHER)).toBe(false);
    // A restarted gateway is a new writer on the same table.
    expect(await createMessageIdClaims({ db }).claim(id, PERMITS)).toBe(false);
    expect(await node2.claim(randomUUID(), PERMITS)).toBe(true);
  });

  it('grants one of many concurrent claims of one id, within one batch and across nodes', async () => {
    const id = randomUUID();
    const nodes = [createMessageIdClaims({ db }), createMessageIdClaims({ db })];
    const others = Array.from({ length: 20 }, () => randomUUID());
    const results = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => nodes[i % 2]!.claim(id, PERMITS)),
      ...others.map((other, i) => nodes[i % 2]!.claim(other, PERMITS)),
    ]);
    expect(results.slice(0, 10).filter(Boolean)).toHaveLength(1);
    expect(results.slice(10).every(Boolean)).toBe(true);
    const stored = await db.selectFrom('message_id_claim').selectAll().where('message_id', '=', id).execute();
    expect(stored).toEqual([{ message_id: id, client: PERMITS, claimed_at: expect.any(Date) }]);
  });

  it('rejects the claims of a batch the database cannot store, and claims again once it can', async () => {
    const claims = createMessageIdClaims({ db });
    const id = randomUUID();
    // The table is out of reach for a while: the statement fails in the database, storing nothing.
    await sql`alter table gw_claims.message_id_claim rename to message_id_claim_away`.execute(db);
    try {
      await expect(claims.claim(id, PERMITS)).rejects.toMatchObject({ code: '42P01' });
    } finally {
      await sql`alter table gw_claims.message_id_claim_away rename to message_id_claim`.execute(db);
    }
    expect(await claims.claim(id, PERMITS)).toBe(true);
  });
});
