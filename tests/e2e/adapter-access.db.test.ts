import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storyCitizen } from '../../adapters/index.ts';
import { connectInformationSystem, type InformationSystem } from '../../dev/information-system.ts';
import { verifiedContextHeaders } from '../../schemas/index.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { type ForgeKit, openForgeKit, type TlsCredentials } from '../support/forge-request.ts';

const RESIDENTS = 'DEMO/GOV/residents-office';
const ADDRESS_SERVICE = `${RESIDENTS}/register/address-v1`;

interface Answer {
  readonly status: number | undefined;
  readonly body: string;
  readonly error: string | undefined;
}

/**
 * docs/protocol.md §5: adapters accept calls only from their provider gateway, in the demo too. A local
 * caller that reaches the adapter's port directly and asserts the verified context itself (who
 * asks, about whom, why) must get nothing, whatever federation certificate it holds.
 */
describe('the demo’s adapters answer only their own gateway', () => {
  let federation: TestFederation;
  let forge: ForgeKit;
  let permits: InformationSystem;
  const agents: Agent[] = [];

  beforeAll(async () => {
    federation = await startTestFederation();
    forge = await openForgeKit(federation);
    permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
  }, 120_000);
  afterAll(async () => {
    await Promise.all(agents.map((agent) => agent.close()));
    await permits?.close();
    await forge?.close();
    await federation?.close();
  });

  /** Calls the residents' adapter directly, as `as` (or with no certificate), forging the context. */
  const callAdapter = async (
    as: TlsCredentials | null,
    messageId: string,
    base?: string,
  ): Promise<Answer> => {
    const agent = new Agent({ connect: { ...(as ?? {}), ca: forge.ca } });
    agents.push(agent);
    const headers = verifiedContextHeaders({
      client: 'DEMO/GOV/munich/parking-permits',
      service: ADDRESS_SERVICE,
      messageId,
      subject: storyCitizen.id,
      purpose: 'parking-permit',
      legalBasis: null,
      userId: null,
      issue: null,
    });
    try {
      const response = await request(`${base ?? federation.endpoints.adapters[RESIDENTS]}/address-v1`, {
        headers,
        dispatcher: agent,
      });
      return { status: response.statusCode, body: await response.body.text(), error: undefined };
    } catch (error) {
      return { status: undefined, body: '', error: (error as Error).message };
    }
  };
  const adapterLines = (messageId: string) =>
    federation.logLines().filter((line) => line.component === 'adapter' && line.messageId === messageId);

  it('serves the provider gateway: the story’s exchange works and the adapter logs what it released', async () => {
    expect(federation.endpoints.adapters[RESIDENTS]).toMatch(/^https:\/\//);
    const messageId = randomUUID();
    const token = await federation.citizenToken('population.address');
    const answer = await permits.call('GET', `/r1/${ADDRESS_SERVICE}`, {
      headers: { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit', 'x-road-id': messageId },
    });
    expect(answer.status, answer.body).toBe(200);
    expect(answer.json).toMatchObject({ subject: storyCitizen.id, address: { city: 'München' } });
    expect(adapterLines(messageId)).toEqual([
      expect.objectContaining({ msg: 'answered', member: RESIDENTS }),
    ]);
  });

  it('cuts off a caller without a certificate in the TLS handshake', async () => {
    const messageId = randomUUID();
    const answer = await callAdapter(null, messageId);
    expect(answer.status).toBeUndefined();
    expect(answer.error).toBeDefined();
    expect(adapterLines(messageId)).toEqual([]);
  });

  it('refuses a plain HTTP caller', async () => {
    const messageId = randomUUID();
    const plain = federation.endpoints.adapters[RESIDENTS]!.replace(/^https:/, 'http:');
    const answer = await callAdapter(null, messageId, plain);
    expect(answer.body).not.toContain('München');
    expect(answer.status ?? 400).toBeGreaterThanOrEqual(400);
    expect(adapterLines(messageId)).toEqual([]);
  });

  it.each([
    ['the city’s gateway (another member)', () => forge.gatewayTls('DEMO/GOV/munich/gw1')],
    ['another provider’s gateway', () => forge.gatewayTls('DEMO/GOV/vehicle-authority/gw1')],
    ['an information system', () => forge.clientTls('DEMO/GOV/munich/parking-permits')],
  ])('refuses %s with 403 Adapter.NotGateway and logs it', async (_name, credentials) => {
    const messageId = randomUUID();
    const answer = await callAdapter(await credentials(), messageId);
    expect(answer.status, answer.error).toBe(403);
    const body = JSON.parse(answer.body) as { type: string; detail: string };
    expect(body.type).toBe('Adapter.NotGateway');
    expect(answer.body).not.toContain('München');
    expect(answer.body).not.toContain(storyCitizen.id);
    // Nothing was answered for the forged message id; the refusal is in the adapter's log.
    expect(adapterLines(messageId)).toEqual([]);
    const refusal = federation.logLines().filter((line) => line.errorId === body.detail);
    expect(refusal).toEqual([
      expect.objectContaining({ component: 'adapter', member: RESIDENTS, code: 'Adapter.NotGateway' }),
    ]);
  });
});
