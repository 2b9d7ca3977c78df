import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrateToLatest } from '../../core/database/index.ts';
import { silentLogger } from '../../core/index.ts';
import { createTestDatabase } from '../../tests/support/database.ts';
import { storyCitizen } from '../sample-citizens.ts';
import { createAdapterApp } from '../sdk/index.ts';
import { type AdapterTestkit, createAdapterTestkit } from '../sdk/testkit.ts';
import { businessRegisterMigrations, createBusinessRegisterAdapter, seedBusinessRegister } from './index.ts';

describe('business register adapter', () => {
  let database: Database;
  let kit: AdapterTestkit;
  let register: ReturnType<typeof createBusinessRegisterAdapter>;
  const company = () => register.services[0]!;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateToLatest(database.db, businessRegisterMigrations);
    await seedBusinessRegister(database.db);
    await seedBusinessRegister(database.db);
    register = createBusinessRegisterAdapter({ db: database.db });
    kit = createAdapterTestkit(createAdapterApp({ services: register.services, log: silentLogger }));
  });
  afterAll(() => database.close());

  it('answers the public record of a company without any subject', async () => {
    const response = await kit.call({
      service: company(),
      subject: null,
      input: { registerNumber: 'HRB 123456' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      registerNumber: 'HRB 123456',
      registerCourt: 'Amtsgericht München',
      name: 'Isarwerk Mobilität GmbH',
      legalForm: 'GmbH',
      businessAddress: { city: 'München', postalCode: '80339' },
      registeredOn: '2016-03-09',
      status: 'active',
    });
  });

  it('also answers when a citizen initiated the request', async () => {
    const response = await kit.call({
      service: company(),
      subject: storyCitizen.id,
      input: { registerNumber: 'HRA 98765' },
    });
    expect(response.body.name).toBe('Brauhaus Au Huber & Co. KG');
  });

  it('refuses malformed register numbers and says when none is registered', async () => {
    for (const registerNumber of ['', 'HRB', 'HRB 0123', "HRB 1'; drop table company; --", 'hrb 123456']) {
      const response = await kit.call({ service: company(), subject: null, input: { registerNumber } });
      expect(response.status).toBe(400);
      expect(response.body.type).toBe('Client.InvalidQuery');
    }
    const missing = await kit.call({ service: company(), subject: null, input: {} });
    expect(missing.body.type).toBe('Client.InvalidQuery');
    const unknown = await kit.call({
      service: company(),
      subject: null,
      input: { registerNumber: 'HRB 999999' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe('Adapter.NotFound');
  });

  it('documents registerNumber as a required query parameter', async () => {
    const { body } = await kit.request('/_einmal/openapi');
    const operation = body.paths['/company-v1'].get;
    expect(operation.parameters).toContainEqual(
      expect.objectContaining({ name: 'registerNumber', in: 'query', required: true }),
    );
    expect(operation['x-einmal']).toMatchObject({ personalData: false, eidScope: null, requiredLoa: null });
    const report = await kit.checkContract(company(), [
      { subject: null, input: { registerNumber: 'HRB 54321' } },
      { subject: null, input: { registerNumber: 'HRB 1' }, expectError: 'Adapter.NotFound' },
    ]);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });
});
