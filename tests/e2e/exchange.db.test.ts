import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storyCitizen, testCitizens } from '../../adapters/index.ts';
import { connectInformationSystem, type InformationSystem } from '../../dev/information-system.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';

const ADDRESS = '/r1/DEMO/GOV/residents-office/register/address-v1';
const VEHICLES = '/r1/DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1';
const COMPANY = '/r1/DEMO/GOV/business-register/companies/company-v1';

describe('the signed once-only exchange, end to end', () => {
  let federation: TestFederation;
  let permits: InformationSystem;
  let token: string;

  beforeAll(async () => {
    federation = await startTestFederation();
    permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    token = await federation.citizenToken('population.address vehicles.holder');
  }, 120_000);
  afterAll(async () => {
    await permits?.close();
    await federation?.close();
  });

  it('returns the citizen’s registered address with the X-Road response headers', async () => {
    const messageId = '6f1c3b0e-8d4a-4c55-9a77-0b1b2c3d4e5f';
    const answer = await permits.call('GET', ADDRESS, {
      headers: { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit', 'x-road-id': messageId },
    });
    expect(answer.status, answer.body).toBe(200);
    expect(answer.json).toMatchObject({ subject: storyCitizen.id, address: { city: 'München' } });
    expect(answer.headers['x-road-id']).toBe(messageId);
    expect(answer.headers['x-road-client']).toBe('DEMO/GOV/munich/parking-permits');
    expect(answer.headers['x-road-service']).toBe('DEMO/GOV/residents-office/register/address-v1');
    expect(answer.headers['x-road-request-hash']).toMatch(/^[A-Za-z0-9+/]{86}==$/);

    // One record per side, committed before the answer came back, paired by message id.
    const consumer = await federation
      .gatewayDb('DEMO/GOV/munich/gw1')
      .selectFrom('audit_record')
      .selectAll()
      .where('message_id', '=', messageId)
      .execute();
    const provider = await federation
      .gatewayDb('DEMO/GOV/residents-office/gw1')
      .selectFrom('audit_record')
      .selectAll()
      .where('message_id', '=', messageId)
      .execute();
    expect(consumer).toHaveLength(1);
    expect(provider).toHaveLength(1);
    for (const [record] of [consumer, provider]) {
      expect(record).toMatchObject({ outcome: 'ok', status: 200, subject: storyCitizen.id });
      const canonical = JSON.parse(Buffer.from(record!.canonical).toString('utf8'));
      expect(canonical).toMatchObject({
        purpose: 'parking-permit',
        client: 'DEMO/GOV/munich/parking-permits',
      });
      // The log holds the token's digest, never the token.
      expect(canonical.eidDigest).toBe(createHash('sha256').update(token).digest('base64url'));
      expect(Buffer.from(record!.canonical).toString('utf8')).not.toContain(token);
    }
  });

  it('serves the vehicles held by the same citizen through another provider gateway', async () => {
    const answer = await permits.call('GET', VEHICLES, {
      headers: { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit' },
    });
    expect(answer.status, answer.body).toBe(200);
    expect(JSON.stringify(answer.json)).toContain('M-AH 1234');
  });

  it('serves public company data without any eID token', async () => {
    const answer = await permits.call('GET', `${COMPANY}?registerNumber=${encodeURIComponent('HRB 123456')}`);
    expect(answer.status, answer.body).toBe(200);
  });

  it('lets an official act for a declared subject with a legal basis', async () => {
    const other = testCitizens[3]!;
    const answer = await permits.call('GET', ADDRESS, {
      headers: {
        'einmal-subject': other.id,
        'einmal-purpose': 'parking-permit',
        'einmal-legal-basis': 'de-bmg-34',
        'x-road-userid': 'DE-munich-clerk-17',
      },
    });
    expect(answer.status, answer.body).toBe(200);
    expect(answer.json).toMatchObject({ subject: other.id });
  });

  it('lists and describes the provider’s services through the X-Road metaservices', async () => {
    const list = await permits.call('GET', '/r1/DEMO/GOV/residents-office/register/listMethods');
    expect(list.status, list.body).toBe(200);
    const codes = (list.json as { service: { service_code: string }[] }).service.map((s) => s.service_code);
    expect(codes).toEqual(['address-v1', 'household-v1']);
    const allowed = await permits.call('GET', '/r1/DEMO/GOV/residents-office/register/allowedMethods');
    expect(allowed.status).toBe(200);
    const openapi = await permits.call(
      'GET',
      '/r1/DEMO/GOV/residents-office/register/getOpenAPI?serviceCode=address-v1',
    );
    expect(openapi.status).toBe(200);
    expect(Object.keys((openapi.json as { paths: object }).paths)).toEqual(['/']);
    const clients = await permits.call('GET', '/listClients', { headers: { accept: 'application/json' } });
    expect(JSON.stringify(clients.json)).toContain('residents-office');
  });
});
