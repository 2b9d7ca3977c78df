import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateProfile,
  parseCertificatePem,
  pkiCommands,
  serialHex,
  validateChain,
} from '../certs/index.ts';
import { runCli } from '../cli/run.ts';
import { devCommands } from './cli.ts';
import { demoMembers } from './demo-federation.ts';
import { type FederationManifest, readFederationManifest } from './federation-files.ts';

let dir: string;
let manifest: FederationManifest;

async function einmal(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, [pkiCommands, devCommands], {
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const at = (relative: string) => join(dir, relative);
const text = (relative: string) => readFileSync(at(relative), 'utf8');

function opensslVerify(cert: string, extra: string[] = []) {
  const result = spawnSync(
    'openssl',
    ['verify', ...extra, '-CAfile', at(manifest.rootCa), '-untrusted', at(manifest.issuingCa), at(cert)],
    { encoding: 'utf8' },
  );
  return result.stdout + result.stderr;
}

type KeyPairFiles = FederationManifest['operator'];

function everyKeyPair(m: FederationManifest): [string, KeyPairFiles, CertificateProfile][] {
  return [
    ['registry tls', m.registry.tls, 'auth'],
    ['directory signing', m.registry.directorySigning, 'directory'],
    ['witness', m.registry.witness, 'witness'],
    ['operator', m.operator, 'operator'],
    ['auditor', m.auditor, 'auditor'],
    ...m.members.flatMap((member): [string, KeyPairFiles, CertificateProfile][] => [
      [`${member.id} signing`, member.signing, 'signing'],
      [`${member.gateway.id} tls`, member.gateway.tls, 'auth'],
      ...(member.adapter
        ? [
            [`${member.id} adapter tls`, member.adapter.tls, 'auth'] as [
              string,
              KeyPairFiles,
              CertificateProfile,
            ],
          ]
        : []),
      ...member.subsystems.map((s): [string, KeyPairFiles, CertificateProfile] => [
        `${s.id} client`,
        s.client,
        'client',
      ]),
    ]),
  ];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'einmal-dev-'));
  const result = await einmal('dev', 'init', dir);
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  manifest = await readFederationManifest(dir);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('einmal dev init', () => {
  it('lists every demo member, gateway and subsystem in federation.json', () => {
    expect(manifest.instance).toBe('DEMO');
    expect(manifest.members.map((m) => m.id)).toEqual(demoMembers.map((m) => m.id));
    const munich = manifest.members.find((m) => m.id === 'DEMO/GOV/munich')!;
    expect(munich.gateway).toMatchObject({ id: 'DEMO/GOV/munich/gw1', port: 4410, clientPort: 4510 });
    expect(munich.subsystems.map((s) => s.id)).toEqual(['DEMO/GOV/munich/parking-permits']);
    // Each provider's adapter has a TLS certificate of its own; the city provides nothing.
    expect(munich.adapter).toBeUndefined();
    expect(
      manifest.members.filter((m) => m.adapter).map((m) => [m.id, m.adapter!.registry, m.adapter!.port]),
    ).toEqual([
      ['DEMO/GOV/residents-office', 'population', 4420],
      ['DEMO/GOV/vehicle-authority', 'vehicles', 4421],
      ['DEMO/GOV/business-register', 'business-register', 4422],
    ]);
  });

  it('writes certificates that openssl verify accepts, with CRLs checked, and keys only the owner reads', () => {
    const crls = ['-crl_check_all', '-CRLfile', at(manifest.crl), '-CRLfile', at(manifest.rootCrl)];
    for (const [role, files] of everyKeyPair(manifest)) {
      expect(opensslVerify(files.cert, crls), role).toContain(': OK');
      expect(statSync(at(files.key)).mode & 0o777, role).toBe(0o600);
    }
    for (const [crl, issuer] of [
      [manifest.crl, manifest.issuingCa],
      [manifest.rootCrl, manifest.rootCa],
    ] as const) {
      const result = spawnSync('openssl', ['crl', '-in', at(crl), '-CAfile', at(issuer), '-noout'], {
        encoding: 'utf8',
      });
      expect(result.stdout + result.stderr, crl).toContain('verify OK');
    }
  });

  it('issues each certificate for its role and its member', async () => {
    const anchors = [text(manifest.rootCa)];
    const intermediates = [text(manifest.issuingCa)];
    for (const [role, files, usage] of everyKeyPair(manifest)) {
      const chain = await validateChain({ certificate: text(files.cert), anchors, intermediates, usage });
      expect(chain, role).toHaveLength(3);
    }
    const whois = await einmal('pki', 'whois', at(manifest.members[0]!.signing.cert));
    expect(whois.out).toMatch(/member:\s+DEMO\/GOV\/munich/);
    expect(whois.out).toMatch(/profile:\s+signing/);
    const san = spawnSync(
      'openssl',
      ['x509', '-in', at(manifest.members[0]!.gateway.tls.cert), '-noout', '-ext', 'subjectAltName'],
      {
        encoding: 'utf8',
      },
    );
    expect(san.stdout).toContain('DNS:localhost, IP Address:127.0.0.1');
  });

  it('refuses to run twice unless forced', async () => {
    const again = await einmal('dev', 'init', dir);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^einmal: Config\.FileExists: /);
    const forced = await einmal('dev', 'init', dir, '--force');
    expect(forced.code).toBe(0);
    manifest = await readFederationManifest(dir);
    expect(opensslVerify(manifest.operator.cert)).toContain(': OK');
  });

  it('revokes through the CLI: the new CRL lists the serial and the certificate is refused', async () => {
    const signing = manifest.members[1]!.signing;
    const victim = parseCertificatePem(text(signing.cert));
    const ca = at(manifest.caStores.issuing);
    expect(
      (await einmal('pki', 'revoke', '--ca', ca, '--cert', at(signing.cert), '--reason', 'keyCompromise'))
        .code,
    ).toBe(0);
    const crl = await einmal('pki', 'crl', '--ca', ca, '--out', at(manifest.crl), '--force');
    expect(crl.code).toBe(0);

    const listed = spawnSync('openssl', ['crl', '-in', at(manifest.crl), '-text', '-noout'], {
      encoding: 'utf8',
    });
    expect(listed.stdout).toContain(serialHex(victim).toUpperCase());
    expect(opensslVerify(signing.cert, ['-crl_check', '-CRLfile', at(manifest.crl)])).toContain(
      'certificate revoked',
    );
    await expect(
      validateChain({
        certificate: victim,
        anchors: [text(manifest.rootCa)],
        intermediates: [text(manifest.issuingCa)],
        crls: [text(manifest.crl)],
      }),
    ).rejects.toMatchObject({ code: 'Pki.Revoked' });

    const verify = (cert: string, usage: string) =>
      einmal(
        'pki',
        'verify',
        '--cert',
        at(cert),
        '--anchor',
        at(manifest.rootCa),
        '--chain',
        at(manifest.issuingCa),
        '--crl',
        at(manifest.crl),
        '--usage',
        usage,
      );
    expect((await verify(signing.cert, 'signing')).err).toBe(
      'einmal: Pki.Revoked: The certificate is revoked',
    );
    expect((await verify(manifest.members[0]!.signing.cert, 'signing')).out).toBe('OK');
    expect((await verify(manifest.members[0]!.signing.cert, 'auth')).err).toMatch(
      /^einmal: Pki\.WrongUsage: /,
    );
  });

  it('answers bad input with one line naming the code', async () => {
    expect((await einmal('pki', 'revoke', '--ca', at(manifest.caStores.issuing), '--serial', '01')).err).toBe(
      'einmal: Client.NotFound: This CA issued no certificate with serial 1',
    );
    expect((await einmal('pki', 'whois', at('federation.json'))).err).toMatch(
      /^einmal: Pki\.InvalidCertificate: /,
    );
    expect(
      (await einmal('pki', 'sign', '--ca', at('nowhere'), '--csr', 'x', '--profile', 'auth')).err,
    ).toMatch(/^einmal: Config\.FileMissing: /);
    expect(
      (
        await einmal(
          'pki',
          'sign',
          '--ca',
          at(manifest.caStores.issuing),
          '--csr',
          at(manifest.rootCa),
          '--profile',
          'auth',
        )
      ).err,
    ).toMatch(/^einmal: Pki\.InvalidCsr: /);
  });
});

describe('einmal pki', () => {
  it('runs a CA from the command line: root, issuing, key, CSR, certificate', async () => {
    const pki = join(dir, 'cli-pki');
    const run = async (...argv: string[]) => {
      const result = await einmal('pki', ...argv);
      expect(result.err, argv.join(' ')).toBe('');
      return result.out;
    };
    await run('init-root', '--dir', join(pki, 'root'), '--name', 'CN=Test Root, O=DEMO');
    await run(
      'init-issuing',
      '--dir',
      join(pki, 'issuing'),
      '--root',
      join(pki, 'root'),
      '--name',
      'CN=Test Issuing, O=DEMO',
    );
    await run('keygen', '--out', join(pki, 'gw.key.pem'));
    await run(
      'csr',
      '--key',
      join(pki, 'gw.key.pem'),
      '--subject',
      'CN=DEMO/GOV/munich/gw2',
      '--profile',
      'auth',
      '--host',
      'gw2.example',
      '--out',
      join(pki, 'gw.csr'),
    );
    const signed = await run(
      'sign',
      '--ca',
      join(pki, 'issuing'),
      '--csr',
      join(pki, 'gw.csr'),
      '--profile',
      'auth',
      '--out',
      join(pki, 'gw.pem'),
    );
    expect(signed).toMatch(/Serial [0-9a-f]{32}/);
    const result = spawnSync(
      'openssl',
      [
        'verify',
        '-purpose',
        'sslserver',
        '-CAfile',
        join(pki, 'root/ca.pem'),
        '-untrusted',
        join(pki, 'issuing/ca.pem'),
        join(pki, 'gw.pem'),
      ],
      { encoding: 'utf8' },
    );
    expect(result.stdout).toContain(': OK');
    expect(statSync(join(pki, 'gw.key.pem')).mode & 0o777).toBe(0o600);
    expect((await einmal('pki', 'keygen', '--out', join(pki, 'gw.key.pem'))).err).toMatch(
      /^einmal: Config\.FileExists: /,
    );
  });
});
