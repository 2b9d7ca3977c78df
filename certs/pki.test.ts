import { execFileSync, spawnSync } from 'node:child_process';
import { createSign, createVerify, X509Certificate as NodeX509 } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EinmalError } from '../core/index.ts';
import { parseMemberId, parseSubsystemId, printClientId, printMemberId } from '../schemas/index.ts';
import {
  type CertificateAuthority,
  type CertificateProfile,
  certificateFingerprint,
  clientOfCertificate,
  createChainVerifier,
  createCrl,
  createCsr,
  createIssuingCa,
  createRootCa,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKeyPem,
  issueCertificate,
  memberOfCertificate,
  parseCertificatePem,
  parseCrl,
  privateKeyObject,
  publicKeyObject,
  readCsr,
  serialHex,
  toPem,
  validateChain,
  type x509,
} from './index.ts';

let dir: string;
let root: CertificateAuthority;
let issuing: CertificateAuthority;
const certs = {} as Record<CertificateProfile, x509.X509Certificate>;

const munich = parseMemberId('DEMO/GOV/munich');
const permits = parseSubsystemId('DEMO/GOV/munich/parking-permits');

async function issue(
  profile: CertificateProfile,
  extra: Partial<Parameters<typeof createCsr>[0]> = {},
  now?: Date,
) {
  const keys = await generateKeyPair();
  const csrPem = await createCsr({ keys, subject: `CN=test ${profile}, O=DEMO`, profile, ...extra });
  return issueCertificate({ ca: issuing, csrPem, profile, ...(now ? { now, validityDays: 1 } : {}) });
}

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function openssl(args: string[]) {
  return spawnSync('openssl', args, { encoding: 'utf8' });
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EinmalError);
    return (error as EinmalError).code;
  }
  throw new Error('expected a refusal');
}

const trust = () => ({ anchors: [root.certificate], intermediates: [issuing.certificate] });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'einmal-pki-'));
  root = await createRootCa({ name: 'CN=DEMO Root CA, O=DEMO' });
  issuing = await createIssuingCa({ root, name: 'CN=DEMO Issuing CA, O=DEMO' });
  write('root.pem', toPem(root.certificate));
  write('issuing.pem', toPem(issuing.certificate));
  certs.auth = await issue('auth', { host: ['localhost', '127.0.0.1'], member: munich });
  certs.signing = await issue('signing', { member: munich });
  certs.client = await issue('client', { client: permits });
  certs.directory = await issue('directory');
  certs.operator = await issue('operator');
  certs.auditor = await issue('auditor');
  certs.witness = await issue('witness');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('issuing', () => {
  it('produces certificates that openssl verify accepts', () => {
    for (const [profile, cert] of Object.entries(certs)) {
      const path = write(`${profile}.pem`, toPem(cert));
      const result = openssl([
        'verify',
        '-CAfile',
        join(dir, 'root.pem'),
        '-untrusted',
        join(dir, 'issuing.pem'),
        path,
      ]);
      expect(result.stdout, `${profile}: ${result.stderr}`).toContain(': OK');
    }
  });

  it('gives TLS certificates the purposes OpenSSL checks for servers and clients', () => {
    const path = write('auth-purpose.pem', toPem(certs.auth));
    for (const purpose of ['sslserver', 'sslclient']) {
      const result = openssl([
        'verify',
        '-purpose',
        purpose,
        '-CAfile',
        join(dir, 'root.pem'),
        '-untrusted',
        join(dir, 'issuing.pem'),
        path,
      ]);
      expect(result.stdout).toContain(': OK');
    }
    expect(new NodeX509(Buffer.from(certs.auth.rawData)).subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, URI:urn:einmal:DEMO:GOV:munich',
    );
  });

  it('uses random, distinct 16-byte serial numbers', async () => {
    const serials = new Set(Object.values(certs).map(serialHex));
    expect(serials.size).toBe(7);
    for (const serial of serials) expect(serial).toMatch(/^[0-9a-f]{32}$/);
  });

  it('names the member in signing certificates and the subsystem in client certificates', () => {
    expect(printMemberId(memberOfCertificate(certs.signing))).toBe('DEMO/GOV/munich');
    expect(printClientId(clientOfCertificate(certs.client))).toBe('DEMO/GOV/munich/parking-permits');
    expect(printMemberId(memberOfCertificate(certs.client))).toBe('DEMO/GOV/munich');
    expect(() => memberOfCertificate(certs.operator)).toThrow(
      expect.objectContaining({ code: 'Pki.NoMemberIdentity' }),
    );
    expect(() => clientOfCertificate(certs.signing)).toThrow(
      expect.objectContaining({ code: 'Pki.NoMemberIdentity' }),
    );
  });

  it('fingerprints the DER with SHA-256, lowercase hex', () => {
    const node = new NodeX509(Buffer.from(certs.auth.rawData));
    expect(certificateFingerprint(certs.auth)).toBe(node.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(certificateFingerprint(node)).toBe(certificateFingerprint(certs.auth));
  });
});

describe('CSR checks', () => {
  it('refuses garbage, a tampered CSR and names the profile does not allow', async () => {
    const keys = await generateKeyPair();
    const good = await createCsr({
      keys,
      subject: 'CN=DEMO/GOV/munich, O=DEMO/GOV/munich',
      profile: 'signing',
      member: munich,
    });
    expect((await readCsr(good)).subject).toBe('CN=DEMO/GOV/munich, O=DEMO/GOV/munich');

    const der = Buffer.from(good.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const at = der.indexOf(Buffer.from('munich'));
    der[at] = 'M'.charCodeAt(0);
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const cases: [string, CertificateProfile][] = [
      ['not a csr', 'signing'],
      ['-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----', 'signing'],
      [tampered, 'signing'],
      [toPem(certs.auth), 'auth'],
      [good, 'auth'],
      [good, 'client'],
      [good, 'operator'],
      [await createCsr({ keys, subject: 'CN=x', profile: 'signing' }), 'signing'],
      [await createCsr({ keys, subject: 'O=no common name', profile: 'directory' }), 'directory'],
    ];
    for (const [csrPem, profile] of cases) {
      expect(await refusal(issueCertificate({ ca: issuing, csrPem, profile }))).toBe('Pki.InvalidCsr');
    }
  });

  it('explains what is wrong', async () => {
    const keys = await generateKeyPair();
    const csrPem = await createCsr({ keys, subject: 'CN=gw', profile: 'auth' });
    await expect(issueCertificate({ ca: issuing, csrPem, profile: 'auth' })).rejects.toThrow(
      'A auth certificate needs at least one DNS name or IP address',
    );
  });

  it('never fails with anything but Pki.InvalidCsr on arbitrary input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.string({ unit: 'binary' }), async (a, b) => {
        const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(a + b).toString('base64')}\n-----END CERTIFICATE REQUEST-----`;
        for (const input of [a, pem]) expect(await refusal(readCsr(input))).toBe('Pki.InvalidCsr');
      }),
      { numRuns: 100 },
    );
  });
});

describe('chain validation', () => {
  it('returns the chain leaf to anchor for the right usage', async () => {
    const chain = await validateChain({ certificate: certs.signing, ...trust(), usage: 'signing' });
    expect(chain.map((c) => c.subject)).toEqual([
      certs.signing.subject,
      'CN=DEMO Issuing CA, O=DEMO',
      'CN=DEMO Root CA, O=DEMO',
    ]);
  });

  it('refuses a certificate used for another purpose', async () => {
    const mismatches: [CertificateProfile, CertificateProfile][] = [
      ['auth', 'signing'],
      ['signing', 'auth'],
      ['auditor', 'operator'],
      ['operator', 'client'],
      ['client', 'auditor'],
      ['signing', 'directory'],
      // Only the witness's own certificate cosigns checkpoints: no member or registry key passes.
      ['signing', 'witness'],
      ['directory', 'witness'],
      ['auth', 'witness'],
      ['witness', 'signing'],
      ['witness', 'directory'],
    ];
    for (const [have, want] of mismatches) {
      expect(await refusal(validateChain({ certificate: certs[have], ...trust(), usage: want }))).toBe(
        'Pki.WrongUsage',
      );
    }
    expect(
      await refusal(validateChain({ certificate: issuing.certificate, ...trust(), usage: 'auth' })),
    ).toBe('Pki.WrongUsage');
  });

  it('refuses a certificate from a foreign CA, even with the same names', async () => {
    const foreignRoot = await createRootCa({ name: 'CN=DEMO Root CA, O=DEMO' });
    const foreignIssuing = await createIssuingCa({ root: foreignRoot, name: 'CN=DEMO Issuing CA, O=DEMO' });
    const keys = await generateKeyPair();
    const csrPem = await createCsr({
      keys,
      subject: 'CN=DEMO/GOV/munich',
      profile: 'signing',
      member: munich,
    });
    const forged = await issueCertificate({ ca: foreignIssuing, csrPem, profile: 'signing' });
    expect(await refusal(validateChain({ certificate: forged, ...trust(), usage: 'signing' }))).toBe(
      'Pki.UntrustedChain',
    );
    expect(
      await refusal(
        validateChain({
          certificate: forged,
          anchors: [root.certificate],
          intermediates: [foreignIssuing.certificate],
        }),
      ),
    ).toBe('Pki.UntrustedChain');
  });

  it('refuses an expired or not yet valid certificate', async () => {
    const old = await issue('signing', { member: munich }, new Date(Date.now() - 10 * 86_400_000));
    expect(await refusal(validateChain({ certificate: old, ...trust(), usage: 'signing' }))).toBe(
      'Pki.Expired',
    );
    const at = new Date(Date.now() - 86_400_000);
    expect(await refusal(validateChain({ certificate: certs.signing, ...trust(), at }))).toBe('Pki.Expired');
  });

  it('refuses a revoked certificate listed in a CRL or by serial', async () => {
    const victim = await issue('signing', { member: munich });
    const crlPem = await createCrl({
      ca: issuing,
      revoked: [{ serialNumber: serialHex(victim), revokedAt: new Date(), reason: 'keyCompromise' }],
    });
    expect(crlPem.startsWith('-----BEGIN X509 CRL-----')).toBe(true);
    const crlPath = write('issuing.crl.pem', crlPem);
    write('chain.pem', toPem(root.certificate) + toPem(issuing.certificate));
    expect(openssl(['crl', '-in', crlPath, '-CAfile', join(dir, 'chain.pem'), '-noout']).stderr).toContain(
      'verify OK',
    );
    const text = execFileSync('openssl', ['crl', '-in', crlPath, '-text', '-noout'], { encoding: 'utf8' });
    expect(text).toContain(serialHex(victim).toUpperCase());
    expect(text).toContain('Key Compromise');
    const victimPath = write('victim.pem', toPem(victim));
    const verify = openssl([
      'verify',
      '-crl_check',
      '-CRLfile',
      crlPath,
      '-CAfile',
      join(dir, 'root.pem'),
      '-untrusted',
      join(dir, 'issuing.pem'),
      victimPath,
    ]);
    expect(verify.stdout + verify.stderr).toContain('certificate revoked');

    expect(parseCrl(crlPem).entries.map((e) => e.serialNumber.toLowerCase())).toContain(serialHex(victim));
    expect(await refusal(validateChain({ certificate: victim, ...trust(), crls: [crlPem] }))).toBe(
      'Pki.Revoked',
    );
    expect(await validateChain({ certificate: certs.signing, ...trust(), crls: [crlPem] })).toHaveLength(3);
    const bySerial = [{ issuer: issuing.certificate.subject, serialNumber: serialHex(victim).toUpperCase() }];
    expect(await refusal(validateChain({ certificate: victim, ...trust(), revokedSerials: bySerial }))).toBe(
      'Pki.Revoked',
    );
    const byFingerprint = [
      { issuer: certificateFingerprint(issuing.certificate), serialNumber: serialHex(victim) },
    ];
    expect(
      await refusal(validateChain({ certificate: victim, ...trust(), revokedSerials: byFingerprint })),
    ).toBe('Pki.Revoked');
  });

  it('refuses a CRL that its CA did not sign', async () => {
    const other = await createRootCa({ name: 'CN=DEMO Issuing CA, O=DEMO' });
    const crlPem = await createCrl({ ca: other, revoked: [] });
    expect(await refusal(validateChain({ certificate: certs.auth, ...trust(), crls: [crlPem] }))).toBe(
      'Pki.InvalidCrl',
    );
    expect(() => parseCrl(toPem(certs.auth))).toThrow(expect.objectContaining({ code: 'Pki.InvalidCrl' }));
  });
});

describe('chain verifier', () => {
  it('answers synchronously for every certificate form and names the member', () => {
    const verifier = createChainVerifier(trust());
    const node = new NodeX509(Buffer.from(certs.signing.rawData));
    for (const input of [certs.signing, node, node.raw]) {
      const result = verifier.verify(input, { usage: 'signing' });
      expect(printMemberId(result.member!)).toBe('DEMO/GOV/munich');
      expect(result.fingerprint).toBe(certificateFingerprint(certs.signing));
    }
    expect(printClientId(verifier.verify(certs.client, { usage: 'client' }).client!)).toBe(
      'DEMO/GOV/munich/parking-permits',
    );
  });

  it('still refuses from its cache: wrong usage, later expiry, garbage', () => {
    const verifier = createChainVerifier(trust());
    verifier.verify(certs.auth, { usage: 'auth' });
    expect(() => verifier.verify(certs.auth, { usage: 'signing' })).toThrow(
      expect.objectContaining({ code: 'Pki.WrongUsage' }),
    );
    const later = new Date(certs.auth.notAfter.getTime() + 1000);
    expect(() => verifier.verify(certs.auth, { usage: 'auth', at: later })).toThrow(
      expect.objectContaining({ code: 'Pki.Expired' }),
    );
    expect(() => verifier.verify(new Uint8Array([48, 3, 1, 1, 0]), { usage: 'auth' })).toThrow(
      expect.objectContaining({ code: 'Pki.InvalidCertificate' }),
    );
  });
});

describe('keys', () => {
  it('round-trips PEM keys and signs fast with node:crypto key objects', async () => {
    const keys = await generateKeyPair();
    const pem = await exportPrivateKeyPem(keys.privateKey);
    expect(pem.split('\n')[0]).toBe(['-----BEGIN', 'PRIVATE', 'KEY-----'].join(' '));
    const imported = await importPrivateKeyPem(pem);
    expect(imported.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    const csrPem = await createCsr({
      keys,
      subject: 'CN=DEMO/GOV/munich',
      profile: 'signing',
      member: munich,
    });
    const cert = await issueCertificate({ ca: issuing, csrPem, profile: 'signing' });
    const signature = createSign('sha256').update('hello').sign(privateKeyObject(pem));
    expect(createVerify('sha256').update('hello').verify(publicKeyObject(cert), signature)).toBe(true);
    expect(
      createVerify('sha256')
        .update('hello!')
        .verify(publicKeyObject(toPem(cert)), signature),
    ).toBe(false);
  });

  it('refuses unreadable and non-P-256 keys', async () => {
    expect(await refusal(importPrivateKeyPem('nope'))).toBe('Pki.InvalidKey');
    const rsa = execFileSync(
      'openssl',
      ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    expect(() => privateKeyObject(rsa)).toThrow(expect.objectContaining({ code: 'Pki.InvalidKey' }));
  });
});

describe('parsing', () => {
  it('reads PEM certificates and refuses anything else with Pki.InvalidCertificate', () => {
    expect(parseCertificatePem(toPem(certs.auth)).subject).toBe(certs.auth.subject);
    fc.assert(
      fc.property(fc.string(), (text) => {
        const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(text).toString('base64')}\n-----END CERTIFICATE-----`;
        for (const input of [text, pem]) {
          expect(() => parseCertificatePem(input)).toThrow(EinmalError);
        }
      }),
    );
  });
});
