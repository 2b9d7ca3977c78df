import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFederationTls } from './federation-tls.ts';
import { type RunningForwarder, startMtlsForwarder, type TlsCredentials } from './mtls-forwarder.ts';

/** The bare chain of the benchmark: IS → forwarder A → forwarder B → an echoing upstream. */
describe('mutual-TLS forwarder', () => {
  let dir: string;
  let upstream: Server;
  let a: RunningForwarder;
  let b: RunningForwarder;
  let is: TlsCredentials;
  let providerTls: TlsCredentials;
  let withCert: Agent;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'einmal-forwarder-'));
    const { manifest, credentials: tls } = await writeFederationTls(dir);
    const [consumer, provider] = manifest.members;
    is = await tls(consumer!.subsystems[0]!.client);
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, {
          'content-type': 'application/json',
          'x-upstream': 'yes',
        });
        res.end(
          JSON.stringify({
            method: req.method,
            url: req.url,
            purpose: req.headers['einmal-purpose'],
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
    const upstreamPort = (upstream.address() as AddressInfo).port;
    providerTls = await tls(provider!.gateway.tls);
    b = await startMtlsForwarder({
      port: 0,
      tls: providerTls,
      upstream: `http://127.0.0.1:${upstreamPort}`,
    });
    const consumerTls = await tls(consumer!.gateway.tls);
    a = await startMtlsForwarder({
      port: 0,
      tls: consumerTls,
      upstream: `https://localhost:${b.port}`,
      upstreamTls: consumerTls,
    });
    withCert = new Agent({ connect: { ...is } });
  });
  afterAll(async () => {
    await withCert?.close();
    await a?.close();
    await b?.close();
    upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('forwards method, path, query, headers and body unchanged through both hops, and the answer back', async () => {
    const response = await request(`https://localhost:${a.port}/address-v1?x=1%202`, {
      method: 'POST',
      headers: { 'einmal-purpose': 'parking-permit', 'content-type': 'application/json' },
      body: '{"q":1}',
      dispatcher: withCert,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-upstream']).toBe('yes');
    expect(await response.body.json()).toEqual({
      method: 'POST',
      url: '/address-v1?x=1%202',
      purpose: 'parking-permit',
      body: '{"q":1}',
    });
  });

  it('passes the upstream’s status through', async () => {
    const response = await request(`https://localhost:${a.port}/missing`, { dispatcher: withCert });
    expect(response.statusCode).toBe(404);
    await response.body.dump();
  });

  it('refuses a caller without a client certificate at the TLS handshake', async () => {
    const anonymous = new Agent({ connect: { ca: is.ca } });
    await expect(
      request(`https://localhost:${a.port}/address-v1`, { dispatcher: anonymous }),
    ).rejects.toThrow();
    await anonymous.close();
  });

  it('answers 502 with an X-Road error body when the next hop is down', async () => {
    const dead = await startMtlsForwarder({ port: 0, tls: providerTls, upstream: 'http://127.0.0.1:1' });
    try {
      const response = await request(`https://localhost:${dead.port}/address-v1`, { dispatcher: withCert });
      expect(response.statusCode).toBe(502);
      expect(response.headers['x-road-error']).toBe('Server.ClientProxy.NetworkError');
      expect(await response.body.json()).toMatchObject({ type: 'Server.ClientProxy.NetworkError' });
    } finally {
      await dead.close();
    }
  });
});
