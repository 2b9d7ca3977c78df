import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/*
 * compose.yaml's first one-shot service, `init-federation.sh pki`, run for real with the einmal
 * command line: it must write every key, certificate and secret file the services name, with keys
 * readable by their owner only; the files the gateways' registration writes come later (`enrol`).
 */

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let site: string;
afterAll(() => (site ? rm(site, { recursive: true, force: true }) : undefined));

describe('deploy/init-federation.sh pki', () => {
  it('writes every credential file compose.yaml names, keys private, and does nothing the second time', async () => {
    site = await mkdtemp(join(tmpdir(), 'einmal-site-'));
    const bin = join(site, '.bin');
    await mkdir(bin);
    await writeFile(join(bin, 'einmal'), `#!/bin/sh\nexec node ${join(ROOT, 'bin/einmal.js')} "$@"\n`);
    await chmod(join(bin, 'einmal'), 0o755);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    await run('sh', [join(ROOT, 'deploy/init-federation.sh'), 'pki'], { cwd: site, env });

    const compose = parse(await readFile(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
      services: Record<string, { environment?: Record<string, string>; command?: string[] }>;
    };
    const named = Object.values(compose.services).flatMap((service) => [
      ...Object.values(service.environment ?? {}),
      ...(service.command ?? []).map((word) => word.split('=').slice(1).join('=')),
    ]);
    const files = named.filter((value) => /^(pki|registry|members|portal-)[\w./-]*$/.test(value));
    expect(files.length).toBeGreaterThan(30);
    // Written when the gateways register (`enrol`), or by the services themselves (directory caches).
    const later = (file: string) =>
      /\/gw1\/(auth\.pem|auth\.key)$/.test(file) || file.endsWith('directory.jws');
    for (const file of files) {
      if (later(file)) continue;
      expect(existsSync(join(site, file)), file).toBe(true);
      if ((/(key|token|secret)/.test(file) && !file.endsWith('.pem')) || file.endsWith('.key.pem')) {
        expect((await stat(join(site, file))).mode & 0o077, `${file} is private`).toBe(0);
      }
    }
    const before = (await stat(join(site, 'pki/root-ca.pem'))).mtimeMs;
    await run('sh', [join(ROOT, 'deploy/init-federation.sh'), 'pki'], { cwd: site, env });
    expect((await stat(join(site, 'pki/root-ca.pem'))).mtimeMs).toBe(before);
  }, 600_000);
});
