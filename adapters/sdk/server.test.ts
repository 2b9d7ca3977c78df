import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type CertificateAuthority,
  createCsr,
  createIssuingCa,
  createRootCa,
  exportPrivateKeyPem,
  generateKeyPair,
  issueCertificate,
  toPem,
} from '../../certs/index.ts';
import { silentLogger } from '../../core/index.ts';
import { createAdapterApp } from './app.ts';
import { defineService } from './define-service.ts';
import { type RunningAdapter, serveAdapter } from './server.ts';

/** Keys and an auth (TLS) certificate for `host`, issued by `ca`. */
async function issueAuthCertificate(ca: CertificateAuthority, name: string) {
  const keys = await generateKeyPair();
  const csrPem = await createCsr({ keys, subject: `CN=${name}`, profile: 'auth', host: ['127.0.0.1'] });
  const certificate = await issueCertificate({ ca, csrPem, profile: 'auth' });
  return {
    cert: toPem(certificate) + toPem(ca.certificate),
    key: await exportPrivateKeyPem(keys.privateKey),
  };
}

interface Answer {
  readonly status?: number;
  readonly body?: string;
  readonly error?: string;
}

function get(url: string, tls: { ca: string; cert?: string; key?: string }): Promise<Answer> {
  return new Promise((resolve) => {
    const call = request(`${url}/healthz`, { ...tls, agent: false }, (response) => {
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

describe('serveAdapter with mutual TLS', () => {
  let adapter: RunningAdapter;
  let trust: string;
  let gateway: { cert: string; key: string };
  let stranger: { cert: string; key: string };

  beforeAll(async () => {
    const root = await createRootCa({ name: 'CN=Test Root CA, O=TEST' });
    const issuing = await createIssuingCa({ root, name: 'CN=Test Issuing CA, O=TEST' });
    const foreignRoot = await createRootCa({ name: 'CN=Foreign Root CA, O=ELSEWHERE' });
    trust = toPem(root.certificate);
    gateway = await issueAuthCertificate(issuing, 'gateway');
    stranger = await issueAuthCertificate(foreignRoot, 'gateway');
    const server = await issueAuthCertificate(issuing, 'adapter');
    const service = defineService({
      code: 'ping',
      version: 'v1',
      title: 'Ping',
      description: 'Answers.',
      personalData: false,
      eidScope: null,
      requiredLoa: null,
      purposes: [],
      legalBases: [],
      hideable: false,
      method: 'GET',
      request: z.object({}),
      response: z.object({ pong: z.boolean() }),
      handler: () => ({ pong: true }),
    });
    adapter = await serveAdapter({
      app: createAdapterApp({ services: [service], log: silentLogger }),
      port: 0,
      tls: { ...server, ca: trust, requestCert: true },
    });
  });
  afterAll(() => adapter?.close());

  it('listens on loopback over https', () => {
    expect(adapter.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('lets the gateway with a certificate from the federation CA in', async () => {
    const answer = await get(adapter.url, { ca: trust, ...gateway });
    expect(answer).toEqual({ status: 200, body: '{"status":"ok"}' });
  });

  it('refuses a client without a certificate', async () => {
    const answer = await get(adapter.url, { ca: trust });
    expect(answer.status).toBeUndefined();
    expect(answer.error).toBeTruthy();
  });

  it('refuses a client whose certificate chains to another CA', async () => {
    const answer = await get(adapter.url, { ca: trust, ...stranger });
    expect(answer.status).toBeUndefined();
    expect(answer.error).toBeTruthy();
  });
});

describe('serveAdapter over plain HTTP', () => {
  it('binds to loopback by default and closes', async () => {
    const app = createAdapterApp({ services: [], log: silentLogger });
    const adapter = await serveAdapter({ app, port: 0 });
    expect(adapter.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${adapter.url}/healthz`);
    expect(await response.json()).toEqual({ status: 'ok' });
    await adapter.close();
    await expect(fetch(`${adapter.url}/healthz`)).rejects.toThrow();
  });
});
