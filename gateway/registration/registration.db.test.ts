import { createPrivateKey, X509Certificate as NodeX509 } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openCaStore,
  parseCertificateBundle,
  parseCertificatePem,
  validateChain,
} from '../../certs/index.ts';
import { runCli } from '../../cli/run.ts';
import { type Database, migrateToLatest } from '../../core/database/index.ts';
import { silentLogger } from '../../core/index.ts';
import { type FederationManifest, writeDevelopmentFederation } from '../../dev/federation-files.ts';
import { addMember, type RegistryDb, registryMigrations } from '../../registry/db/index.ts';
import { createRegistrationRoutes, type RegistrationRoutes } from '../../registry/index.ts';
import { createTestDatabase } from '../../tests/support/database.ts';
import { gatewayRegistrationCommands } from './registration-commands.ts';

const MUNICH = 'DEMO/GOV/munich';
const group = { name: 'gateway', summary: 'test', commands: gatewayRegistrationCommands() };

let database: Database;
let db: Kysely<RegistryDb>;
let federationDir: string;
let manifest: FederationManifest;
let routes: RegistrationRoutes;
let server: Server;
let registryUrl: string;
/** `--signing-key`/`--signing-cert` of Munich and `--ca` of the registry, as an operator holds them. */
let signingArgs: string[];
let caArgs: string[];

/** Runs `einmal gateway ...` and returns its exit code and printed lines. */
async function einmal(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['gateway', ...argv], [group], {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  federationDir = await mkdtemp(join(tmpdir(), 'einmal-gateway-init-'));
  manifest = await writeDevelopmentFederation({ dir: federationDir });
  const munich = manifest.members.find((entry) => entry.id === MUNICH)!;
  const chain = join(federationDir, 'munich-signing-chain.pem');
  await writeFile(
    chain,
    (await readFile(join(federationDir, munich.signing.cert), 'utf8')) +
      (await readFile(join(federationDir, manifest.issuingCa), 'utf8')),
  );
  signingArgs = ['--signing-key', join(federationDir, munich.signing.key), '--signing-cert', chain];
  caArgs = ['--ca', join(federationDir, manifest.rootCa)];
  database = await createTestDatabase();
  await migrateToLatest(database.db, registryMigrations);
  db = database.db.withSchema(registryMigrations.schema) as Kysely<RegistryDb>;
  await addMember(db, { id: MUNICH, name: 'Landeshauptstadt München' });

  const issuing = await openCaStore(join(federationDir, manifest.caStores.issuing));
  const anchor = parseCertificatePem(await readFile(join(federationDir, manifest.rootCa), 'utf8'));
  routes = createRegistrationRoutes({
    db,
    ca: issuing.authority,
    anchor,
    clock: Date.now,
    log: silentLogger,
  });
  const tls = {
    cert:
      (await readFile(join(federationDir, manifest.registry.tls.cert), 'utf8')) +
      (await readFile(join(federationDir, manifest.issuingCa), 'utf8')),
    key: await readFile(join(federationDir, manifest.registry.tls.key), 'utf8'),
  };
  server = createServer(tls, getRequestListener(routes.publicRoutes.fetch));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  registryUrl = `https://localhost:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await database?.close();
  if (federationDir) await rm(federationDir, { recursive: true, force: true });
});

describe('einmal gateway init / register', () => {
  it('registers a new gateway: init, register --wait, operator approval, certificate saved', async () => {
    const out = join(federationDir, 'gw2');
    const init = await einmal(
      'init',
      ...signingArgs,
      '--member',
      MUNICH,
      '--code',
      'gw2',
      '--host',
      'localhost',
      '--host',
      '127.0.0.1',
      '--port',
      '4420',
      '--out',
      out,
    );
    expect(init).toMatchObject({ code: 0, err: '' });
    expect(init.out).toContain('DEMO/GOV/munich/gw2 at https://localhost:4420');
    expect((await stat(join(out, 'auth.key'))).mode & 0o777).toBe(0o600);

    const again = await einmal(
      'init',
      ...signingArgs,
      '--member',
      MUNICH,
      '--code',
      'gw2',
      '--host',
      'localhost',
      '--port',
      '4420',
      '--out',
      out,
    );
    expect(again.code).toBe(1);
    expect(again.err).toContain('Config.FileExists');

    const registering = einmal(
      'register',
      '--registry',
      registryUrl,
      '--dir',
      out,
      ...caArgs,
      '--wait',
      '20',
    );
    const pending = await waitForPending('DEMO/GOV/munich/gw2');
    // What the member reads from init is what the operator sees in the pending registration.
    expect(init.out).toContain(`auth key fingerprint:   ${pending.authKeyFingerprint}`);
    const approval = await routes.adminRoutes.request(`/admin/registrations/${pending.id}/approve`, {
      method: 'POST',
    });
    expect(approval.status).toBe(200);
    const registered = await registering;
    expect(registered).toMatchObject({ code: 0, err: '' });
    expect(registered.out).toContain('Approved');

    const [certificate, issuing] = parseCertificateBundle(await readFile(join(out, 'auth.pem'), 'utf8'));
    const root = parseCertificatePem(await readFile(join(federationDir, manifest.rootCa), 'utf8'));
    await validateChain({
      certificate: certificate!,
      intermediates: [issuing!],
      anchors: [root],
      usage: 'auth',
    });
    const node = new NodeX509(Buffer.from(certificate!.rawData));
    expect(node.checkPrivateKey(createPrivateKey(await readFile(join(out, 'auth.key'), 'utf8')))).toBe(true);
    expect(node.checkHost('localhost')).toBe('localhost');
    expect(JSON.parse(await readFile(join(out, 'registration.json'), 'utf8'))).toMatchObject({
      id: pending.id,
    });

    // A rerun submits nothing new: it waits for the same registration and fetches its certificate.
    await rm(join(out, 'auth.pem'));
    const rerun = await einmal('register', '--registry', registryUrl, '--dir', out, ...caArgs, '--wait', '5');
    expect(rerun).toMatchObject({ code: 0, err: '' });
    expect(rerun.out).toContain(`Registration ${pending.id} for DEMO/GOV/munich/gw2`);
    expect(rerun.out).toContain('Approved');
    expect(parseCertificateBundle(await readFile(join(out, 'auth.pem'), 'utf8'))[0]!.serialNumber).toBe(
      certificate!.serialNumber,
    );
    // The request itself cannot be submitted twice.
    const resubmitted = await routes.publicRoutes.request('/registrations', {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: (await readFile(join(out, 'registration.jws'), 'utf8')).trim(),
    });
    expect(((await resubmitted.json()) as { type: string }).type).toBe('Registry.DuplicateRegistration');
  });

  it('prepares a registration that the registry takes as it is, and says which files it needs', async () => {
    const out = join(federationDir, 'gw3');
    const plain = { name: 'gateway', summary: 'test', commands: gatewayRegistrationCommands() };
    const lines: string[] = [];
    const code = await runCli(
      ['gateway', 'init', ...signingArgs].concat([
        '--member',
        MUNICH,
        '--code',
        'gw3',
        '--host',
        'localhost',
        '--port',
        '4430',
        '--out',
        out,
      ]),
      [plain],
      { out: (line) => lines.push(line), err: (line) => lines.push(line) },
    );
    expect(code).toBe(0);
    expect(lines.join('\n')).toContain('DEMO/GOV/munich/gw3 at https://localhost:4430');
    const response = await routes.publicRoutes.request('/registrations', {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: (await readFile(join(out, 'registration.jws'), 'utf8')).trim(),
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ gateway: 'DEMO/GOV/munich/gw3', status: 'pending' });

    // Without the member's signing files the command says what it needs.
    const missing = await runCli(
      [
        'gateway',
        'init',
        '--member',
        MUNICH,
        '--code',
        'gw4',
        '--host',
        'localhost',
        '--port',
        '1',
        '--out',
        out,
      ],
      [plain],
      { out: () => {}, err: (line) => lines.push(line) },
    );
    expect(missing).toBe(2);
    expect(lines.at(-1)).toContain('--signing-key');
  });

  it("refuses to sign for a member other than the signing certificate's and reports an unreachable registry", async () => {
    const unknown = await einmal(
      'init',
      ...signingArgs,
      '--member',
      'DEMO/GOV/nobody',
      '--code',
      'gw1',
      '--host',
      'localhost',
      '--port',
      '1',
      '--out',
      join(federationDir, 'x'),
    );
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain(
      "Cli.Usage: The signing certificate is DEMO/GOV/munich's, not DEMO/GOV/nobody's",
    );
    const noRegistry = await einmal(
      'register',
      '--registry',
      'https://localhost:1',
      '--dir',
      join(federationDir, 'gw3'),
      ...caArgs,
    );
    expect(noRegistry.code).toBe(1);
    expect(noRegistry.err).toContain('Server.Unavailable');
  });
});

async function waitForPending(gateway: string): Promise<{ id: string; authKeyFingerprint: string }> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const list = (await (await routes.adminRoutes.request('/admin/registrations')).json()) as {
      id: string;
      gateway: string;
      authKeyFingerprint: string;
    }[];
    const found = list.find((entry) => entry.gateway === gateway);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no pending registration for ${gateway}`);
}
