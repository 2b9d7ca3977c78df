import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, type MigrationSet, migrateToLatest } from '../../core/database/index.ts';
import { gatewayMigrations } from '../../gateway/index.ts';
import { registryMigrations } from '../../registry/index.ts';
import { createTestDatabase } from '../support/database.ts';

/** The migration set as it was before `newest`: what an existing federation runs today. */
const migrationsBefore = (set: MigrationSet, newest: string): MigrationSet => ({
  schema: set.schema,
  migrations: Object.fromEntries(Object.entries(set.migrations).filter(([name]) => name < newest)),
});

let database: Database;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

describe('an existing federation migrates to five-part service ids', () => {
  it('the registry rewrites its services and publishes a new directory version', async () => {
    const set = { ...registryMigrations, schema: 'registry_migration' };
    await migrateToLatest(database.db, migrationsBefore(set, '0400_xroad_service_ids'));
    const db = database.db.withSchema(set.schema) as Kysely<any>;
    await db
      .insertInto('member')
      .values({ id: 'DEMO/GOV/residents-office', name: 'Residents’ office' })
      .execute();
    await db
      .insertInto('subsystem')
      .values({ id: 'DEMO/GOV/residents-office/register', member_id: 'DEMO/GOV/residents-office' })
      .execute();
    const policy = {
      subsystem_id: 'DEMO/GOV/residents-office/register',
      title: 'Registered address',
      description: 'The main residence',
      personal_data: true,
      purposes: JSON.stringify([]),
      legal_bases: JSON.stringify([]),
      hideable: false,
    };
    await db
      .insertInto('service')
      .values([
        { ...policy, id: 'DEMO/GOV/residents-office/register/address/v1' },
        { ...policy, id: 'DEMO/GOV/residents-office/register/household/v2' },
        { ...policy, id: 'DEMO/GOV/residents-office/register/company-v1' },
      ])
      .execute();
    const { version } = await db.selectFrom('directory_version').select('version').executeTakeFirstOrThrow();

    expect(await migrateToLatest(database.db, set)).toEqual(['0400_xroad_service_ids']);
    const ids = await db.selectFrom('service').select('id').orderBy('id').execute();
    expect(ids.map((row) => row.id)).toEqual([
      'DEMO/GOV/residents-office/register/address-v1',
      'DEMO/GOV/residents-office/register/company-v1',
      'DEMO/GOV/residents-office/register/household-v2',
    ]);
    const after = await db.selectFrom('directory_version').select('version').executeTakeFirstOrThrow();
    expect(Number(after.version)).toBe(Number(version) + 1);
  });

  it('a gateway rewrites access rules and hiding grants, never the signed record it logged', async () => {
    const set = { schema: 'gateway_migration', migrations: gatewayMigrations };
    await migrateToLatest(database.db, migrationsBefore(set, 'gateway_0006_xroad_service_ids'));
    const db = database.db.withSchema(set.schema) as Kysely<any>;
    const legacy = 'DEMO/GOV/residents-office/register/address/v1';
    await db
      .insertInto('access_rule')
      .values([
        { subject: 'DEMO/GOV/munich/parking-permits', service: legacy, method: 'GET', may_hide: true },
        {
          subject: 'local:officers',
          service: 'DEMO/GOV/residents-office/register/company-v1',
          may_hide: false,
        },
      ])
      .execute();
    const canonical = Buffer.from(JSON.stringify({ service: legacy, messageId: 'x' }));
    await db
      .insertInto('audit_record')
      .values({
        tree: 'DEMO/GOV/munich/gw1',
        idx: 0,
        log_time: new Date('2026-01-01T00:00:00Z'),
        message_id: '6f9619ff-8b86-4011-b42d-00c04fc964ff',
        side: 'consumer',
        service: legacy,
        status: 200,
        outcome: 'ok',
        canonical,
      })
      .execute();

    expect(await migrateToLatest(database.db, set)).toContain('gateway_0006_xroad_service_ids');
    const rules = await db.selectFrom('access_rule').select(['service', 'may_hide']).orderBy('id').execute();
    expect(rules).toEqual([
      { service: 'DEMO/GOV/residents-office/register/address-v1', may_hide: true },
      { service: 'DEMO/GOV/residents-office/register/company-v1', may_hide: false },
    ]);
    const record = await db
      .selectFrom('audit_record')
      .select(['service', 'canonical'])
      .executeTakeFirstOrThrow();
    // The search column finds the record by its five-part id; the leaf is what was signed.
    expect(record.service).toBe('DEMO/GOV/residents-office/register/address-v1');
    expect(Buffer.from(record.canonical).equals(canonical)).toBe(true);
    const count = await sql<{
      n: number;
    }>`select count(*)::int as n from ${sql.table(`${set.schema}.audit_record`)}`.execute(database.db);
    expect(count.rows[0]?.n).toBe(1);
  });
});
