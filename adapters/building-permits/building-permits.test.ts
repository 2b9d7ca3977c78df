import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { storyCitizen, testCitizens } from '../sample-citizens.ts';
import { createAdapterApp } from '../sdk/index.ts';
import { type AdapterTestkit, createAdapterTestkit } from '../sdk/testkit.ts';
import { createBuildingPermitsAdapter } from './index.ts';

const anna = storyCitizen.id;
const lukas = testCitizens[1]!.id;
const TOKEN = 'upstream-test-token';

const permitOf = (number: string, status: string) => ({
  permitNumber: number,
  site: { street: 'Gartenweg', houseNumber: '4', city: 'Dachau' },
  project: 'Carport',
  status,
  decidedOn: status === 'granted' ? '2025-04-01' : null,
});

/** The building authority's own API, as it runs today: what it answers is set per test. */
let behaviour: (request: IncomingMessage, response: ServerResponse) => void;
const seen: { url: string; authorization: string | undefined }[] = [];
let upstream: Server;
let kit: AdapterTestkit;
let service: ReturnType<typeof createBuildingPermitsAdapter>['services'][number];

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

/** The authority's honest behaviour: permits by applicant, 401 without the token. */
const honest = (request: IncomingMessage, response: ServerResponse) => {
  if (request.headers.authorization !== `Bearer ${TOKEN}`)
    return json(response, 401, { error: 'unauthorized' });
  const match = /^\/api\/v2\/applicants\/([^/]+)\/permits$/.exec(request.url ?? '');
  const personId = match ? decodeURIComponent(match[1]!) : '';
  if (personId === anna) {
    return json(response, 200, {
      applicant: { personId },
      permits: [permitOf('BP-2025-0117', 'granted'), permitOf('BP-2026-0042', 'in-review')],
    });
  }
  return json(response, 404, { error: 'no applicant' });
};

beforeAll(async () => {
  upstream = createServer((request, response) => {
    seen.push({ url: request.url ?? '', authorization: request.headers.authorization });
    behaviour(request, response);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  const adapter = createBuildingPermitsAdapter({
    baseUrl: `http://127.0.0.1:${port}/api`,
    token: TOKEN,
    timeoutMs: 500,
  });
  service = adapter.services[0]!;
  kit = createAdapterTestkit(createAdapterApp({ services: adapter.services, log: silentLogger }));
});
afterAll(() => new Promise((resolve) => upstream.close(resolve)));
beforeEach(() => {
  behaviour = honest;
  seen.length = 0;
});

describe('an adapter in front of an HTTP/JSON API', () => {
  it('asks the authority about the verified subject only and answers with its permits', async () => {
    const response = await kit.call({ service, subject: anna, input: { status: 'granted' } });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      applicantId: anna,
      permits: [
        {
          permitNumber: 'BP-2025-0117',
          site: 'Gartenweg 4, Dachau',
          project: 'Carport',
          status: 'granted',
          decidedOn: '2025-04-01',
        },
      ],
    });
    expect(seen).toEqual([{ url: `/api/v2/applicants/${anna}/permits`, authorization: `Bearer ${TOKEN}` }]);
  });

  it('keeps its contract, including for someone the authority does not know', async () => {
    const report = await kit.checkContract(service, [
      { name: 'Anna', subject: anna },
      { name: 'unknown applicant', subject: lukas, expectError: 'Adapter.NotFound' },
    ]);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
  });

  it('withholds an answer the authority gives about another applicant', async () => {
    behaviour = (_request, response) =>
      json(response, 200, { applicant: { personId: lukas }, permits: [permitOf('BP-2024-0931', 'granted')] });
    const response = await kit.call({ service, subject: anna });
    expect(response.status).toBe(500);
    expect(response.body.type).toBe('Adapter.ResponseWithheld');
    expect(JSON.stringify(response.body)).not.toContain(lukas);
  });

  it('refuses what the authority answers outside the agreed schema, and never passes it on', async () => {
    behaviour = (_request, response) =>
      json(response, 200, {
        applicant: { personId: anna },
        permits: [{ ...permitOf('BP-1', 'granted'), status: 'maybe' }],
      });
    const response = await kit.call({ service, subject: anna });
    expect(response.status).toBe(502);
    expect(response.body.type).toBe('Adapter.UpstreamInvalid');
    behaviour = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>maintenance</html>');
    };
    expect((await kit.call({ service, subject: anna })).body.type).toBe('Adapter.UpstreamInvalid');
    behaviour = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(`{"applicant":{"personId":"${anna}"},"permits":[${'"x",'.repeat(300_000)}"x"]}`);
    };
    expect((await kit.call({ service, subject: anna })).body.type).toBe('Adapter.UpstreamInvalid');
  });

  it('answers 503 while the authority fails, is too slow or is gone', async () => {
    behaviour = (_request, response) => json(response, 500, { error: 'database down' });
    const failing = await kit.call({ service, subject: anna });
    expect(failing.status).toBe(503);
    expect(failing.body.type).toBe('Adapter.UpstreamUnavailable');
    behaviour = () => {}; // never answers: the adapter's timeout (500 ms here) ends the wait
    expect((await kit.call({ service, subject: anna })).body.type).toBe('Adapter.UpstreamUnavailable');
    const gone = createBuildingPermitsAdapter({ baseUrl: 'http://127.0.0.1:1/api', token: TOKEN });
    const goneKit = createAdapterTestkit(createAdapterApp({ services: gone.services, log: silentLogger }));
    const refused = await goneKit.call({ service: gone.services[0]!, subject: anna });
    expect(refused.status).toBe(503);
    expect(refused.body.type).toBe('Adapter.UpstreamUnavailable');
  });
});
