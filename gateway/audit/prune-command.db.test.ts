import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTreeSize } from '../../audit/index.ts';
import { type Database, migrateToLatest, openDatabase } from '../../core/database/index.ts';
import { silentLogger } from '../../core/index.ts';
import type { AuditRecord } from '../../schemas/index.ts';
import { createServerDatabase } from '../../tests/support/database.ts';
import { gatewayMigrations } from '../db/migrations.ts';
import type { GatewayDb } from '../db/tables.ts';
import { createAuditLog } from './audit-log.ts';

const execFileAsync = promisify(execFile);
const CLI = fileURLToPath(new URL('../../bin/einmal.js', import.meta.url));
const SCHEMA = 'gw_prune';
const TREE = 'DEMO/GOV/munich/gw1';
const DAY = 86_400_000;

const refused = (logTime: Date): AuditRecord => ({
  logTime: logTime.toISOString(),
  messageId: randomUUID(),
  side: 'provider',
  gateway: TREE,
  client: 'DEMO/GOV/munich/parking-permits',
  service: 'DEMO/GOV/residents-office/register/address/v1',
  method: 'GET',
  path: '/address',
  subject: 'DE10001',
  userId: null,
  issue: null,
  purpose: null,
  legalBasis: null,
  consentRef: null,
  hiddenUntil: null,
  hiddenReason: null,
  status: 403,
  outcome: 'rejected',
  errorCode: 'Client.Forbidden',
  requestDigest: null,
  responseDigest: null,
  requestSignature: null,
  responseSignature: null,
  eidDigest: null,
});

/** `einmal gateway prune` against a gateway database on PostgreSQL, as an operator runs it. */
describe('einmal gateway prune', () => {
  let created: Awaited<ReturnType<typeof createServerDatabase>>;
  let database: Database;
  let db: Kysely<GatewayDb>;

  beforeAll(async () => {
    created = await createServerDatabase(
      process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    );
    database = await openDatabase({ url: created.url });
    await migrateToLatest(database.db, { schema: SCHEMA, migrations: gatewayMigrations });
    db = database.db.withSchema(SCHEMA) as unknown as Kysely<GatewayDb>;
    const log = createAuditLog({ db, tree: TREE, log: silentLogger });
    for (const daysAgo of [1200, 1100, 800, 10, 0])
      await log.append(refused(new Date(Date.now() - daysAgo * DAY)));
  });
  afterAll(async () => {
    await database?.close();
    await created?.drop();
  });

  it('removes the content of records past the retention period and keeps the tree', async () => {
    const { stdout } = await execFileAsync(process.execPath, [
      CLI,
      ...['gateway', 'prune', '--database-url', created.url, '--schema', SCHEMA, '--retention-days', '730'],
    ]);
    const result = JSON.parse(stdout);
    // Three records are older than two years; their months have no partition of their own.
    expect(result).toMatchObject({ partitionsDropped: [], recordsDeleted: 3 });
    const held = await db.selectFrom('audit_record').select('idx').orderBy('idx').execute();
    expect(held.map((r) => Number(r.idx))).toEqual([3, 4]);
    expect(await getTreeSize(db, TREE)).toBe(5);
  });

  it('refuses a retention period that is not a number of days', async () => {
    const run = execFileAsync(process.execPath, [
      CLI,
      ...[
        'gateway',
        'prune',
        '--database-url',
        created.url,
        '--schema',
        SCHEMA,
        '--retention-days',
        'two years',
      ],
    ]);
    await expect(run).rejects.toMatchObject({ stderr: expect.stringContaining('--retention-days') });
  });
});
