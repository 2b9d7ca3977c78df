import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrateToLatest } from '../../core/database/index.ts';
import { demoServices } from '../../dev/demo-federation.ts';
import { createTestDatabase } from '../../tests/support/database.ts';
import {
  addGateway,
  addGatewayAuthCertificate,
  addGlobalGroup,
  addMember,
  addRevocation,
  addService,
  addSubsystem,
  findGateway,
  listGlobalGroups,
  listMembers,
  listRevocations,
  listServices,
  type RegistryDb,
  readDirectoryVersion,
  recordChange,
  registryMigrations,
  removeMember,
  removeSubsystem,
} from './index.ts';

describe('registry repository', () => {
  let database: Database;
  let db: Kysely<RegistryDb>;
  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateToLatest(database.db, registryMigrations);
    db = database.db.withSchema(registryMigrations.schema) as Kysely<RegistryDb>;
  });
  afterAll(() => database.close());

  it('bumps the directory version once per change and not for refused ones', async () => {
    const start = await readDirectoryVersion(db);
    await addMember(db, { id: 'DEMO/GOV/residents-office', name: 'Residents office' });
    await addSubsystem(db, { id: 'DEMO/GOV/residents-office/register' });
    expect(await readDirectoryVersion(db)).toBe(start + 2);
    await expect(addMember(db, { id: 'DEMO/GOV/residents-office', name: 'Again' })).rejects.toMatchObject({
      code: 'Client.Conflict',
    });
    await expect(addSubsystem(db, { id: 'DEMO/GOV/nobody/x' })).rejects.toMatchObject({
      code: 'Registry.UnknownReference',
    });
    expect(await readDirectoryVersion(db)).toBe(start + 2);
  });

  it('stores services with their citizen-facing policy', async () => {
    const [address] = demoServices;
    await addService(db, address!);
    expect(await listServices(db)).toEqual([address]);
  });

  it('refuses removing entries others still refer to', async () => {
    await expect(removeMember(db, 'DEMO/GOV/residents-office')).rejects.toMatchObject({
      code: 'Registry.EntryInUse',
    });
    await expect(removeSubsystem(db, 'DEMO/GOV/residents-office/register')).rejects.toMatchObject({
      code: 'Registry.EntryInUse',
    });
    await expect(removeMember(db, 'DEMO/GOV/unknown')).rejects.toMatchObject({ code: 'Client.NotFound' });
  });

  it('keeps gateways, their fingerprints and hosted clients', async () => {
    await addGateway(db, {
      id: 'DEMO/GOV/residents-office/gw1',
      address: 'https://127.0.0.1:4411',
      authCertificateFingerprints: ['aa'],
      clients: ['DEMO/GOV/residents-office/register'],
    });
    await addGatewayAuthCertificate(db, 'DEMO/GOV/residents-office/gw1', 'bb');
    expect(await findGateway(db, 'DEMO/GOV/residents-office/gw1')).toEqual({
      id: 'DEMO/GOV/residents-office/gw1',
      address: 'https://127.0.0.1:4411',
      authCertificateFingerprints: ['aa', 'bb'],
      clients: ['DEMO/GOV/residents-office/register'],
    });
    await addGlobalGroup(db, {
      id: 'DEMO/registers',
      description: 'Registers',
      members: ['DEMO/GOV/residents-office'],
    });
    expect(await listGlobalGroups(db)).toHaveLength(1);
  });

  it('lists revocations in order with their time', async () => {
    const revokedAt = new Date('2030-01-02T03:04:05Z');
    await addRevocation(db, { issuer: 'CN=Issuing CA', serialNumber: '0A1B', revokedAt });
    expect(await listRevocations(db)).toEqual([{ issuer: 'CN=Issuing CA', serialNumber: '0a1b', revokedAt }]);
  });

  it('joins a caller transaction, so a failed step leaves nothing behind', async () => {
    const before = await readDirectoryVersion(db);
    await expect(
      db.transaction().execute(async (trx) => {
        await recordChange(trx, async () => {});
        await addMember(trx, { id: 'DEMO/GOV/temporary', name: 'Temporary' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await readDirectoryVersion(db)).toBe(before);
    expect((await listMembers(db)).map((m) => m.id)).not.toContain('DEMO/GOV/temporary');
  });
});
