import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run.ts';
import { pkiCommands } from './cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'einmal-ca-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

async function einmal(...argv: string[]) {
  const lines: string[] = [];
  const code = await runCli(['pki', ...argv], [pkiCommands], {
    out: (line) => lines.push(line),
    err: (line) => lines.push(line),
  });
  return { code, text: lines.join('\n') };
}

/** An ECDSA P-256 CA made by OpenSSL, as an agency's existing CA would be. */
function opensslCa(name: string, extensions: string) {
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key.pem`);
  openssl(
    'req',
    '-new',
    '-x509',
    '-key',
    `${name}.key.pem`,
    '-subj',
    `/CN=${name}/O=Agency`,
    '-days',
    '30',
    '-addext',
    extensions,
    '-out',
    `${name}.pem`,
  );
}

describe('einmal pki import-ca', () => {
  it('issues from a CA made elsewhere, and the certificates chain to it', async () => {
    opensslCa('agency-root', 'basicConstraints=critical,CA:TRUE');
    const imported = await einmal(
      'import-ca',
      '--dir',
      join(dir, 'store'),
      '--cert',
      join(dir, 'agency-root.pem'),
      '--key',
      join(dir, 'agency-root.key.pem'),
    );
    expect(imported).toMatchObject({ code: 0 });
    expect(imported.text).toContain('CA CN=agency-root, O=Agency');
    expect((await einmal('keygen', '--out', join(dir, 'op.key.pem'))).code).toBe(0);
    const csr = await einmal(
      'csr',
      '--key',
      join(dir, 'op.key.pem'),
      '--subject',
      'CN=operator',
      '--profile',
      'operator',
      '--out',
      join(dir, 'op.csr.pem'),
    );
    expect(csr.code).toBe(0);
    const signed = await einmal(
      'sign',
      '--ca',
      join(dir, 'store'),
      '--csr',
      join(dir, 'op.csr.pem'),
      '--profile',
      'operator',
      '--out',
      join(dir, 'op.pem'),
    );
    expect(signed.code).toBe(0);
    const verified = await einmal(
      'verify',
      '--cert',
      join(dir, 'op.pem'),
      '--anchor',
      join(dir, 'agency-root.pem'),
      '--usage',
      'operator',
    );
    expect(verified).toMatchObject({ code: 0 });
    // OpenSSL agrees that the CA it made issued the certificate.
    expect(openssl('verify', '-CAfile', 'agency-root.pem', 'op.pem').toString()).toContain('op.pem: OK');
    expect(readFileSync(join(dir, 'store', 'ca.pem'), 'utf8')).toBe(
      readFileSync(join(dir, 'agency-root.pem'), 'utf8'),
    );
  });

  it('refuses a certificate that is no CA, and a key that is not its key', async () => {
    opensslCa('leaf', 'basicConstraints=critical,CA:FALSE');
    const leaf = await einmal(
      'import-ca',
      '--dir',
      join(dir, 'leaf-store'),
      '--cert',
      join(dir, 'leaf.pem'),
      '--key',
      join(dir, 'leaf.key.pem'),
    );
    expect(leaf.code).toBe(1);
    expect(leaf.text).toContain('Pki.InvalidCertificate');
    opensslCa('other', 'basicConstraints=critical,CA:TRUE');
    const mismatch = await einmal(
      'import-ca',
      '--dir',
      join(dir, 'mismatch-store'),
      '--cert',
      join(dir, 'other.pem'),
      '--key',
      join(dir, 'leaf.key.pem'),
    );
    expect(mismatch.code).toBe(1);
    expect(mismatch.text).toContain('Pki.InvalidKey');
  });
});
