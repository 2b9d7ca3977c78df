import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/* The two scripts the container image runs around einmal: its entry point and its health check. */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'einmal-image-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the entry point, deploy/einmal.sh', () => {
  it('passes its arguments on and turns NAME_FILE into NAME with the file content', async () => {
    const main = join(dir, 'main.js');
    await writeFile(
      main,
      'console.log(JSON.stringify({ args: process.argv.slice(2), token: process.env.GATEWAY_ADMIN_TOKEN, file: process.env.GATEWAY_ADMIN_TOKEN_FILE ?? null }));\n',
    );
    await writeFile(join(dir, 'token'), 'c2VjcmV0LXRva2VuLWZvci10ZXN0\n');
    const { stdout } = await run('sh', [join(ROOT, 'deploy/einmal.sh'), 'gateway', 'serve'], {
      env: { PATH: process.env.PATH, EINMAL_MAIN: main, GATEWAY_ADMIN_TOKEN_FILE: join(dir, 'token') },
    });
    expect(JSON.parse(stdout)).toEqual({
      args: ['gateway', 'serve'],
      token: 'c2VjcmV0LXRva2VuLWZvci10ZXN0',
      file: null,
    });
  });

  it('refuses to start when a secret file is missing', async () => {
    const failed = await run('sh', [join(ROOT, 'deploy/einmal.sh'), '--help'], {
      env: {
        PATH: process.env.PATH,
        EINMAL_MAIN: '/nonexistent',
        PORTAL_OIDC_CLIENT_SECRET_FILE: join(dir, 'none'),
      },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain('none');
  });
});

describe('the health check, deploy/healthcheck.js', () => {
  let server: Server;
  let status = 200;
  let port: number;

  beforeAll(async () => {
    server = createServer((request, response) => {
      response.statusCode = request.url === '/healthz' ? status : 404;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const check = (env: Record<string, string>) =>
    run('node', [join(ROOT, 'deploy/healthcheck.js')], { env: { PATH: process.env.PATH, ...env } }).then(
      () => 0,
      (error: { code: number }) => error.code,
    );

  it("asks /healthz on the service's operations port: healthy on 200 only", async () => {
    status = 200;
    expect(await check({ GATEWAY_OPS_PORT: String(port) })).toBe(0);
    expect(await check({ EINMAL_OPS_PORT: String(port), REGISTRY_OPS_PORT: '1' })).toBe(0);
    status = 503;
    expect(await check({ PORTAL_OPS_PORT: String(port) })).toBe(1);
    // Nothing listening there.
    expect(await check({ EID_OPS_PORT: '1' })).toBe(1);
  });
});
