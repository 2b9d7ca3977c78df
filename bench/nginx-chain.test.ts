import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePorts } from '../dev/free-ports.ts';
import { writeFederationTls } from './federation-tls.ts';
import type { TlsCredentials } from './mtls-forwarder.ts';
import { type NginxChain, nginxVersion, startNginxChain } from './nginx-chain.ts';

const nginx = await nginxVersion();

/** The benchmark's nginx baseline: IS → nginx A → nginx B → an echoing upstream, over mutual TLS. */
describe.skipIf(nginx === undefined)(`nginx chain (nginx ${nginx ?? 'not installed'})`, () => {
  let dir: string;
  let upstream: Server;
  let chain: NginxChain;
  let is: TlsCredentials;
  let withCert: Agent;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'einmal-nginx-'));
    const { manifest, credentials: tls } = await writeFederationTls(dir);
    const [consumer, provider] = manifest.members;
    is = await tls(consumer!.subsystems[0]!.client);
    upstream = createServer((req, res) => {
      res.writeHead(req.url?.startsWith('/missing') ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url, purpose: req.headers['einmal-purpose'] }));
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
    const [frontPort, backPort] = await findFreePorts(2);
    chain = await startNginxChain({
      dir,
      upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      frontTls: await tls(consumer!.gateway.tls),
      backTls: await tls(provider!.gateway.tls),
      frontPort: frontPort!,
      backPort: backPort!,
    });
    withCert = new Agent({ connect: { ...is } });
  });
  afterAll(async () => {
    await withCert?.close();
    await chain?.stop();
    upstream?.closeAllConnections();
    upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('forwards path, query and headers through both proxies, and the answer and status back', async () => {
    const response = await request(`https://localhost:${chain.front.port}/address/v1?x=1`, {
      headers: { 'einmal-purpose': 'parking-permit' },
      dispatcher: withCert,
    });
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toEqual({ url: '/address/v1?x=1', purpose: 'parking-permit' });
    const missing = await request(`https://localhost:${chain.front.port}/missing`, { dispatcher: withCert });
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
  });

  it('refuses a caller without a client certificate, at either proxy', async () => {
    const anonymous = new Agent({ connect: { ca: is.ca } });
    try {
      for (const port of [chain.front.port, chain.back.port]) {
        const response = await request(`https://localhost:${port}/address/v1`, { dispatcher: anonymous });
        // nginx answers a TLS client without a certificate with 400 and never proxies.
        expect(response.statusCode).toBe(400);
        expect(await response.body.text()).toContain('No required SSL certificate was sent');
      }
    } finally {
      await anonymous.close();
    }
  });

  it('reports the memory and CPU of each proxy’s processes', async () => {
    expect(await chain.front.rss()).toBeGreaterThan(1024 * 1024);
    expect(await chain.back.cpuSeconds()).toBeGreaterThanOrEqual(0);
  });
});
