import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterDescriptionSchema } from '../../registry/service-sync.ts';
import { verifiedContextHeaders } from '../../schemas/index.ts';

/**
 * The adapter SDK as an outside integrator gets it: `npm pack` of this repository (built by
 * `npm run build`, as CI does before the tests), installed into a folder outside the repository
 * next to the example of docs/adapters.md, whose tests run with plain Node, served with plain `node`
 * and with `einmal adapter serve`, and called over mutual TLS with the verified-context headers.
 */
const repository = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const anna = 'DE65402138797';

let work: string;
let example: string;
let packed: { files: { path: string }[]; filename: string };
let gateway: Credentials;
let stranger: Credentials;
let trust: string;
const started: ChildProcess[] = [];
const guide = readFileSync(join(repository, 'docs/adapters.md'), 'utf8');

/** TLS credentials as PEM text. */
interface Credentials {
  readonly cert: string;
  readonly key: string;
}

/** The fenced block of docs/adapters.md after the marker comment `<!-- {marker} -->`. */
function guideBlock(marker: string): string {
  const at = guide.indexOf(`<!-- ${marker} -->`);
  if (at < 0) throw new Error(`docs/adapters.md has no block '${marker}'`);
  const match = /```\w*\n([\s\S]*?)```/.exec(guide.slice(at));
  return match![1]!;
}

/** Starts a process in the example folder and resolves with the URL it reports listening on. */
function startIn(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(command, args, { cwd: example, env: { ...process.env, ...env }, stdio: 'pipe' });
  started.push(child);
  let output = '';
  const url = new Promise<string>((resolveUrl, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /(https:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolveUrl(match[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, url, exited };
}

function call(
  url: string,
  client: Credentials,
  subject: string | null,
): Promise<{ status?: number; body?: any; error?: string }> {
  const headers = verifiedContextHeaders({
    client: 'TEST/GOV/dog-town/tax-office',
    service: `TEST/GOV/dog-town/register/${url.includes('fees') ? 'dog-tax-fees-v1' : 'dog-licences-v1'}`,
    subject,
    purpose: subject ? 'dog-tax' : null,
    legalBasis: null,
    messageId: randomUUID(),
    userId: null,
    issue: null,
  });
  return new Promise((done) => {
    const outgoing = request(
      url,
      { ca: trust, cert: client.cert, key: client.key, headers, agent: false },
      (response) => {
        let text = '';
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => done({ status: response.statusCode, body: JSON.parse(text) }));
      },
    );
    outgoing.on('error', (error) => done({ error: error.message }));
    outgoing.end();
  });
}

describe('docs/adapters.md', () => {
  it('shows each file of the example as it is', () => {
    const shown = [...guide.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)```/g)];
    expect(shown.map(([, path]) => path)).toEqual([
      'examples/dog-licences/register.js',
      'examples/dog-licences/adapter.js',
      'examples/dog-licences/adapter.test.js',
      'examples/dog-licences/adapter.json',
      'examples/dog-licences/server.js',
    ]);
    for (const [, path, text] of shown)
      expect(text, path).toBe(readFileSync(join(repository, path!), 'utf8'));
    const files = readdirSync(join(repository, 'examples/dog-licences')).filter(
      (name) => name !== 'package.json',
    );
    expect(files.map((name) => `examples/dog-licences/${name}`).sort()).toEqual(
      shown.map(([, path]) => path).sort(),
    );
  });
});

describe('the packed adapter SDK in an integrator’s project', () => {
  beforeAll(async () => {
    if (!existsSync(join(repository, 'dist/adapters/sdk/index.js'))) {
      throw new Error('the package ships the compiled SDK: run `npm run build` first');
    }
    work = mkdtempSync(join(tmpdir(), 'einmal-integrator-'));
    const pack = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: repository });
    packed = JSON.parse(pack.stdout)[0];
    example = join(work, 'dog-licences');
    cpSync(join(repository, 'examples/dog-licences'), example, { recursive: true });
    // From the npm cache when it holds the dependencies (after `npm ci`), else from the registry.
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        join(work, packed.filename),
      ],
      { cwd: example },
    );

    // The certificates as the guide makes them: its `run: pki` block, line by line, in the example.
    for (const line of guideBlock('run: pki').split('\n').filter(Boolean)) {
      await run('bash', ['-c', line], { cwd: example });
    }
    // A second certificate of the same federation that is not the gateway's.
    for (const line of [
      'npx einmal pki keygen --out tls/other.key',
      'npx einmal pki csr --key tls/other.key --subject "CN=TEST/GOV/elsewhere/gw1, O=TEST/GOV/elsewhere" --profile auth --host 127.0.0.1 --out tls/other.csr',
      'npx einmal pki sign --ca ca/issuing --csr tls/other.csr --profile auth --out tls/other.pem',
    ]) {
      await run('bash', ['-c', line], { cwd: example });
    }
    const file = (name: string) => readFileSync(join(example, name), 'utf8');
    trust = file('tls/federation-ca.pem');
    gateway = { cert: file('tls/gateway.pem'), key: file('tls/gateway.key') };
    stranger = { cert: file('tls/other.pem'), key: file('tls/other.key') };
  }, 240_000);

  afterAll(() => {
    for (const child of started) child.kill('SIGKILL');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the compiled SDK, its declarations and the CLI, and no tests, benchmarks, demo or sources', () => {
    const files = packed.files.map((file) => file.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'bin/einmal.js',
        'dist/adapters/sdk/index.js',
        'dist/adapters/sdk/index.d.ts',
        'dist/adapters/sdk/testkit.js',
        'dist/adapters/sdk/testkit.d.ts',
        'dist/cli/main.js',
      ]),
    );
    const unwanted = files.filter(
      (file) =>
        /\.test\.|^dist\/bench\/|^dist\/dev\/demo\.|\.map$|^tests\/|^examples\//.test(file) ||
        /(?<!\.d)\.ts$/.test(file),
    );
    expect(unwanted).toEqual([]);
  });

  it('runs the example’s tests with plain Node against the installed package', async () => {
    const { stdout } = await run(process.execPath, ['--test'], { cwd: example });
    expect(stdout).toMatch(/# pass 4\b/);
    expect(stdout).toMatch(/# fail 0\b/);
  }, 60_000);

  it('type-checks the example against the package’s declarations', async () => {
    const tsc = join(repository, 'node_modules/typescript/bin/tsc');
    const flags = [
      '--noEmit',
      '--allowJs',
      '--checkJs',
      '--strict',
      '--skipLibCheck',
      '--module',
      'nodenext',
      '--target',
      'es2022',
      '--types',
      'node',
      '--typeRoots',
      join(repository, 'node_modules/@types'),
    ];
    const result = await run(process.execPath, [tsc, ...flags, 'adapter.js', 'adapter.test.js'], {
      cwd: example,
    }).catch((error) => error);
    expect(result.stdout ?? '').toBe('');
  }, 60_000);

  it('serves it with plain node over mutual TLS to the gateway only, and stops on SIGTERM', async () => {
    const server = startIn(process.execPath, ['server.js'], {
      ADAPTER_PORT: '0',
      ADAPTER_TLS_CERT: 'tls/adapter.pem',
      ADAPTER_TLS_KEY: 'tls/adapter.key',
      ADAPTER_TLS_CA: 'tls/federation-ca.pem',
      ADAPTER_GATEWAY_CERT: 'tls/gateway.pem',
    });
    const url = await server.url;
    const answer = await call(`${url}/dog-licences-v1`, gateway, anna);
    expect(answer.status).toBe(200);
    expect(answer.body.licences.map((licence: { dogName: string }) => licence.dogName)).toEqual([
      'Bello',
      'Luna',
    ]);
    const refused = await call(`${url}/dog-licences-v1`, stranger, anna);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('Adapter.NotGateway');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 60_000);

  it('serves it with `einmal adapter serve adapter.json` and prints its OpenAPI document', async () => {
    const einmal = join(example, 'node_modules/.bin/einmal');
    const server = startIn(einmal, [
      'adapter',
      'serve',
      'adapter.json',
      '--port',
      '0',
      '--log-level',
      'warn',
    ]);
    const url = await server.url;
    const fees = await call(`${url}/dog-tax-fees-v1?dogs=2`, gateway, null);
    expect(fees).toMatchObject({ status: 200, body: { fees: [{ dogs: 2, euro: 180 }] } });
    const withoutSubject = await call(`${url}/dog-licences-v1`, gateway, null);
    expect(withoutSubject.body.type).toBe('Adapter.SubjectMissing');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);

    const { stdout } = await run(einmal, ['adapter', 'openapi', 'adapter.js'], { cwd: example });
    const document = JSON.parse(stdout);
    expect(document.info.title).toBe('Dog licence register');
    expect(Object.keys(document.paths)).toEqual(['/dog-licences-v1', '/dog-tax-fees-v1']);

    // The description `einmal registry service-sync` registers the services from.
    const described = await run(einmal, ['adapter', 'describe', 'adapter.js'], { cwd: example });
    const description = adapterDescriptionSchema.parse(JSON.parse(described.stdout));
    expect(description.services.map((service) => [service.serviceCode, service.eidScope])).toEqual([
      ['dog-licences-v1', 'dogs.licences'],
      ['dog-tax-fees-v1', null],
    ]);
  }, 60_000);
});
