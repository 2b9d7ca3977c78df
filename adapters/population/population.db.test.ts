import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrateToLatest } from '../../core/database/index.ts';
import { silentLogger } from '../../core/index.ts';
import { createTestDatabase } from '../../tests/support/database.ts';
import { storyCitizen, testCitizens } from '../sample-citizens.ts';
import { createAdapterApp } from '../sdk/index.ts';
import { type AdapterTestkit, createAdapterTestkit } from '../sdk/testkit.ts';
import { createPopulationAdapter, populationMigrations, seedPopulation } from './index.ts';

const [anna, lukas, mia, emre, sophie] = testCitizens;

describe('population adapter', () => {
  let database: Database;
  let kit: AdapterTestkit;
  let population: ReturnType<typeof createPopulationAdapter>;
  const service = (code: string) => population.services.find((s) => s.code === code)!;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateToLatest(database.db, populationMigrations);
    await seedPopulation(database.db);
    await seedPopulation(database.db);
    population = createPopulationAdapter({ db: database.db });
    const app = createAdapterApp({
      services: population.services,
      log: silentLogger,
      title: population.title,
    });
    kit = createAdapterTestkit(app, { provider: 'DEMO/GOV/residents-office/register' });
  });
  afterAll(() => database.close());

  it('answers with the registered main residence of the verified subject', async () => {
    expect(storyCitizen.id).toBe('DE65402138797');
    const response = await kit.call({ service: service('address'), subject: 'DE65402138797' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      subject: 'DE65402138797',
      address: {
        street: 'Sendlinger Straße',
        houseNumber: '12',
        postalCode: '80331',
        city: 'München',
        country: 'DE',
      },
      since: '2012-05-01',
    });
  });

  it('answers with the current residence only, not a closed registration', async () => {
    const response = await kit.call({ service: service('address'), subject: sophie!.id });
    expect(response.body.address.street).toBe('Rosenheimer Straße');
    expect(response.body.since).toBe('2003-02-15');
  });

  it('refuses to answer about another citizen named in the query', async () => {
    const response = await kit.call({
      service: service('address'),
      subject: anna!.id,
      input: { subject: lukas!.id },
    });
    expect(response.status).toBe(403);
    expect(response.body.type).toBe('Adapter.SubjectMismatch');
    expect(JSON.stringify(response.body)).not.toContain('Sendlinger');
  });

  it('refuses calls without the verified-context headers', async () => {
    const response = await kit.request('/address-v1');
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('Client.InvalidHeader');
  });

  it('says Adapter.NotFound for a well-formed subject nobody registered', async () => {
    const response = await kit.call({ service: service('address'), subject: 'DE12345678901' });
    expect(response.status).toBe(404);
    expect(response.body.type).toBe('Adapter.NotFound');
  });

  it('lists the Huber household: Anna, Lukas and Mia at one Munich address', async () => {
    const response = await kit.call({ service: service('household'), subject: mia!.id });
    expect(response.status).toBe(200);
    expect(response.body.subject).toBe(mia!.id);
    expect(response.body.address.city).toBe('München');
    expect(response.body.members).toEqual([
      { givenName: 'Lukas', familyName: 'Huber', birthDate: '1983-11-02', since: '2012-05-01' },
      { givenName: 'Anna', familyName: 'Huber', birthDate: '1985-03-14', since: '2012-05-01' },
      { givenName: 'Mia', familyName: 'Huber', birthDate: '2015-06-21', since: '2015-06-21' },
    ]);
    const single = await kit.call({ service: service('household'), subject: emre!.id });
    expect(single.body.members).toEqual([
      { givenName: 'Emre', familyName: 'Yılmaz', birthDate: '1990-01-30', since: '2019-10-01' },
    ]);
  });

  it('takes its metadata from the demo federation and documents it in OpenAPI', async () => {
    const { body } = await kit.request('/_einmal/services');
    expect(body.services).toEqual([
      expect.objectContaining({
        serviceCode: 'address-v1',
        code: 'address',
        version: 'v1',
        title: 'Registered address',
        eidScope: 'population.address',
        requiredLoa: 'substantial',
        purposes: [{ code: 'parking-permit', title: 'Application for a resident parking permit' }],
        method: 'GET',
        path: '/',
      }),
      expect.objectContaining({ code: 'household', eidScope: 'population.household', requiredLoa: 'high' }),
    ]);
    const openapi = await kit.request('/_einmal/openapi');
    expect(Object.keys(openapi.body.paths)).toEqual(['/address-v1', '/household-v1']);
    expect(openapi.body.components.schemas['address-v1.Response'].properties.address.required).toEqual([
      'street',
      'houseNumber',
      'postalCode',
      'city',
      'country',
    ]);
  });

  it('keeps its contract as the testkit checks it', async () => {
    for (const code of ['address', 'household']) {
      const report = await kit.checkContract(service(code), [
        { subject: anna!.id },
        { name: 'unregistered', subject: 'DE12345678901', expectError: 'Adapter.NotFound' },
      ]);
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    }
  });
});
