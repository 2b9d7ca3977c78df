import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrateToLatest } from '../../core/database/index.ts';
import { silentLogger } from '../../core/index.ts';
import { createTestDatabase } from '../../tests/support/database.ts';
import { testCitizens } from '../sample-citizens.ts';
import { createAdapterApp } from '../sdk/index.ts';
import { type AdapterTestkit, createAdapterTestkit } from '../sdk/testkit.ts';
import { createVehiclesAdapter, seedVehicles, vehiclesMigrations } from './index.ts';

const [anna, lukas, mia, , sophie] = testCitizens;

describe('vehicles adapter', () => {
  let database: Database;
  let kit: AdapterTestkit;
  let vehicles: ReturnType<typeof createVehiclesAdapter>;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateToLatest(database.db, vehiclesMigrations);
    await seedVehicles(database.db);
    await seedVehicles(database.db);
    vehicles = createVehiclesAdapter({ db: database.db });
    kit = createAdapterTestkit(createAdapterApp({ services: vehicles.services, log: silentLogger }));
  });
  afterAll(() => database.close());

  it('lists the vehicles the verified subject holds', async () => {
    const response = await kit.call({ service: vehicles.services[0]!, subject: anna!.id });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      subject: anna!.id,
      vehicles: [
        {
          plate: 'M-AH 1234',
          make: 'Volkswagen',
          model: 'Golf',
          emissionClass: 'Euro 6d',
          firstRegistration: '2021-04-15',
          heldSince: '2021-04-15',
        },
      ],
    });
  });

  it('answers an empty list for someone holding no vehicle now', async () => {
    for (const citizen of [mia!, sophie!]) {
      const response = await kit.call({ service: vehicles.services[0]!, subject: citizen.id });
      expect(response.body).toEqual({ subject: citizen.id, vehicles: [] });
    }
  });

  it('refuses to list the vehicles of anyone else', async () => {
    const response = await kit.call({
      service: vehicles.services[0]!,
      subject: anna!.id,
      input: { personId: lukas!.id },
    });
    expect(response.status).toBe(403);
    expect(response.body.type).toBe('Adapter.SubjectMismatch');
    expect(JSON.stringify(response.body)).not.toContain('M-LH');
  });

  it('carries the demo metadata, including its second purpose and hiding', async () => {
    const { body } = await kit.request('/_einmal/services');
    expect(body.services[0]).toMatchObject({
      code: 'vehicles-by-holder',
      version: 'v1',
      title: 'Vehicles held',
      eidScope: 'vehicles.holder',
      hideable: true,
    });
    expect(body.services[0].purposes.map((p: { code: string }) => p.code)).toEqual([
      'parking-permit',
      'traffic-offence',
    ]);
    const report = await kit.checkContract(vehicles.services[0]!, [{ subject: lukas!.id }]);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  });
});
