import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInformationSystem, type InformationSystem } from '../../dev/information-system.ts';
import { auditRecordSchema } from '../../schemas/index.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';

const CITY_GATEWAY = 'DEMO/GOV/munich/gw1';
const RESIDENTS_GATEWAY = 'DEMO/GOV/residents-office/gw1';
const ADDRESS = '/r1/DEMO/GOV/residents-office/register/address-v1';
const ADDRESS_DATA = '{"subject":"DE65402138797","address":{"street":"Sendlinger Straße"}}';

/** What the rogue provider answers: status, headers, body; never an `Einmal-Response`. */
interface RogueAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * docs/protocol.md §6.2: the consumer gateway returns nothing to its information system that the provider
 * did not sign, except the provider's own refusal. Here the residents' office runs a rogue gateway
 * (its real TLS certificate, so the city's gateway connects to it) that sends the address unsigned,
 * dressed as a refusal: it must neither reach the permit system nor leave the city's log with a
 * record it cannot verify.
 */
describe('the consumer gateway against a provider that answers without signing', () => {
  let federation: TestFederation;
  let permits: InformationSystem;
  let rogue: Server | undefined;
  let answer: RogueAnswer = { status: 200, headers: {}, body: '' };

  beforeAll(async () => {
    federation = await startTestFederation({
      launchGateway: async (config, _log, inThisProcess) => {
        if (config.GATEWAY_ID !== RESIDENTS_GATEWAY) return inThisProcess();
        const [cert, key] = await Promise.all(
          [config.GATEWAY_TLS_CERT, config.GATEWAY_TLS_KEY].map((f) => readFile(f, 'utf8')),
        );
        const server = createServer(
          { cert, key, requestCert: true, rejectUnauthorized: false },
          (req, res) => {
            req.resume();
            req.on('end', () => {
              res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
              res.end(answer.body);
            });
          },
        );
        rogue = server;
        await new Promise<void>((resolve) => server.listen(config.GATEWAY_PEER_PORT, '127.0.0.1', resolve));
        return {
          ports: {
            peer: config.GATEWAY_PEER_PORT,
            client: config.GATEWAY_CLIENT_PORT,
            admin: undefined,
            public: undefined,
            ops: undefined,
          },
          close: () => new Promise<void>((resolve) => server.close(() => resolve())),
        };
      },
    });
    permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
  }, 120_000);
  afterAll(async () => {
    await permits?.close();
    await federation?.close();
    rogue?.closeAllConnections();
  });

  const cityRecord = async (messageId: string) =>
    federation
      .gatewayDb(CITY_GATEWAY)
      .selectFrom('audit_record')
      .selectAll()
      .where('message_id', '=', messageId)
      .executeTakeFirstOrThrow();

  /** The permit system asks for the address under a new message id. */
  const ask = async () => {
    const token = await federation.citizenToken('population.address');
    const messageId = randomUUID();
    const response = await permits.call('GET', ADDRESS, {
      headers: { 'x-road-id': messageId, 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit' },
    });
    return { ...response, messageId };
  };

  it.each([
    ['a 200 carrying an X-Road-Error', 200, 'Server.ServerProxy.AccessDenied'],
    ['an error status with a code einmal does not know', 403, 'Server.ServerProxy.Whatever'],
  ])('refuses %s as an unverifiable response and logs it so', async (_what, status, code) => {
    answer = { status, headers: { 'x-road-error': code }, body: ADDRESS_DATA };
    const response = await ask();
    expect(response.headers['x-road-error'], response.body).toBe('Server.ClientProxy.InvalidResponse');
    expect(response.status).toBe(502);
    expect(response.body).not.toContain('Sendlinger');
    const record = await cityRecord(response.messageId);
    expect(record).toMatchObject({
      outcome: 'failed',
      error_code: 'Server.ClientProxy.InvalidResponse',
      status: 502,
    });
    // Whatever a peer sends, the city's record stays one the offline verifier accepts.
    const canonical = JSON.parse(Buffer.from(record.canonical).toString('utf8'));
    expect(auditRecordSchema.safeParse(canonical).success).toBe(true);
  });

  it('passes the provider’s own refusal through, logged as refused', async () => {
    answer = {
      status: 403,
      headers: { 'x-road-error': 'Server.ServerProxy.AccessDenied' },
      body: '{"type":"Server.ServerProxy.AccessDenied","message":"The client is not allowed to use this service","detail":"x"}',
    };
    const response = await ask();
    expect([response.status, response.headers['x-road-error']]).toEqual([
      403,
      'Server.ServerProxy.AccessDenied',
    ]);
    expect(await cityRecord(response.messageId)).toMatchObject({
      outcome: 'rejected',
      error_code: 'Server.ServerProxy.AccessDenied',
      status: 403,
    });
  });
});
