import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storyCitizen } from '../../adapters/index.ts';
import { verifyInclusion } from '../../audit/index.ts';
import { connectInformationSystem, type InformationSystem } from '../../dev/information-system.ts';
import { hashFromBase64 } from '../../protocol/index.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';

const ADDRESS = '/r1/DEMO/GOV/residents-office/register/address-v1';
const VEHICLES = '/r1/DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1';
const MUNICH = 'DEMO/GOV/munich/gw1';

describe('the citizen reads the log of the parking-permit story on Munich’s public API', () => {
  let federation: TestFederation;
  let permits: InformationSystem;
  let anonymous: Agent;
  let auditor: Agent;
  let publicUrl: string;
  const messageIds: string[] = [];

  beforeAll(async () => {
    federation = await startTestFederation();
    permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    const ca = await readFile(federation.endpoints.pki.caBundle, 'utf8');
    const files = federation.manifest.auditor;
    const [cert, key] = await Promise.all(
      [files.cert, files.key].map((f) => readFile(join(federation.dir, f), 'utf8')),
    );
    anonymous = new Agent({ connect: { ca } });
    auditor = new Agent({ connect: { ca, cert, key } });
    publicUrl = federation.endpoints.gateways.find((g) => g.id === MUNICH)!.public;

    const token = await federation.citizenToken('population.address vehicles.holder');
    for (const path of [ADDRESS, VEHICLES]) {
      const answer = await permits.call('GET', path, {
        headers: { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit' },
      });
      expect(answer.status, answer.body).toBe(200);
      messageIds.push(answer.headers['x-road-id'] as string);
    }
  }, 180_000);
  afterAll(async () => {
    await permits?.close();
    await anonymous?.close();
    await auditor?.close();
    await federation?.close();
  });

  const get = async (dispatcher: Agent, path: string, headers: Record<string, string> = {}) => {
    const response = await request(`${publicUrl}${path}`, { dispatcher, headers });
    return { status: response.statusCode, body: (await response.body.json()) as any };
  };

  it('lists both accesses with agency, data and purpose', async () => {
    const token = await federation.citizenToken('audit.read');
    const { status, body } = await get(anonymous, '/citizen/v1/records', {
      authorization: `Bearer ${token}`,
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.records.map((r: any) => r.messageId)).toEqual([...messageIds].reverse());
    expect(body.records.map((r: any) => r.data.title)).toEqual(['Vehicles held', 'Registered address']);
    for (const record of body.records) {
      expect(record).toMatchObject({
        side: 'consumer',
        agency: { member: 'DEMO/GOV/munich', client: 'DEMO/GOV/munich/parking-permits' },
        purpose: { code: 'parking-permit', title: 'Application for a resident parking permit' },
        status: 200,
        outcome: 'ok',
      });
      // A record already covered by a witnessed checkpoint carries a proof that verifies against it.
      if (record.proof) {
        const checkpoint = body.checkpoints.find((c: any) => c.tree === record.proof.tree);
        verifyInclusion({
          leafIndex: record.proof.leafIndex,
          treeSize: record.proof.treeSize,
          leafHash: hashFromBase64(record.proof.leafHash),
          proof: record.proof.proof.map((p: string) => hashFromBase64(p)),
          root: hashFromBase64(checkpoint.root),
        });
      }
    }

    const usage = await get(anonymous, `/v3/findUsage?userCode=${storyCitizen.id}`, {
      authorization: `Bearer ${token}`,
      'x-road-userid': storyCitizen.id,
    });
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({ totalUsages: 2, returnedUsages: 2 });
  });

  it('refuses a token without the audit.read scope', async () => {
    const token = await federation.citizenToken('population.address');
    const { status, body } = await get(anonymous, '/citizen/v1/records', {
      authorization: `Bearer ${token}`,
    });
    expect([status, body.type]).toEqual([403, 'Server.ServerProxy.TokenScope']);
  });

  it('serves the auditor over mutual TLS with the auditor certificate, and no one without it', async () => {
    const refused = await get(anonymous, '/audit/v1/records');
    expect([refused.status, refused.body.type]).toEqual([401, 'Client.Unauthenticated']);
    const records = await get(auditor, `/audit/v1/records?subject=${storyCitizen.id}`);
    expect(records.status, JSON.stringify(records.body)).toBe(200);
    expect(records.body.records.map((r: any) => r.record.messageId)).toEqual([...messageIds].reverse());
    const exchange = await get(auditor, `/audit/v1/exchanges/${messageIds[0]}`);
    expect(exchange.body.consumer).toHaveLength(1);
    expect(exchange.body.consumer[0].record).toMatchObject({ side: 'consumer', subject: storyCitizen.id });
  });
});
