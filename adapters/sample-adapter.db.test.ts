import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run.ts';
import type { Database } from '../core/database/index.ts';
import { silentLogger } from '../core/index.ts';
import { createTestDatabase } from '../tests/support/database.ts';
import { adapterCommands } from './cli.ts';
import { storyCitizen } from './index.ts';
import { startSampleAdapter } from './sample-adapter.ts';
import type { RunningAdapter } from './sdk/index.ts';

describe('sample adapter', () => {
  let database: Database;
  let adapter: RunningAdapter;

  beforeAll(async () => {
    database = await createTestDatabase();
    adapter = await startSampleAdapter({
      registries: ['population', 'vehicles', 'business-register'],
      db: database.db,
      log: silentLogger,
      port: 0,
      plainHttp: 'development-on-loopback',
    });
  });
  afterAll(async () => {
    await adapter?.close();
    await database?.close();
  });

  const call = (path: string, service: string, subject?: string) =>
    fetch(`${adapter.url}${path}`, {
      headers: {
        'einmal-client': 'DEMO/GOV/munich/parking-permits',
        'einmal-service': service,
        ...(subject ? { 'einmal-subject': subject, 'einmal-purpose': 'parking-permit' } : {}),
        'einmal-message-id': randomUUID(),
      },
    });

  it('serves all three registries over HTTP, migrated and seeded', async () => {
    const address = await call(
      '/address-v1/',
      'DEMO/GOV/residents-office/register/address-v1',
      storyCitizen.id,
    );
    expect(((await address.json()) as { address: { city: string } }).address.city).toBe('München');
    const vehicles = await call(
      '/vehicles-by-holder-v1',
      'DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1',
      storyCitizen.id,
    );
    expect(((await vehicles.json()) as { vehicles: { plate: string }[] }).vehicles[0]?.plate).toBe(
      'M-AH 1234',
    );
    const company = await call(
      '/company-v1?registerNumber=HRB%20123456',
      'DEMO/GOV/business-register/companies/company-v1',
    );
    expect(((await company.json()) as { name: string }).name).toBe('Isarwerk Mobilität GmbH');
    expect((await fetch(`${adapter.url}/readyz`)).status).toBe(200);
  });

  it('starts again on the same database without migrating or seeding twice', async () => {
    const second = await startSampleAdapter({
      registries: ['population'],
      db: database.db,
      log: silentLogger,
      port: 0,
      plainHttp: 'development-on-loopback',
    });
    try {
      const response = await fetch(`${second.url}/_einmal/services`);
      expect(((await response.json()) as { services: unknown[] }).services).toHaveLength(2);
    } finally {
      await second.close();
    }
  });
});

describe('einmal adapter openapi', () => {
  it('prints the OpenAPI document of the chosen registries without a database', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      ['adapter', 'openapi', '--registry', 'population,vehicles'],
      [adapterCommands],
      {
        out: (line) => out.push(line),
        err: (line) => err.push(line),
      },
    );
    expect(code).toBe(0);
    const document = JSON.parse(out.join('\n'));
    expect(Object.keys(document.paths)).toEqual(['/address-v1', '/household-v1', '/vehicles-by-holder-v1']);
  });

  it('names the registries it knows when given another', async () => {
    const err: string[] = [];
    const code = await runCli(['adapter', 'serve', '--registry', 'weather'], [adapterCommands], {
      out: () => {},
      err: (line) => err.push(line),
    });
    expect(code).toBe(2);
    expect(err[0]).toContain('Cli.Usage');
    expect(err[0]).toContain('population, vehicles, business-register');
  });

  it.each([
    [['--tls-cert', 'a.pem', '--tls-key', 'a.key.pem'], /--tls-ca, --gateway-cert missing/],
    [['--plain-http', '--host', '0.0.0.0'], /loopback address only, not on 0\.0\.0\.0/],
    [['--plain-http', '--gateway-cert', 'gw.pem'], /exclude each other/],
  ])(
    'serves only its gateway over mutual TLS unless told --plain-http on loopback (%s)',
    async (args, message) => {
      const err: string[] = [];
      const code = await runCli(
        ['adapter', 'serve', '--registry', 'population', ...args],
        [adapterCommands],
        {
          out: () => {},
          err: (line) => err.push(line),
        },
      );
      expect(code).toBe(2);
      expect(err[0]).toContain('Cli.Usage');
      expect(err[0]).toMatch(message);
    },
  );
});
