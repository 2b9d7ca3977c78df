import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertificateAuthority, createIssuingCa, createRootCa, toPem } from '../../certs/index.ts';
import { EinmalError } from '../../core/index.ts';
import { issueTestCredentials, type TestCredentials } from '../../tests/support/test-credentials.ts';
import { type AdapterClient, createAdapterClient } from './adapter-client.ts';

/** An adapter stand-in that records the client certificate of every request it gets. */
async function startAdapter(credentials: TestCredentials, ca: string) {
  const seen: string[] = [];
  const server: Server = createServer(
    { cert: credentials.cert, key: credentials.key, ca, requestCert: true, rejectUnauthorized: true },
    (request, response) => {
      const peer = (request.socket as TLSSocket).getPeerX509Certificate();
      seen.push(peer ? createHash('sha256').update(peer.raw).digest('hex') : 'none');
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ path: request.url }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const callAddress = (client: AdapterClient, baseUrl: string) =>
  client.call({
    baseUrl,
    serviceCode: 'address-v1',
    path: '/',
    query: '',
    method: 'GET',
    headers: {},
    body: new Uint8Array(),
  });

describe('the gateway’s adapter client', () => {
  let trust: string;
  let gateway: TestCredentials;
  let client: AdapterClient;
  let federationIssuing: CertificateAuthority;
  let foreignRoot: CertificateAuthority;

  beforeAll(async () => {
    const root = await createRootCa({ name: 'CN=Test Root CA, O=TEST' });
    federationIssuing = await createIssuingCa({ root, name: 'CN=Test Issuing CA, O=TEST' });
    foreignRoot = await createRootCa({ name: 'CN=Foreign Root CA, O=ELSEWHERE' });
    trust = toPem(federationIssuing.certificate) + toPem(root.certificate);
    gateway = await issueTestCredentials(federationIssuing, 'DEMO/GOV/residents-office/gw1', {
      host: '127.0.0.1',
    });
    client = createAdapterClient({
      tls: { cert: gateway.cert, key: gateway.key, ca: trust },
      timeoutMs: 5_000,
    });
  });
  afterAll(() => client?.close());

  it('presents the gateway’s TLS certificate to an adapter with a federation certificate', async () => {
    const adapter = await startAdapter(
      await issueTestCredentials(federationIssuing, 'adapter', { host: '127.0.0.1' }),
      trust,
    );
    try {
      const answer = await callAddress(client, adapter.url);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body.toString())).toEqual({ path: '/address-v1' });
      expect(await client.readJson(adapter.url, '/_einmal/services')).toEqual({ path: '/_einmal/services' });
      expect(adapter.seen).toEqual([gateway.fingerprint, gateway.fingerprint]);
    } finally {
      await adapter.close();
    }
  });

  it.each([
    [
      'a certificate from outside the federation',
      () => issueTestCredentials(foreignRoot, 'adapter', { host: '127.0.0.1' }),
    ],
    [
      'a federation certificate for another host',
      () => issueTestCredentials(federationIssuing, 'adapter', { host: 'adapter.example' }),
    ],
  ])('refuses an adapter with %s before sending anything', async (_name, credentials) => {
    const adapter = await startAdapter(await credentials(), trust);
    try {
      const failure = await callAddress(client, adapter.url).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(EinmalError);
      expect((failure as EinmalError).code).toBe('Server.ServerProxy.ServiceFailed');
      expect(adapter.seen).toEqual([]);
    } finally {
      await adapter.close();
    }
  });
});
