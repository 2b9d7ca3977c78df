import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoAccessRules, demoServices } from '../../dev/index.ts';
import { connectInformationSystem, type InformationSystem } from '../../dev/information-system.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { openForgeKit, requestClaims, signForged } from '../support/forge-request.ts';
import {
  clientListSchema,
  createXmlValidator,
  errorBodySchema,
  jsonProblems,
  methodListSchema,
  openapiDocumentSchema,
} from './xroad-schemas.ts';

/**
 * An X-Road client works against einmal unchanged (X-Road pr-rest, pr-mrest, pr-meta): every
 * metaservice answer is checked against schemas written from the specifications, and the call
 * sequence of a service catalogue that harvests X-Road REST metadata (island.is `api-catalogue`
 * style) is replayed against a running federation.
 */

const CATALOGUE = 'DEMO/GOV/munich/parking-permits';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REGISTER = 'DEMO/GOV/residents-office/register';

interface ServiceEntry {
  xroad_instance: string;
  member_class: string;
  member_code: string;
  subsystem_code: string;
  service_code: string;
  service_type: string;
  endpoint_list: { method: string; path: string }[];
}
interface ClientEntry {
  id: {
    object_type: string;
    xroad_instance: string;
    member_class: string;
    member_code: string;
    subsystem_code?: string;
  };
}

const header = (answer: { headers: Record<string, string | string[] | undefined> }, name: string) => {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

describe('X-Road clients against an einmal federation', () => {
  let federation: TestFederation;
  let catalogue: InformationSystem;
  let vehicles: InformationSystem;
  let xml: Awaited<ReturnType<typeof createXmlValidator>>;
  const requestIds: string[] = [];

  /** A call of the catalogue's information system; every answer must carry its own request id. */
  const call = async (path: string, headers: Record<string, string> = {}, from = () => catalogue) => {
    const answer = await from().call('GET', path, { headers });
    const requestId = header(answer, 'x-road-request-id');
    expect(requestId, `${path}: X-Road-Request-Id`).toMatch(UUID);
    requestIds.push(requestId!);
    expect(header(answer, 'content-type'), `${path}: content type`).toMatch(/; charset=utf-8$/i);
    return answer;
  };

  beforeAll(async () => {
    federation = await startTestFederation();
    catalogue = await connectInformationSystem(federation.endpoints, CATALOGUE);
    vehicles = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/vehicle-authority/vehicles');
    xml = await createXmlValidator();
  }, 120_000);
  afterAll(async () => {
    await catalogue?.close();
    await vehicles?.close();
    await xml?.close();
    await federation?.close();
  });

  it('replays a catalogue harvest: listClients, then per subsystem listMethods and getOpenAPI', async () => {
    // The catalogue's clients send `Accept: application/json` on every call and no `xRoadInstance`.
    const asCatalogue = { accept: 'application/json' };
    const clients = await call('/listClients', asCatalogue);
    expect(clients.status).toBe(200);
    expect(jsonProblems(clientListSchema, clients.json)).toEqual([]);
    const subsystems = (clients.json as { member: ClientEntry[] }).member
      .filter((m) => m.id.object_type === 'SUBSYSTEM')
      .map((m) => `${m.id.xroad_instance}/${m.id.member_class}/${m.id.member_code}/${m.id.subsystem_code}`);
    expect(subsystems).toContain(REGISTER);
    expect(subsystems).toContain(CATALOGUE);

    const harvested: string[] = [];
    for (const subsystem of subsystems) {
      const list = await call(`/r1/${subsystem}/listMethods`, asCatalogue);
      expect(list.status, `${subsystem}: ${list.body}`).toBe(200);
      expect(jsonProblems(methodListSchema, list.json)).toEqual([]);
      for (const service of (list.json as { service: ServiceEntry[] }).service) {
        const id = `${service.xroad_instance}/${service.member_class}/${service.member_code}/${service.subsystem_code}/${service.service_code}`;
        // Only the subsystem's own services, each named with X-Road's five parts.
        expect(id.startsWith(`${subsystem}/`), id).toBe(true);
        harvested.push(id);
        expect(service.service_type).toBe('OPENAPI');
        const openapi = await call(
          `/r1/${subsystem}/getOpenAPI?serviceCode=${encodeURIComponent(service.service_code)}`,
          asCatalogue,
        );
        expect(openapi.status, openapi.body).toBe(200);
        // The catalogue reads the answer as text and parses it as YAML; a JSON text is YAML 1.2.
        const document = JSON.parse(openapi.body) as {
          info: { title: string };
          paths: Record<string, object>;
        };
        expect(jsonProblems(openapiDocumentSchema, document)).toEqual([]);
        // The service's own document: its title, only its operations.
        expect(document.info.title).toBe(demoServices.find((s) => s.id === id)?.title);
        const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
          Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
        );
        expect(documented.sort()).toEqual(service.endpoint_list.map((e) => `${e.method} ${e.path}`).sort());
        // What the metadata says is callable at /r1/{service id}{path}: the service answers, not 404.
        for (const endpoint of service.endpoint_list) {
          const answer = await catalogue.call(endpoint.method, `/r1/${id}${endpoint.path}`);
          expect(answer.status, `${endpoint.method} /r1/${id}${endpoint.path}: ${answer.body}`).not.toBe(404);
          expect(header(answer, 'x-road-error') ?? '').not.toMatch(/Unknown|NotFound/);
        }
      }
    }
    expect(harvested.sort()).toEqual(demoServices.map((s) => s.id).sort());
    expect(new Set(requestIds).size).toBe(requestIds.length);
  });

  it('lists only what the directory gives a subsystem, and what the caller may call', async () => {
    const list = await call(`/r1/${REGISTER}/listMethods`);
    const codes = (list.json as { service: ServiceEntry[] }).service.map((s) => s.service_code);
    expect(codes).toEqual(['address-v1', 'household-v1']);
    const allowed = await call(`/r1/${REGISTER}/allowedMethods`);
    expect(jsonProblems(methodListSchema, allowed.json)).toEqual([]);
    expect((allowed.json as { service: ServiceEntry[] }).service.map((s) => s.service_code)).toEqual(
      demoAccessRules
        .filter((r) => r.client === CATALOGUE && r.service.startsWith(`${REGISTER}/`))
        .map((r) => r.service.split('/')[4])
        .sort(),
    );
    // Another provider's service is not this subsystem's.
    const company = await call(`/r1/${REGISTER}/getOpenAPI?serviceCode=company-v1`);
    expect(company.status).toBe(404);
    expect(header(company, 'x-road-error')).toBe('Server.ServerProxy.UnknownService');
  });

  it('answers empty lists for a subsystem without services', async () => {
    for (const metaservice of ['listMethods', 'allowedMethods']) {
      const answer = await call(`/r1/${CATALOGUE}/${metaservice}`);
      expect(answer.status, answer.body).toBe(200);
      expect(answer.json).toEqual({ service: [] });
    }
  });

  it('answers metaservices to GET only: any other method calls a service of that code, which is unknown', async () => {
    // pr-mrest defines the metaservices for GET; an X-Road security server reads `POST …/listMethods`
    // as a call of a service `listMethods`, which no subsystem has.
    for (const [method, metaservice] of [
      ['POST', 'listMethods'],
      ['PUT', 'allowedMethods'],
      ['DELETE', 'getOpenAPI?serviceCode=address-v1'],
    ] as const) {
      const answer = await catalogue.call(method, `/r1/${REGISTER}/${metaservice}`, { body: '{}' });
      expect([answer.status, header(answer, 'x-road-error')], `${method} ${metaservice}`).toEqual([
        404,
        'Server.ClientProxy.UnknownService',
      ]);
    }
    // A consumer gateway that signs such a call anyway finds the provider gateway refusing it too.
    const forge = await openForgeKit(federation);
    try {
      const claims = requestClaims({
        client: CATALOGUE,
        service: `${REGISTER}/listMethods`,
        method: 'POST',
      });
      const answer = await forge.send('DEMO/GOV/residents-office/gw1', {
        as: await forge.gatewayTls('DEMO/GOV/munich/gw1'),
        claims,
        jws: signForged(claims, await forge.memberSigner('DEMO/GOV/munich')),
      });
      expect([answer.status, header(answer, 'x-road-error')]).toEqual([
        404,
        'Server.ServerProxy.UnknownService',
      ]);
    } finally {
      await forge.close();
    }
  });

  it('calls a service by its five-part id, a trailing slash and the OpenAPI path alike', async () => {
    const token = await federation.citizenToken('population.address');
    const headers = { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit' };
    for (const path of [`/r1/${REGISTER}/address-v1`, `/r1/${REGISTER}/address-v1/`]) {
      const answer = await call(path, headers);
      expect(answer.status, answer.body).toBe(200);
      expect(header(answer, 'x-road-service')).toBe(`${REGISTER}/address-v1`);
    }
    // X-Road reads `/address/v1` as service `address` and path `/v1`: there is no service `address`.
    const sixParts = await call(`/r1/${REGISTER}/address/v1`, headers);
    expect(sixParts.status).toBe(404);
    expect(header(sixParts, 'x-road-error')).toBe('Server.ClientProxy.UnknownService');
  });

  it('answers errors with the X-Road error body, in XML when asked for, always with the charset', async () => {
    const cases: [string, number, string][] = [
      [`/r1/${REGISTER}/no-such-service-v1`, 404, 'Server.ClientProxy.UnknownService'],
      ['/r1/DEMO/GOV/nobody/nothing/listMethods', 404, 'Server.ClientProxy.UnknownMember'],
      [`/r1/${REGISTER}/getOpenAPI?serviceCode=nothing-v1`, 404, 'Server.ServerProxy.UnknownService'],
      [`/r1/${REGISTER}/getOpenAPI`, 400, 'Server.ServerProxy.InvalidRequest'],
      ['/r1/DEMO/GOV/residents-office', 400, 'Client.InvalidIdentifier'],
    ];
    // The XML type asked for is the type answered, as an X-Road security server answers.
    const xmlTypes: [string, string][] = [
      ['application/xml', 'application/xml; charset=utf-8'],
      ['text/xml', 'text/xml; charset=utf-8'],
      ['text/*', 'text/xml; charset=utf-8'],
    ];
    for (const [path, status, type] of cases) {
      const json = await call(path);
      expect([json.status, header(json, 'x-road-error')], path).toEqual([status, type]);
      expect(jsonProblems(errorBodySchema, json.json)).toEqual([]);
      expect((json.json as { type: string }).type).toBe(type);
      for (const [accept, contentType] of xmlTypes) {
        const asXml = await call(path, { accept });
        expect([asXml.status, header(asXml, 'x-road-error')], `${path} ${accept}`).toEqual([status, type]);
        expect(header(asXml, 'content-type'), `${path} ${accept}`).toBe(contentType);
        expect(await xml.problems('error', asXml.body)).toEqual([]);
        expect(asXml.body).toContain(`<type>${type}</type>`);
      }
    }
  });

  it('lists clients as XML clientList unless JSON is asked for, and only of the instance asked', async () => {
    // pr-meta: `text/xml` unless JSON is asked for, whatever else the client accepts.
    const plain = await call('/listClients');
    for (const accept of ['*/*', 'application/xml', 'text/xml']) {
      const answer = await call('/listClients', { accept });
      expect(header(answer, 'content-type'), accept).toBe('text/xml; charset=utf-8');
      expect(answer.body, accept).toBe(plain.body);
    }
    expect(header(plain, 'content-type')).toBe('text/xml; charset=utf-8');
    expect(await xml.problems('client-list', plain.body)).toEqual([]);
    expect(plain.body).toContain('<id:subsystemCode>register</id:subsystemCode>');
    // A blank instance is the federation's own, as X-Road reads it.
    const own = await call('/listClients?xRoadInstance=DEMO', { accept: 'application/json' });
    const blank = await call('/listClients?xRoadInstance=', { accept: 'application/json' });
    expect(blank.json).toEqual(own.json);
    expect((own.json as { member: unknown[] }).member.length).toBeGreaterThan(0);
    const json = await call('/listClients', { accept: 'application/json' });
    expect((json.json as { member: unknown[] }).member.length).toBe(
      plain.body.split('<xroad:member>').length - 1,
    );
    const other = await call('/listClients?xRoadInstance=NOSUCH', { accept: 'application/json' });
    expect(other.status).toBe(200);
    expect(other.json).toEqual({ member: [] });
    const otherXml = await call('/listClients?xRoadInstance=NOSUCH');
    expect(await xml.problems('client-list', otherXml.body)).toEqual([]);
    expect(otherXml.body).not.toContain('<xroad:member>');
  });

  it('refuses several X-Road-Client headers, which pr-rest forbids a client to send', async () => {
    const dispatcher = new Agent({ connect: catalogue.tls });
    try {
      const answer = await request(`${catalogue.gateway}/r1/${REGISTER}/listMethods`, {
        headers: ['x-road-client', 'DEMO/GOV/vehicle-authority/vehicles', 'x-road-client', CATALOGUE],
        dispatcher,
      });
      await answer.body.text();
      expect([answer.statusCode, answer.headers['x-road-error']]).toEqual([400, 'Client.InvalidIdentifier']);
    } finally {
      await dispatcher.close();
    }
  });

  it('takes client-chosen message ids of any safe form, unique per client', async () => {
    const id = 'DEMO-client-generated-id-1';
    const first = await call(`/r1/${REGISTER}/listMethods`, { 'x-road-id': id });
    expect(first.status, first.body).toBe(200);
    expect(header(first, 'x-road-id')).toBe(id);
    const again = await call(`/r1/${REGISTER}/listMethods`, { 'x-road-id': id });
    expect([again.status, header(again, 'x-road-error')]).toEqual([409, 'Client.DuplicateMessageId']);
    // Another client's id of the same spelling is its own.
    const theirs = await call(`/r1/${REGISTER}/listMethods`, { 'x-road-id': id }, () => vehicles);
    expect(theirs.status, theirs.body).toBe(200);
    expect(header(theirs, 'x-road-id')).toBe(id);
    const unsafe = await call(`/r1/${REGISTER}/listMethods`, { 'x-road-id': 'id with spaces' });
    expect([unsafe.status, header(unsafe, 'x-road-error')]).toEqual([400, 'Client.InvalidMessageId']);
  });
});
