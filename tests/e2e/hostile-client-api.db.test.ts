import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect as connectTls } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { storyCitizen, testCitizens } from '../../adapters/index.ts';
import type { ErrorCode } from '../../core/index.ts';
import { auditRecordSchema } from '../../schemas/index.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { sendRaw } from '../support/forge-raw-http.ts';
import { openForgeKit, type TlsCredentials } from '../support/forge-request.ts';

const CITY_GATEWAY = 'DEMO/GOV/munich/gw1';
const RESIDENTS_GATEWAY = 'DEMO/GOV/residents-office/gw1';
const VEHICLE_GATEWAY = 'DEMO/GOV/vehicle-authority/gw1';
const BUSINESS_GATEWAY = 'DEMO/GOV/business-register/gw1';
const CLIENT = 'DEMO/GOV/munich/parking-permits';
const ADDRESS = '/r1/DEMO/GOV/residents-office/register/address-v1';
const VEHICLES = '/r1/DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1';
const COMPANY = '/r1/DEMO/GOV/business-register/companies/company-v1';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly json: unknown;
}

/**
 * docs/protocol.md §2: hostile calls of an information system to the city's own gateway (the
 * client API). Each is refused with its own stable code in `X-Road-Error` and the body's `type`,
 * never a 500, and leaves a rejection record in the city gateway's log.
 */
describe('the client API refuses hostile information-system calls', () => {
  let federation: TestFederation;
  let clientApi: string;
  let ca: string;
  let permits: TlsCredentials;
  let token: string;
  let vehiclesToken: string;
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
    vehiclesToken = await federation.citizenToken('vehicles.holder');
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
      ['a dot-dot member', '/r1/DEMO/GOV/../x/register/address-v1', 'Client.InvalidIdentifier'],
      ['an encoded dot-dot member', '/r1/DEMO/GOV/%2e%2e/register/address-v1', 'Client.InvalidIdentifier'],
      [
        'an encoded slash in the member',
        '/r1/DEMO/GOV/residents-office%2Fregister/address-v1',
        'Client.InvalidIdentifier',
      ],
      ['a dot-dot after the service', `${ADDRESS}/../../household-v1`, 'Client.InvalidPath'],
      ['an encoded dot-dot after the service', `${ADDRESS}/%2e%2e/%2E%2E/household-v1`, 'Client.InvalidPath'],
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
        call('GET', '/r1/DEMO/GOV/residents-office/register/criminal-record-v1'),
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
      // Dates zod and Date accept but PostgreSQL's timestamptz does not.
      ['a hiding date in the year 0000', { 'einmal-hidden-until': '0000-01-01T00:00:00Z' }],
      ['a hiding date past the year 9999', { 'einmal-hidden-until': '9999-12-31T23:59:59.999-00:01' }],
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

  const recordsOf = (gatewayId: string, messageId: string) =>
    federation
      .gatewayDb(gatewayId)
      .selectFrom('audit_record')
      .selectAll()
      .where('message_id', '=', messageId)
      .execute();

  describe('protocol edges', () => {
    it('serves a percent-encoded alias of a service path under its one canonical form, on both sides', async () => {
      const id = randomUUID();
      const answer = await call('GET', '/r1/DEMO/GOV/residents-office/register/%61ddress-v1', {
        headers: { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit', 'x-road-id': id },
      });
      expect(answer.status, answer.body).toBe(200);
      expect(answer.headers['x-road-service']).toBe(ADDRESS.slice('/r1/'.length));
      for (const gateway of [CITY_GATEWAY, RESIDENTS_GATEWAY]) {
        const [stored] = await recordsOf(gateway, id);
        const record = auditRecordSchema.parse(JSON.parse(Buffer.from(stored!.canonical).toString('utf8')));
        expect(record).toMatchObject({ outcome: 'ok', path: ADDRESS, service: ADDRESS.slice('/r1/'.length) });
      }
    });

    it('refuses an X-Road-Id already used for another provider before sending it, also after a restart', async () => {
      const id = randomUUID();
      const first = await call('GET', ADDRESS, {
        headers: { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit', 'x-road-id': id },
      });
      expect(first.status, first.body).toBe(200);
      const { record } = await expectRefused('Client.DuplicateMessageId', 409, () =>
        call('GET', COMPANY, { headers: { 'x-road-id': id } }),
      );
      expect(record.message_id).toBe(id);
      // The second provider never saw the request: nothing served, nothing logged there.
      expect(await recordsOf(BUSINESS_GATEWAY, id)).toEqual([]);
      const served = await recordsOf(CITY_GATEWAY, id);
      expect(served.filter((r) => r.outcome === 'ok')).toHaveLength(1);

      await federation.restartGateway(CITY_GATEWAY);
      await expectRefused('Client.DuplicateMessageId', 409, () =>
        call('GET', COMPANY, { headers: { 'x-road-id': id.toUpperCase() } }),
      );
      expect(await recordsOf(BUSINESS_GATEWAY, id)).toEqual([]);
    });

    it('sends one X-Road-Id once when two calls race with it to two providers', async () => {
      const id = randomUUID();
      const answers = await Promise.all([
        call('GET', ADDRESS, {
          headers: { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit', 'x-road-id': id },
        }),
        call('GET', COMPANY, { headers: { 'x-road-id': id } }),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
      const servedBy = [RESIDENTS_GATEWAY, BUSINESS_GATEWAY].map(
        async (g) => (await recordsOf(g, id)).length,
      );
      expect((await Promise.all(servedBy)).sort()).toEqual([0, 1]);
    });

    it('answers a call sent with Expect: 100-continue', async () => {
      const answer = await sendRaw(
        clientApi,
        [
          `POST ${COMPANY}?registerNumber=HRB%20123456 HTTP/1.1`,
          'Host: localhost',
          `X-Road-Client: ${CLIENT}`,
          'Content-Type: application/json',
          'Content-Length: 2',
          'Expect: 100-continue',
          'Connection: close',
          '',
          '{}',
        ].join('\r\n'),
        { ...permits, ca },
      );
      expect(answer.status, answer.body).toBeLessThan(500);
      expect(answer.headers['x-road-error'], answer.body).not.toBe('Server.ClientProxy.NetworkError');
      const get = await sendRaw(
        clientApi,
        [
          `GET ${COMPANY}?registerNumber=HRB%20123456 HTTP/1.1`,
          'Host: localhost',
          `X-Road-Client: ${CLIENT}`,
          'Expect: 100-continue',
          'Connection: close',
          '',
          '',
        ].join('\r\n'),
        { ...permits, ca },
      );
      expect(get.status, get.body).toBe(200);
    });

    it('records a call whose body stops before its end as a refusal, not as a failure of the log', async () => {
      const refusals = () => cityLog().where('error_code', '=', 'Client.BadRequest').orderBy('idx').execute();
      const before = await refusals();
      const { hostname, port } = new URL(clientApi);
      await new Promise<void>((resolve, reject) => {
        const socket = connectTls({
          host: hostname,
          port: Number(port),
          servername: 'localhost',
          ...permits,
          ca,
        });
        socket.once('error', reject);
        socket.once('secureConnect', () => {
          socket.write(
            [
              `POST ${COMPANY} HTTP/1.1`,
              'Host: localhost',
              `X-Road-Client: ${CLIENT}`,
              'Content-Type: application/json',
              'Content-Length: 100',
              '',
              '{"partial":',
            ].join('\r\n'),
          );
          // The caller goes away with 89 bytes still owed.
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 300);
        });
      });
      await vi.waitFor(async () => expect(await refusals()).toHaveLength(before.length + 1), {
        timeout: 5_000,
      });
      expect((await refusals()).at(-1)).toMatchObject({
        outcome: 'rejected',
        side: 'consumer',
        status: 400,
        client: CLIENT,
        service: COMPANY.slice('/r1/'.length),
      });
      expect(federation.logLines().filter((line) => String(line.code).endsWith('.AuditUnavailable'))).toEqual(
        [],
      );
    });

    it('refuses a request whose signed form the log could not hold, before sending it', async () => {
      // Each part within its own bound (URI, 200 characters per header), together over the 8 KiB a
      // record holds once signed: quotes and backslashes double when the claims are JSON-encoded.
      const { record } = await expectRefused('Client.RequestNotLoggable', 400, () =>
        call('GET', `${COMPANY}/${'a'.repeat(3900)}`, {
          headers: { 'x-road-userid': '"'.repeat(200), 'x-road-issue': '\\'.repeat(200) },
        }),
      );
      expect(await recordsOf(BUSINESS_GATEWAY, record.message_id)).toEqual([]);
    });

    it('refuses a method the protocol cannot sign', async () => {
      await expectRefused('Client.MethodNotAllowed', 405, () => call('M-SEARCH', COMPANY));
    });
  });

  describe('hiding an access from its subject (docs/protocol.md §2.1)', () => {
    const hiding = {
      'einmal-hidden-until': '2099-01-01T00:00:00+01:00',
      'einmal-hidden-reason': 'Investigation 4711',
      'einmal-purpose': 'parking-permit',
    };

    it('refuses hiding on a service whose records may not be hidden', async () => {
      await expectRefused('Client.InvalidHiding', 400, () =>
        call('GET', ADDRESS, { headers: { ...hiding, 'einmal-eid-token': token } }),
      );
    });

    it('refuses hiding without the provider’s grant, and hides once the provider grants it', async () => {
      const id = randomUUID();
      const { record } = await expectRefused('Server.ServerProxy.HidingNotGranted', 403, () =>
        call('GET', VEHICLES, { headers: { ...hiding, 'einmal-eid-token': vehiclesToken, 'x-road-id': id } }),
      );
      expect(record.message_id).toBe(id);
      expect(await recordsOf(VEHICLE_GATEWAY, id)).toMatchObject([
        { outcome: 'rejected', error_code: 'Server.ServerProxy.HidingNotGranted' },
      ]);

      const vehicles = federation.endpoints.gateways.find((g) => g.id === VEHICLE_GATEWAY)!;
      const admin = (method: string, path: string, body?: unknown) =>
        request(`${vehicles.admin}/admin${path}`, {
          method: method as 'GET',
          headers: { authorization: `Bearer ${vehicles.adminToken}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const granted = await admin('POST', '/acl', {
        subject: CLIENT,
        service: VEHICLES.slice('/r1/'.length),
        mayHide: true,
      });
      const rule = (await granted.body.json()) as { id: number; mayHide: boolean };
      expect(granted.statusCode).toBe(201);
      expect(rule.mayHide).toBe(true);
      try {
        const hidden = randomUUID();
        const answer = await call('GET', VEHICLES, {
          headers: { ...hiding, 'einmal-eid-token': vehiclesToken, 'x-road-id': hidden },
        });
        expect(answer.status, answer.body).toBe(200);
        for (const gateway of [CITY_GATEWAY, VEHICLE_GATEWAY]) {
          const [stored] = await recordsOf(gateway, hidden);
          expect(stored).toMatchObject({ outcome: 'ok', subject: storyCitizen.id });
          expect(stored!.hidden_until?.toISOString()).toBe('2098-12-31T23:00:00.000Z');
        }
      } finally {
        const removed = await admin('DELETE', `/acl/${rule.id}`);
        expect(removed.statusCode).toBe(204);
      }
    });
  });

  /** A request whose framing Node's parser refuses: a length and chunked encoding at once. */
  const framing = [
    'POST /r1/x HTTP/1.1',
    'Host: localhost',
    'Content-Length: 3',
    'Transfer-Encoding: chunked',
    '',
    '0',
    '',
    '',
  ].join('\r\n');

  describe('requests Node’s HTTP parser refuses, on every listener of the gateway', () => {
    const listeners = () => {
      const city = federation.endpoints.gateways.find((g) => g.id === CITY_GATEWAY)!;
      return [
        ['client', city.client, { ...permits, ca }],
        ['peer', city.peer, undefined],
        ['admin', city.admin, undefined],
        ['public', city.public, { ca }],
      ] as const;
    };
    const oversized = [
      'GET /r1/x HTTP/1.1',
      'Host: localhost',
      `X-Padding: ${'a'.repeat(20_000)}`,
      '',
      '',
    ].join('\r\n');

    it.each([
      ['bad framing', framing, 400, 'Client.BadRequest'],
      ['an oversized header block', oversized, 431, 'Client.HeadersTooLarge'],
    ] as const)('answers %s with the X-Road error body', async (_what, raw, status, code) => {
      const forge = await openForgeKit(federation);
      const cityTls = await forge.gatewayTls(CITY_GATEWAY);
      await forge.close();
      for (const [name, origin, tls] of listeners()) {
        const answer = await sendRaw(origin, raw, name === 'peer' ? { ...cityTls, ca } : tls);
        expect(answer.status, `${name}: ${answer.raw.slice(0, 200)}`).toBe(status);
        expect(answer.headers['x-road-error'], name).toBe(code);
        expect(answer.headers['content-type'], name).toBe('application/json; charset=utf-8');
        expect(JSON.parse(answer.body), name).toMatchObject({
          type: code,
          message: expect.any(String),
          detail: expect.stringMatching(/^[0-9a-f-]{36}$/),
        });
      }
    });
  });

  describe('requests Node’s HTTP parser refuses, on the registry, eID provider, portal and adapters', () => {
    it('answers each with the X-Road error body', async () => {
      const forge = await openForgeKit(federation);
      const providerTls = await forge.gatewayTls('DEMO/GOV/residents-office/gw1');
      const cityTls = await forge.gatewayTls(CITY_GATEWAY);
      await forge.close();
      const { endpoints } = federation;
      const targets = [
        ['registry (public)', new URL(endpoints.registry.directory).origin, { ca }],
        // Any federation certificate gets through the admin listener's handshake; the parser refuses
        // the request before an operator check could.
        ['registry (admin)', new URL(endpoints.registry.admin).origin, { ...cityTls, ca }],
        ['eID provider', endpoints.eid.issuer, { ca }],
        ['portal', endpoints.portal, { ca }],
        ['adapter', endpoints.adapters['DEMO/GOV/residents-office']!, { ...providerTls, ca }],
      ] as const;
      for (const [name, origin, tls] of targets) {
        const answer = await sendRaw(origin, framing, tls);
        expect(answer.status, `${name}: ${answer.raw.slice(0, 200)}`).toBe(400);
        expect(answer.headers['x-road-error'], name).toBe('Client.BadRequest');
        expect(answer.headers['content-type'], name).toBe('application/json; charset=utf-8');
        expect(JSON.parse(answer.body), name).toMatchObject({ type: 'Client.BadRequest' });
      }
    });
  });

  describe('the public listener (citizen, Data Tracker and auditor APIs)', () => {
    const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const citizenCalls = [
      [
        'a cursor before the year 0001',
        `/citizen/v1/records?cursor=${cursorOf([-62_200_000_000_000, CITY_GATEWAY, 1])}`,
      ],
      [
        'a cursor after the year 9999',
        `/citizen/v1/records?cursor=${cursorOf([253_402_300_800_000, CITY_GATEWAY, 1])}`,
      ],
      [
        'a cursor holding a NUL byte',
        `/citizen/v1/records?cursor=${cursorOf([Date.now(), `${CITY_GATEWAY}\u0000`, 1])}`,
      ],
      [
        'a log source system with a NUL byte',
        `/v3/findUsage?userCode=${storyCitizen.id}&logSourceSystems=parking%00permits`,
      ],
      [
        'a period starting in the year 0000',
        `/v3/findUsage?userCode=${storyCitizen.id}&periodStart=0000-01-01T00:00:00Z`,
      ],
      [
        'a period ending after the year 9999',
        `/v3/findUsage?userCode=${storyCitizen.id}&periodEnd=9999-12-31T23:59:59.999-00:01`,
      ],
    ] as const;

    it.each(citizenCalls)('answers a citizen’s request with %s with 400', async (_what, path) => {
      const city = federation.endpoints.gateways.find((g) => g.id === CITY_GATEWAY)!;
      const reader = await federation.citizenToken('audit.read');
      const agent = new Agent({ connect: { ca } });
      agents.push(agent);
      const response = await agent.request({
        origin: city.public,
        method: 'GET',
        path,
        headers: { authorization: `Bearer ${reader}`, 'x-road-userid': storyCitizen.id },
      });
      const body = await response.body.text();
      expect(response.statusCode, body).toBe(400);
      expect(response.headers['x-road-error']).toBe('Client.BadRequest');
    });

    it('answers the last instant of the year 9999 as a period end', async () => {
      const city = federation.endpoints.gateways.find((g) => g.id === CITY_GATEWAY)!;
      const reader = await federation.citizenToken('audit.read');
      const agent = new Agent({ connect: { ca } });
      agents.push(agent);
      const response = await agent.request({
        origin: city.public,
        method: 'GET',
        path: `/v3/findUsage?userCode=${storyCitizen.id}&periodEnd=9999-12-31T23:59:59.999Z`,
        headers: { authorization: `Bearer ${reader}`, 'x-road-userid': storyCitizen.id },
      });
      expect(response.statusCode, await response.body.text()).toBe(200);
    });

    it('answers an auditor’s query from the year 0000 with 400', async () => {
      const city = federation.endpoints.gateways.find((g) => g.id === CITY_GATEWAY)!;
      const manifest = federation.manifest.auditor;
      const [cert, key] = await Promise.all(
        [manifest.cert, manifest.key].map((f) => readFile(`${federation.dir}/${f}`, 'utf8')),
      );
      const agent = new Agent({ connect: { ca, cert, key } });
      agents.push(agent);
      const control = await agent.request({
        origin: city.public,
        method: 'GET',
        path: '/audit/v1/records?limit=1',
      });
      expect(control.statusCode, await control.body.text()).toBe(200);
      const response = await agent.request({
        origin: city.public,
        method: 'GET',
        path: '/audit/v1/records?from=0000-01-01T00:00:00Z',
      });
      const body = await response.body.text();
      expect(response.statusCode, body).toBe(400);
      expect(response.headers['x-road-error']).toBe('Client.BadRequest');
    });
  });

  it('leaves every record of every gateway valid for the offline verifier', async () => {
    for (const gateway of federation.endpoints.gateways) {
      for (const row of await federation
        .gatewayDb(gateway.id)
        .selectFrom('audit_record')
        .selectAll()
        .execute()) {
        const record = JSON.parse(Buffer.from(row.canonical).toString('utf8'));
        expect(auditRecordSchema.safeParse(record).success, JSON.stringify(record)).toBe(true);
      }
    }
  });
});
