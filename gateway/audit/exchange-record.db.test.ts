import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, EinmalError, migrateToLatest, silentLogger } from '../../core/index.ts';
import { type AuditRecord, auditRecordSchema } from '../../schemas/index.ts';
import { sampleAuditRecord } from '../../tests/support/audit-record.ts';
import { createTestDatabase } from '../../tests/support/database.ts';
import { gatewayMigrations } from '../db/migrations.ts';
import type { GatewayDb } from '../db/tables.ts';
import { createAuditLog } from './audit-log.ts';
import { checkLoggable, loggableRejection, unloggableFields } from './exchange-record.ts';

const TREE = 'DEMO/GOV/residents-office/gw1';

let database: Database;
let db: Kysely<GatewayDb>;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateToLatest(database.db, { schema: 'gw_records', migrations: gatewayMigrations });
  db = database.db.withSchema('gw_records') as Kysely<GatewayDb>;
});
afterAll(() => database.close());

const jws = (length: number) => `eyJhbGciOiJFUzI1NiJ9.${'a'.repeat(length - 64)}.${'s'.repeat(42)}`;

/** Values a peer or a client could get into a record, near the edges of what the log holds. */
const edge = fc.constantFrom<unknown>(
  null,
  '',
  'x',
  'de65402138797',
  'DEabcd12345',
  'DE65402138797',
  'a\u0000b',
  '\u0000',
  'GET',
  'M-SEARCH',
  '/',
  '/a b',
  '/a\u0000b',
  '0000-01-01T00:00:00.000Z',
  '0000-12-31T23:59:59.999Z',
  '0001-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59.999Z',
  '9999-12-31T23:59:59.999-00:01',
  '+010000-01-01T00:00:00.000Z',
  jws(8192),
  jws(8193),
  'Client.NoSuchCode',
  'DEMO/GOV/munich/parking%2Dpermits',
  999,
  99,
);
// The fields whose values come from a request; the others the gateway sets itself.
const OWN = new Set(['gateway', 'side', 'logTime', 'status', 'outcome', 'errorCode']);
const fields = (Object.keys(auditRecordSchema.shape) as (keyof AuditRecord)[]).filter((f) => !OWN.has(f));
const mutated = fc.array(fc.tuple(fc.constantFrom(...fields), edge), { maxLength: 3 }).map((changes) => {
  const record: Record<string, unknown> = { ...sampleAuditRecord({ gateway: TREE }) };
  for (const [field, value] of changes) record[field] = value;
  return record as unknown as AuditRecord;
});

describe('records the log can hold', () => {
  it('names the fields the log cannot hold, and never their values', () => {
    const record = {
      ...sampleAuditRecord(),
      subject: 'DEabcd12345',
      hiddenUntil: '0000-01-01T00:00:00.000Z',
    };
    expect(unloggableFields(record)).toEqual(['subject', 'hiddenUntil']);
    try {
      checkLoggable(record, 'Server.ServerProxy.RequestNotLoggable');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EinmalError);
      expect((error as EinmalError).code).toBe('Server.ServerProxy.RequestNotLoggable');
      expect((error as EinmalError).message).toContain('subject, hiddenUntil');
      expect((error as EinmalError).message).not.toContain('DEabcd');
    }
  });

  it('keeps the digest of a request envelope too large to keep', () => {
    const record = {
      ...sampleAuditRecord(),
      outcome: 'rejected' as const,
      errorCode: 'Server.ServerProxy.MalformedSignature' as const,
      status: 400,
      requestSignature: jws(9000),
      requestDigest: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
    };
    expect(loggableRejection(record)).toMatchObject({
      requestSignature: null,
      requestDigest: record.requestDigest,
    });
  });

  it('writes every record it accepts, and every refusal once emptied of what it cannot hold (property)', async () => {
    const log = createAuditLog({ db, tree: TREE, log: silentLogger });
    await fc.assert(
      fc.asyncProperty(mutated, async (generated) => {
        // A fresh id per run: fast-check replays values while shrinking, and the log serves an id once.
        const valid = typeof generated.messageId === 'string' && /^[0-9a-f-]{36}$/.test(generated.messageId);
        const record = { ...generated, messageId: valid ? randomUUID() : generated.messageId };
        const accepted = unloggableFields(record).length === 0;
        if (accepted) {
          await expect(log.append(record)).resolves.toMatchObject({ index: expect.any(Number) });
        }
        const refusal = loggableRejection({
          ...record,
          messageId: valid ? randomUUID() : record.messageId,
          outcome: 'rejected',
          errorCode: 'Server.ServerProxy.InvalidClaims',
          status: 400,
        });
        expect(unloggableFields(refusal)).toEqual([]);
        expect(auditRecordSchema.safeParse(refusal).success).toBe(true);
        await expect(log.append(refusal)).resolves.toMatchObject({ index: expect.any(Number) });
      }),
      { numRuns: 150 },
    );
  });
});
