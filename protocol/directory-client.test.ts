import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportPrivateKeyPem, toPem } from '../certs/index.ts';
import { silentLogger } from '../core/index.ts';
import type { Directory } from '../schemas/index.ts';
import {
  createTestPki,
  demoDirectory,
  type IssuedCredential,
  type TestPki,
} from '../tests/support/directory-fixture.ts';
import { signDirectory } from './directory-jws.ts';
import {
  createDirectoryClient,
  createRegistryFetch,
  type DirectoryClient,
  writeCachedDirectory,
} from './index.ts';

const TTL_MS = 600_000;
let pki: TestPki;
let signer: IssuedCredential;
let tls: { cert: string; key: string };
let dir: string;

/** A stand-in for the registry's public listener: serves one signed directory with ETag / 304. */
function createDirectoryServer() {
  let jws = '';
  let etag = '';
  const seen: { ifNoneMatch: string | undefined; status: number }[] = [];
  let server: Server | undefined;
  let port = 0;
  return {
    seen,
    serve(next: string, tag: string) {
      jws = next;
      etag = tag;
    },
    get url() {
      return `https://localhost:${port}/directory`;
    },
    async start() {
      server = createServer(tls, (request, response) => {
        const ifNoneMatch = request.headers['if-none-match'];
        const status = ifNoneMatch === etag ? 304 : 200;
        seen.push({ ifNoneMatch, status });
        response.writeHead(status, { etag, 'content-type': 'application/jose', 'cache-control': 'no-cache' });
        response.end(status === 200 ? jws : undefined);
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    },
    async stop() {
      const closing = new Promise((resolve) => server?.close(resolve));
      server?.closeAllConnections();
      await closing;
    },
  };
}

const sign = (directory: Directory) =>
  signDirectory(directory, {
    privateKey: signer.keys.privateKey,
    chain: [signer.certificate, pki.issuing.certificate],
  });

beforeAll(async () => {
  pki = await createTestPki();
  signer = await pki.issue({ profile: 'directory', subject: 'CN=DEMO directory signer' });
  const registryTls = await pki.issue({
    profile: 'auth',
    subject: 'CN=DEMO registry',
    host: ['localhost', '127.0.0.1'],
  });
  tls = {
    cert: toPem(registryTls.certificate) + toPem(pki.issuing.certificate),
    key: await exportPrivateKeyPem(registryTls.keys.privateKey),
  };
  dir = await mkdtemp(join(tmpdir(), 'einmal-directory-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function codeOf(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'accepted';
}

describe('directory client', () => {
  it('keeps serving from its cache while the registry is down, refuses once expired, recovers unaided', async () => {
    const registry = createDirectoryServer();
    const cacheFile = join(dir, 'outage', 'directory.jws');
    const start = Date.now();
    let now = start;
    const clock = () => now;
    const transport = createRegistryFetch({ ca: toPem(pki.root.certificate) });
    const clientOptions = {
      anchor: pki.root.certificate,
      cacheFile,
      fetch: transport.fetch,
      clock,
      log: silentLogger,
      pollIntervalMs: 60_000,
      stalePollIntervalMs: 50,
    };
    let first: DirectoryClient | undefined;
    let second: DirectoryClient | undefined;
    try {
      registry.serve(
        await sign(demoDirectory({ version: 1, issuedAt: new Date(now), ttlMs: TTL_MS })),
        '"1"',
      );
      await registry.start();

      first = createDirectoryClient({ ...clientOptions, url: registry.url });
      await first.start();
      expect(first.ensureFresh('consumer').version).toBe(1);
      expect(first.index()?.findMember('DEMO/GOV/munich')?.name).toBeTruthy();
      expect(await readFile(cacheFile, 'utf8')).toContain('.');
      await first.refresh();
      expect(registry.seen.at(-1)).toEqual({ ifNoneMatch: '"1"', status: 304 });
      first.stop();
      await registry.stop();

      // A restarted gateway while the registry is down: the cached directory still serves.
      now += 60_000;
      second = createDirectoryClient({ ...clientOptions, url: registry.url });
      const changes: number[] = [];
      second.onChange((directory) => changes.push(directory.version));
      await second.start();
      expect(second.ensureFresh('provider').version).toBe(1);
      expect(second.freshness()).toMatchObject({
        version: 1,
        fresh: true,
        lastError: { code: 'Directory.Unavailable' },
      });

      // Past expiresAt both sides refuse with the X-Road-style outdated-directory error.
      now = start + TTL_MS + 1;
      expect(second.freshness().fresh).toBe(false);
      expect(await codeOf(() => second!.ensureFresh('consumer'))).toBe(
        'Server.ClientProxy.OutdatedDirectory',
      );
      expect(await codeOf(() => second!.ensureFresh('provider'))).toBe(
        'Server.ServerProxy.OutdatedDirectory',
      );

      // The registry returns with a fresh directory: the client picks it up by itself.
      const second2 = await sign(demoDirectory({ version: 2, issuedAt: new Date(now), ttlMs: TTL_MS }));
      registry.serve(second2, '"2"');
      await registry.start();
      await vi.waitFor(() => expect(second!.freshness().fresh).toBe(true), { timeout: 5_000, interval: 20 });
      expect(second.ensureFresh('consumer').version).toBe(2);
      expect(second.freshness().lastError).toBeUndefined();
      expect(changes).toEqual([1, 2]);
      expect((await readFile(cacheFile, 'utf8')).trim()).toBe(second2);
    } finally {
      first?.stop();
      second?.stop();
      await registry.stop();
      await transport.close();
    }
  });

  it('keeps the directory it holds when the registry serves an older, tampered or foreign one', async () => {
    const registry = createDirectoryServer();
    const cacheFile = join(dir, 'refusals', 'directory.jws');
    const now = new Date();
    const transport = createRegistryFetch({ ca: toPem(pki.root.certificate) });
    const client = createDirectoryClient({
      url: '',
      anchor: pki.root.certificate,
      cacheFile,
      fetch: (_url, init) => transport.fetch(registry.url, init),
      clock: () => now.getTime(),
      log: silentLogger,
    });
    try {
      registry.serve(await sign(demoDirectory({ version: 7, issuedAt: now })), '"7"');
      await registry.start();
      await client.start();
      expect(client.current()?.version).toBe(7);
      const cached = await readFile(cacheFile, 'utf8');

      registry.serve(await sign(demoDirectory({ version: 6, issuedAt: now })), '"6"');
      await client.refresh();
      expect(client.freshness()).toMatchObject({
        version: 7,
        lastError: { code: 'Directory.VersionRollback' },
      });

      const [header, payload, signature] = (await sign(demoDirectory({ version: 8, issuedAt: now }))).split(
        '.',
      );
      const bytes = Buffer.from(payload!, 'base64url');
      bytes[bytes.indexOf('"version":8') + 10] = '9'.charCodeAt(0);
      registry.serve(`${header}.${bytes.toString('base64url')}.${signature}`, '"8"');
      await client.refresh();
      expect(client.freshness()).toMatchObject({
        version: 7,
        lastError: { code: 'Directory.InvalidSignature' },
      });

      const foreign = await createTestPki('EVIL');
      const impostor = await foreign.issue({ profile: 'directory', subject: 'CN=EVIL directory' });
      registry.serve(
        await signDirectory(demoDirectory({ version: 100, issuedAt: now }), {
          privateKey: impostor.keys.privateKey,
          chain: [impostor.certificate, foreign.issuing.certificate],
        }),
        '"100"',
      );
      await client.refresh();
      expect(client.freshness()).toMatchObject({
        version: 7,
        lastError: { code: 'Directory.UntrustedSigner' },
      });
      expect(client.ensureFresh('consumer').version).toBe(7);
      expect(await readFile(cacheFile, 'utf8')).toBe(cached);
    } finally {
      client.stop();
      await registry.stop();
      await transport.close();
    }
  });

  it('refuses a tampered cache file on start and holds no directory', async () => {
    const cacheFile = join(dir, 'tampered', 'directory.jws');
    const now = new Date();
    const client = createDirectoryClient({
      url: 'https://localhost:1/directory',
      anchor: pki.root.certificate,
      cacheFile,
      fetch: async () => {
        throw new Error('connection refused');
      },
      clock: () => now.getTime(),
      log: silentLogger,
    });
    const jws = await sign(demoDirectory({ version: 3, issuedAt: now }));
    await rm(join(dir, 'tampered'), { recursive: true, force: true });
    await writeCachedDirectory(cacheFile, `${jws.slice(0, -4)}AAAA`);
    try {
      await client.start();
      expect(client.current()).toBeUndefined();
      expect(client.freshness()).toMatchObject({
        fresh: false,
        lastError: { code: 'Directory.Unavailable' },
      });
      expect(await codeOf(() => client.ensureFresh('consumer'))).toBe('Server.ClientProxy.OutdatedDirectory');

      await writeFile(cacheFile, jws);
      const restarted = createDirectoryClient({
        url: 'https://localhost:1/directory',
        anchor: pki.root.certificate,
        cacheFile,
        fetch: async () => {
          throw new Error('connection refused');
        },
        clock: () => now.getTime(),
        log: silentLogger,
      });
      await restarted.start();
      restarted.stop();
      expect(restarted.current()?.version).toBe(3);
    } finally {
      client.stop();
    }
  });
});
