import { readFile } from 'node:fs/promises';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../core/index.ts';
import { testCitizens } from '../../dev/citizens.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { openForgeKit, type TlsCredentials } from '../support/forge-request.ts';

const CITY_GATEWAY = 'DEMO/GOV/munich/gw1';
const CLIENT = 'DEMO/GOV/munich/parking-permits';
const ADDRESS = '/r1/DEMO/GOV/residents-office/register/address/v1';
const COMPANY = '/r1/DEMO/GOV/business-register/companies/company/v1';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly json: unknown;
}

/**
 * DESIGN.md §4 and §15: hostile calls of an information system to the city's own gateway (the
 * client API). Each is refused with its own stable code in `X-Road-Error` and the body's `type`,
 * never a 500, and leaves a rejection record in the city gateway's log.
 */
describe('the client API refuses hostile information-system calls', () => {
  let federation: TestFederation;
  let clientApi: string;
  let ca: string;
  let permits: TlsCredentials;
  let token: string;
  const agents: Agent[] = [];

  beforeAll(async () => {
    federation = await startTestFederation();
    clientApi = federation.endpoints.gateways.find((g) => g.id === CITY_GATEWAY)!.client;
    const forge = await openForgeKit(federation);
    ca = forge.ca;
    await forge.close();
    const own = federation.endpoints.clients.find((c) => c.id === CLIENT)!;
    const [cert, key] = await Promise.all([readFile(own.cert, 'utf8'), readFile(own.key, 'utf8')]);
    permits = { cert, key };
    token = await federation.citizenToken('population.address');
  }, 120_000);
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await federation?.close();
  });

  /**
   * One call to the client API. The path is sent byte for byte (no URL normalisation), so dot
   * segments and percent-encodings reach the gateway as an attacker wrote them.
   */
  async function call(
    method: string,
    path: string,
    options: { tls?: TlsCredentials | null; headers?: Record<string, string>; body?: string | Buffer } = {},
  ): Promise<Answer> {
    const tls = options.tls === undefined ? permits : options.tls;
    const agent = new Agent({ connect: { ...(tls ?? {}), ca } });
    agents.push(agent);
    const response = await agent.request({
      origin: clientApi,
      method: method as 'GET',
      path,
      headers: { 'x-road-client': CLIENT, ...options.headers },
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    const body = await response.body.text();
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    return { status: response.statusCode, headers: response.headers, body, json };
  }

  const cityLog = () => federation.gatewayDb(CITY_GATEWAY).selectFrom('audit_record').selectAll();

  /** The refusal a user sees, plus exactly one new rejection record with that code. */
  async function expectRefused(code: ErrorCode, status: number, attack: () => Promise<Answer>) {
    const before = await cityLog().where('error_code', '=', code).execute();
    const answer = await attack();
    expect(answer.headers['x-road-error'], answer.body).toBe(code);
    expect(answer.status).toBe(status);
    expect(answer.json).toMatchObject({
      type: code,
      message: expect.any(String),
      detail: expect.any(String),
    });
    expect(answer.body).not.toMatch(/stack|at .*\.ts:\d+/);
    const after = await cityLog().where('error_code', '=', code).orderBy('idx').execute();
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toMatchObject({ outcome: 'rejected', side: 'consumer', status });
    return { answer, record: after.at(-1)! };
  }

  it('answers the unaltered call (the control every attack changes one thing of)', async () => {
    const answer = await call('GET', `${COMPANY}?registerNumber=${encodeURIComponent('HRB 123456')}`);
    expect(answer.status, answer.body).toBe(200);
    const address = await call('GET', ADDRESS, {
      headers: { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit' },
    });
    expect(address.status, address.body).toBe(200);
  });

  describe('who is calling', () => {
    it('refuses another agency’s registered IS certificate claiming the city’s client', async () => {
      const vehicles = federation.endpoints.clients.find(
        (c) => c.id === 'DEMO/GOV/vehicle-authority/vehicles',
      )!;
      const [cert, key] = await Promise.all([
        readFile(vehicles.cert, 'utf8'),
        readFile(vehicles.key, 'utf8'),
      ]);
      const { record } = await expectRefused('Client.UnknownClient', 403, () =>
        call('GET', COMPANY, { tls: { cert, key } }),
      );
      expect(record.client).toBe(CLIENT);
    });

    it('refuses the vehicle authority’s client on the city’s gateway, even with its own certificate', async () => {
      const vehicles = federation.endpoints.clients.find(
        (c) => c.id === 'DEMO/GOV/vehicle-authority/vehicles',
      )!;
      const [cert, key] = await Promise.all([
        readFile(vehicles.cert, 'utf8'),
        readFile(vehicles.key, 'utf8'),
      ]);
      await expectRefused('Client.UnknownClient', 403, () =>
        call('GET', COMPANY, {
          tls: { cert, key },
          headers: { 'x-road-client': 'DEMO/GOV/vehicle-authority/vehicles' },
        }),
      );
    });

    it('refuses a caller without a client certificate', async () => {
      const before = await cityLog().execute();
      const outcome = await call('GET', COMPANY, { tls: null }).then(
        (answer) => answer,
        (error: unknown) => error,
      );
      if (outcome instanceof Error) {
        // Refused in the TLS handshake: nothing reached the application.
        expect(await cityLog().execute()).toHaveLength(before.length);
      } else {
        const answer = outcome as Answer;
        expect(answer.headers['x-road-error']).toBe('Client.Unauthenticated');
        expect(answer.status).toBe(401);
      }
    });

    it('refuses a request without X-Road-Client', async () => {
      await expectRefused('Client.MissingClient', 400, () =>
        call('GET', COMPANY, { headers: { 'x-road-client': '' } }),
      );
    });

    it.each([
      ['too few parts', 'DEMO/GOV'],
      ['too many parts', `${CLIENT}/extra`],
      ['a dot-dot part', 'DEMO/GOV/../parking-permits'],
      ['a space', 'DEMO/GOV/munich/parking permits'],
      ['an encoded slash', 'DEMO/GOV/munich%2Fparking-permits/x'],
      ['an over-long part', `DEMO/GOV/munich/${'p'.repeat(65)}`],
    ])('refuses a malformed X-Road-Client with %s', async (_what, client) => {
      await expectRefused('Client.InvalidIdentifier', 400, () =>
        call('GET', COMPANY, { headers: { 'x-road-client': client } }),
      );
    });
  });

  describe('what is asked for', () => {
    it.each([
      ['a dot-dot member', '/r1/DEMO/GOV/../x/register/address/v1', 'Client.InvalidIdentifier'],
      ['an encoded dot-dot member', '/r1/DEMO/GOV/%2e%2e/register/address/v1', 'Client.InvalidIdentifier'],
      [
        'an encoded slash in the member',
        '/r1/DEMO/GOV/residents-office%2Fregister/address/v1',
        'Client.InvalidIdentifier',
      ],
      ['a dot-dot after the service', `${ADDRESS}/../../household/v1`, 'Client.InvalidPath'],
      ['an encoded dot-dot after the service', `${ADDRESS}/%2e%2e/%2E%2E/household/v1`, 'Client.InvalidPath'],
      ['an encoded slash after the service', `${ADDRESS}/a%2F..%2Fb`, 'Client.InvalidPath'],
      ['an empty segment', `${ADDRESS}/a//b`, 'Client.InvalidPath'],
      ['too few parts', '/r1/DEMO/GOV/residents-office', 'Client.InvalidIdentifier'],
    ] as const)('refuses a path with %s', async (_what, path, code) => {
      await expectRefused(code, 400, () =>
        call('GET', path, { headers: { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit' } }),
      );
    });

    it('refuses an over-long request URI', async () => {
      await expectRefused('Client.UriTooLong', 414, () => call('GET', `${COMPANY}?q=${'a'.repeat(5000)}`));
    });

    it('refuses a service the directory does not know, without a 500', async () => {
      await expectRefused('Server.ClientProxy.UnknownService', 404, () =>
        call('GET', '/r1/DEMO/GOV/residents-office/register/criminal-record/v1'),
      );
    });

    it('refuses a body over 1 MiB with 413', async () => {
      const body = Buffer.alloc(1_048_577, 0x61);
      await expectRefused('Client.BodyTooLarge', 413, () =>
        call('POST', COMPANY, { body, headers: { 'content-type': 'application/json' } }),
      );
    });
  });

  describe('headers', () => {
    it.each([
      ['a purpose with spaces', { 'einmal-purpose': 'parking permit' }],
      ['an over-long X-Road-UserId', { 'x-road-userid': 'u'.repeat(201) }],
      ['a tab in X-Road-Issue', { 'x-road-issue': 'case\t17' }],
      ['a legal basis that tries a header break', { 'einmal-legal-basis': 'de-bmg-34; x-injected: 1' }],
      ['a token that is not a JWT', { 'einmal-eid-token': 'not a token' }],
      ['a hiding date that is not a date', { 'einmal-hidden-until': 'tomorrow' }],
    ])('refuses %s', async (_what, headers) => {
      await expectRefused('Client.InvalidHeader', 400, () => call('GET', ADDRESS, { headers }));
    });

    it('refuses an X-Road-Id that is not a UUID', async () => {
      await expectRefused('Client.InvalidMessageId', 400, () =>
        call('GET', COMPANY, { headers: { 'x-road-id': '../../etc/passwd' } }),
      );
    });

    it('refuses a malformed subject', async () => {
      await expectRefused('Client.InvalidSubject', 400, () =>
        call('GET', ADDRESS, {
          headers: { 'einmal-subject': 'de65402138797', 'einmal-purpose': 'parking-permit' },
        }),
      );
    });

    it('refuses a declared subject that differs from the token’s', async () => {
      await expectRefused('Client.SubjectMismatch', 400, () =>
        call('GET', ADDRESS, {
          headers: {
            'einmal-eid-token': token,
            'einmal-subject': testCitizens[3]!.id,
            'einmal-purpose': 'parking-permit',
          },
        }),
      );
    });
  });
});
