import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrateToLatest, silentLogger } from '../../core/index.ts';
import { sampleAuditRecord } from '../../tests/support/audit-record.ts';
import { createTestDatabase } from '../../tests/support/database.ts';
import { createAuditLog } from '../audit/audit-log.ts';
import { gatewayMigrations } from '../db/migrations.ts';
import type { GatewayDb } from '../db/tables.ts';
import { createReplayGuard, primeReplayGuard } from './replay-guard.ts';

const PROVIDER = 'DEMO/GOV/residents-office/gw1';
const SKEW_MS = 60_000;

let database: Database;
let db: Kysely<GatewayDb>;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateToLatest(database.db, { schema: 'gw_replay', migrations: gatewayMigrations });
  db = database.db.withSchema('gw_replay') as Kysely<GatewayDb>;
});
afterAll(() => database.close());

describe('a replay guard primed from the provider’s records', () => {
  it('refuses ids the provider recorded within two skews before a restart, on any node', async () => {
    const now = Date.parse('2026-05-04T10:00:00Z');
    const ago = (ms: number) => new Date(now - ms).toISOString();
    const ids = {
      served: 'a1a1a1a1-0000-4000-8000-000000000001',
      refused: 'a1a1a1a1-0000-4000-8000-000000000002',
      otherNode: 'a1a1a1a1-0000-4000-8000-000000000003',
      stillFresh: 'a1a1a1a1-0000-4000-8000-000000000004',
      tooOld: 'a1a1a1a1-0000-4000-8000-000000000005',
      consumerSide: 'a1a1a1a1-0000-4000-8000-000000000006',
    };
    const provider = { side: 'provider' as const, gateway: PROVIDER };
    const node1 = createAuditLog({ db, tree: `${PROVIDER}#node1`, log: silentLogger });
    const node2 = createAuditLog({ db, tree: `${PROVIDER}#node2`, log: silentLogger });
    await Promise.all([
      node1.append(sampleAuditRecord({ ...provider, messageId: ids.served, logTime: ago(1_000) })),
      node1.append(
        sampleAuditRecord({
          ...provider,
          messageId: ids.refused,
          logTime: ago(5_000),
          status: 403,
          outcome: 'rejected',
          errorCode: 'Server.ServerProxy.AccessDenied',
        }),
      ),
      node2.append(sampleAuditRecord({ ...provider, messageId: ids.otherNode, logTime: ago(30_000) })),
      // Processed two skews ago with an `iat` a skew ahead: a replay now would still be fresh.
      node1.append(sampleAuditRecord({ ...provider, messageId: ids.stillFresh, logTime: ago(2 * SKEW_MS) })),
      node1.append(sampleAuditRecord({ ...provider, messageId: ids.tooOld, logTime: ago(2 * SKEW_MS + 1) })),
      node1.append(sampleAuditRecord({ messageId: ids.consumerSide, logTime: ago(1_000) })),
    ]);
    await Promise.all([node1.drain(), node2.drain()]);

    let clock = now;
    const guard = createReplayGuard({ windowMs: 2 * SKEW_MS, clock: () => clock });
    expect(await primeReplayGuard(guard, db, now)).toBe(4);
    expect(guard.claim(ids.served)).toBe(false);
    expect(guard.claim(ids.refused)).toBe(false);
    expect(guard.claim(ids.otherNode)).toBe(false);
    expect(guard.claim(ids.stillFresh)).toBe(false);
    // Its `iat` is stale by now, so the freshness check refuses it; no memory needed.
    expect(guard.claim(ids.tooOld)).toBe(true);
    // The consumer side's ids are its own business (another gateway may serve the same id).
    expect(guard.claim(ids.consumerSide)).toBe(true);

    // Primed ids are kept at least a full window, as claimed ones are, across the guard's rotation.
    clock = now + 2 * SKEW_MS + 1;
    expect(guard.claim(ids.served)).toBe(false);
  });
});
