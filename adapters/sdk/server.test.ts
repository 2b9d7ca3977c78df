import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createIssuingCa, createRootCa, toPem } from '../../certs/index.ts';
import { createLogger, silentLogger } from '../../core/index.ts';
import { verifiedContextHeaders } from '../../schemas/index.ts';
import { issueTestCredentials, type TestCredentials } from '../../tests/support/test-credentials.ts';
import { storyCitizen } from '../sample-citizens.ts';
import { createAdapterApp } from './app.ts';
import { defineService } from './define-service.ts';
import { type RunningAdapter, serveAdapter } from './server.ts';

interface Answer {
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
}

function get(
  url: string,
  tls: { ca: string; cert?: string; key?: string },
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve) => {
    const call = request(url, { ...tls, headers, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode, body }));
      response.on('error', (error) => resolve({ error: error.message }));
    });
    call.on('error', (error) => resolve({ error: error.message }));
    call.end();
  });
}

/** A personal-data service that answers about whatever subject the verified-context headers name. */
const addressService = defineService({
  code: 'address',
  version: 'v1',
  title: 'Registered address',
  description: 'Your registered address.',
  personalData: true,
  personIds: ['subject'],
  eidScope: 'population.address',
  requiredLoa: 'substantial',
  purposes: [{ code: 'parking-permit', title: 'Parking permit' }],
  legalBases: [{ code: 'de-bmg-34', title: '§ 34 BMG' }],
  hideable: false,
  method: 'GET',
  request: z.object({}),
  response: z.object({ subject: z.string(), city: z.string() }),
  handler: (_input, context) => ({ subject: context.subject, city: 'München' }),
});

/** What only the provider gateway may assert: who asks, about whom, why (docs/protocol.md §5). */
const forgedContext = () =>
  verifiedContextHeaders({
    client: 'DEMO/GOV/munich/parking-permits',
    service: 'DEMO/GOV/residents-office/register/address-v1',
    messageId: randomUUID(),
    subject: storyCitizen.id,
    purpose: 'parking-permit',
    legalBasis: null,
    userId: null,
    issue: null,
  });

describe('an adapter behind mutual TLS admits only its provider gateway', () => {
  let adapter: RunningAdapter;
  let trust: string;
  let gateway: TestCredentials;
  let otherGateway: TestCredentials;
  let informationSystem: TestCredentials;
  let stranger: TestCredentials;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const root = await createRootCa({ name: 'CN=Test Root CA, O=TEST' });
    const issuing = await createIssuingCa({ root, name: 'CN=Test Issuing CA, O=TEST' });
    const foreignRoot = await createRootCa({ name: 'CN=Foreign Root CA, O=ELSEWHERE' });
    trust = toPem(issuing.certificate) + toPem(root.certificate);
    const host = { host: '127.0.0.1' };
    [gateway, otherGateway, informationSystem, stranger] = await Promise.all([
      issueTestCredentials(issuing, 'DEMO/GOV/residents-office/gw1', host),
      issueTestCredentials(issuing, 'DEMO/GOV/munich/gw1', host),
      issueTestCredentials(issuing, 'DEMO/GOV/munich/parking-permits', { client: true }),
      issueTestCredentials(foreignRoot, 'DEMO/GOV/residents-office/gw1', host),
    ]);
    const { cert, key } = await issueTestCredentials(issuing, 'adapter', host);
    const log = createLogger({
      name: 'adapter',
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    adapter = await serveAdapter({
      app: createAdapterApp({ services: [addressService], log }),
      port: 0,
      log,
      // The gateway's certificate file as the operator has it: leaf and issuing CA.
      tls: { cert, key, ca: trust, gatewayCert: gateway.cert },
    });
  });
  afterAll(() => adapter?.close());

  const address = () => `${adapter.url}/address-v1`;

  it('listens on loopback over https', () => {
    expect(adapter.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers the provider gateway', async () => {
    const answer = await get(address(), { ca: trust, ...gateway }, forgedContext());
    expect(answer.status, answer.body).toBe(200);
    expect(JSON.parse(answer.body!)).toEqual({ subject: storyCitizen.id, city: 'München' });
  });

  it('tells the gateway it may keep its connection for a minute between exchanges', async () => {
    const agent = new Agent({ keepAlive: true });
    try {
      const keepAlive = await new Promise<string | undefined>((resolve, reject) => {
        const call = request(
          address(),
          { ca: trust, ...gateway, headers: forgedContext(), agent },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.headers['keep-alive'] as string | undefined));
          },
        );
        call.on('error', reject);
        call.end();
      });
      expect(keepAlive).toBe('timeout=60');
    } finally {
      agent.destroy();
    }
  });

  it('answers a 20 KB query with the X-Road error body, not Node’s bare 431', async () => {
    const answer = await get(
      `${address()}?filter=${'x'.repeat(20_000)}`,
      { ca: trust, ...gateway },
      forgedContext(),
    );
    expect(answer.status).toBe(431);
    expect(JSON.parse(answer.body!)).toMatchObject({ type: 'Client.HeadersTooLarge' });
  });

  it('cuts off a caller without a certificate in the handshake', async () => {
    const answer = await get(address(), { ca: trust }, forgedContext());
    expect(answer.status).toBeUndefined();
    expect(answer.error).toMatch(/certificate|socket hang up|ECONNRESET/i);
  });

  it('cuts off a caller whose certificate chains to another CA in the handshake', async () => {
    const answer = await get(address(), { ca: trust, ...stranger }, forgedContext());
    expect(answer.status).toBeUndefined();
    expect(answer.error).toMatch(/certificate|socket hang up|ECONNRESET/i);
  });

  it.each([
    ['another member’s gateway', () => otherGateway],
    ['an information system', () => informationSystem],
  ])('refuses %s holding a valid federation certificate with 403, and logs it', async (_name, who) => {
    const caller = who();
    const answer = await get(address(), { ca: trust, ...caller }, forgedContext());
    expect(answer.status).toBe(403);
    const body = JSON.parse(answer.body!) as { type: string; detail: string };
    expect(body).toMatchObject({ type: 'Adapter.NotGateway' });
    expect(answer.body).not.toContain('München');
    expect(answer.body).not.toContain(storyCitizen.id);
    // One log line per refusal, findable by the error id the caller got, naming the certificate by
    // fingerprint, never by its subject (a person's name on some certificates).
    const logged = lines.filter((line) => line.errorId === body.detail);
    expect(logged).toEqual([
      expect.objectContaining({
        code: 'Adapter.NotGateway',
        msg: 'refused a client that is not the provider gateway',
        certificate: {
          fingerprint: caller.fingerprint,
          serialNumber: expect.stringMatching(/^[0-9a-f]+$/),
          issuer: expect.stringContaining('CN=Test Issuing CA'),
        },
      }),
    ]);
    expect(JSON.stringify(logged)).not.toContain('CN=DEMO/GOV/munich');
    // Nothing else either: probes and the service description are closed too.
    for (const path of ['/healthz', '/_einmal/services']) {
      expect((await get(`${adapter.url}${path}`, { ca: trust, ...caller })).status).toBe(403);
    }
  });

  it('refuses a certificate file that holds no gateway certificate, only CAs', async () => {
    expect(() =>
      serveAdapter({
        app: createAdapterApp({ services: [], log: silentLogger }),
        port: 0,
        log: silentLogger,
        tls: { cert: gateway.cert, key: gateway.key, ca: trust, gatewayCert: trust },
      }),
    ).toThrow(TypeError);
  });

  it('names the TLS setting when the key belongs to another certificate or the CA file holds none', () => {
    const serve = (tls: { cert: string; key: string; ca: string }) => () =>
      serveAdapter({
        app: createAdapterApp({ services: [], log: silentLogger }),
        port: 0,
        log: silentLogger,
        tls: { ...tls, gatewayCert: gateway.cert },
      });
    expect(serve({ cert: otherGateway.cert, key: gateway.key, ca: trust })).toThrow(
      /TLS certificate and key cannot be used .*tls\.key its private key/,
    );
    expect(serve({ cert: gateway.cert, key: gateway.key, ca: gateway.key })).toThrow(
      'tls.ca holds no certificate: give the federation CA certificates (PEM)',
    );
  });
});

describe('an adapter over plain HTTP', () => {
  it('serves on loopback when asked for by name, and closes', async () => {
    const app = createAdapterApp({ services: [], log: silentLogger });
    const adapter = await serveAdapter({
      app,
      port: 0,
      log: silentLogger,
      plainHttp: 'development-on-loopback',
    });
    expect(adapter.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${adapter.url}/healthz`);
    expect(await response.json()).toEqual({ status: 'ok' });
    await adapter.close();
    await expect(fetch(`${adapter.url}/healthz`)).rejects.toThrow();
  });

  it('refuses to listen on any other address', () => {
    const app = createAdapterApp({ services: [], log: silentLogger });
    for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
      expect(() =>
        serveAdapter({ app, port: 0, host, log: silentLogger, plainHttp: 'development-on-loopback' }),
      ).toThrow(/loopback/);
    }
  });
});
