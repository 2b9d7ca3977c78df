import type { Command, CommandGroup, CommandInput } from '../cli/command.ts';
import { requireOption } from '../cli/command.ts';
import { EinmalError } from '../core/errors/index.ts';
import { parseMemberId, parseSubsystemId, printClientId, printMemberId } from '../schemas/index.ts';
import { createRootCa } from './authority.ts';
import { createCaStore, importCaStore, openCaStore } from './ca-store.ts';
import {
  certificateFingerprint,
  parseCertificateBundle,
  parseCertificatePem,
  serialHex,
  toPem,
} from './certificate.ts';
import { validateChain } from './chain-verifier.ts';
import { readInputFile, writeOutputFile } from './cli-files.ts';
import type { RevocationReason } from './crl.ts';
import { createCsr } from './csr.ts';
import { clientOfCertificate, memberOfCertificate } from './identity.ts';
import { derivePublicKey, exportPrivateKeyPem, generateKeyPair, importPrivateKeyPem } from './keys.ts';
import {
  allowsProfile,
  CERTIFICATE_PROFILES,
  type CertificateProfile,
  readCertificateUsage,
} from './profiles.ts';
import { x509 } from './x509.ts';

const usage = (message: string) => new EinmalError('Cli.Usage', { message });

function profileOption(input: CommandInput, name = 'profile'): CertificateProfile {
  const value = requireOption(input, name);
  if (!(CERTIFICATE_PROFILES as readonly string[]).includes(value)) {
    throw usage(`--${name} must be one of ${CERTIFICATE_PROFILES.join(', ')}`);
  }
  return value as CertificateProfile;
}

function daysOption(input: CommandInput): number | undefined {
  const value = input.options.days;
  if (value === undefined) return undefined;
  const days = Number(value);
  if (!Number.isInteger(days) || days < 1 || days > 36_500)
    throw usage('--days must be a whole number of days');
  return days;
}

function stringList(input: CommandInput, name: string): string[] {
  const value = input.options[name];
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.filter((v): v is string => typeof v === 'string').flatMap((v) => v.split(','));
}

/** Writes to `--out` when given, else prints. */
async function emit(input: CommandInput, content: string, mode?: number): Promise<void> {
  const out = input.options.out;
  if (typeof out === 'string') {
    await writeOutputFile(out, content, { force: input.options.force === true, ...(mode ? { mode } : {}) });
    input.print(`Wrote ${out}`);
  } else {
    input.print(content.trimEnd());
  }
}

const force = { type: 'boolean', description: 'Replace existing files' } as const;
const out = {
  type: 'string',
  description: 'Write to FILE instead of printing',
  placeholder: 'FILE',
} as const;
const days = { type: 'string', description: 'Validity in days', placeholder: 'N' } as const;
const caDir = { type: 'string', description: 'CA store folder', placeholder: 'DIR' } as const;
const profile = {
  type: 'string',
  description: `One of ${CERTIFICATE_PROFILES.join(', ')}`,
  placeholder: 'PROFILE',
} as const;

const initRoot: Command = {
  name: 'init-root',
  summary: 'Create a root CA (the configuration anchor) in a CA store folder',
  options: {
    dir: caDir,
    name: {
      type: 'string',
      description: 'Distinguished name, e.g. "CN=DEMO Root CA, O=DEMO"',
      placeholder: 'DN',
    },
    days,
    force,
  },
  async run(input) {
    const dir = requireOption(input, 'dir');
    const validityDays = daysOption(input);
    const root = await createRootCa({
      name: requireOption(input, 'name'),
      ...(validityDays ? { validityDays } : {}),
    });
    await createCaStore(dir, root, { force: input.options.force === true });
    input.print(`Root CA ${root.certificate.subject} in ${dir} (serial ${serialHex(root.certificate)})`);
    return 0;
  },
};

const initIssuing: Command = {
  name: 'init-issuing',
  summary: 'Create an issuing CA certified by a root CA store',
  options: {
    dir: caDir,
    root: { type: 'string', description: 'The root CA store folder', placeholder: 'DIR' },
    name: { type: 'string', description: 'Distinguished name of the issuing CA', placeholder: 'DN' },
    days,
    force,
  },
  async run(input) {
    const dir = requireOption(input, 'dir');
    const root = await openCaStore(requireOption(input, 'root'));
    const validityDays = daysOption(input);
    const issuing = await root.createSubordinate({
      name: requireOption(input, 'name'),
      ...(validityDays ? { validityDays } : {}),
    });
    await createCaStore(dir, issuing, { force: input.options.force === true });
    input.print(
      `Issuing CA ${issuing.certificate.subject} in ${dir} (serial ${serialHex(issuing.certificate)})`,
    );
    return 0;
  },
};

const importCa: Command = {
  name: 'import-ca',
  summary: 'Make a CA store of an existing CA (certificate and P-256 key), e.g. to issue from an agency CA',
  options: {
    dir: caDir,
    cert: { type: 'string', description: 'The CA certificate (PEM)', placeholder: 'FILE' },
    key: { type: 'string', description: 'Its private key (PKCS #8 PEM, ECDSA P-256)', placeholder: 'FILE' },
    force,
  },
  async run(input) {
    const dir = requireOption(input, 'dir');
    const store = await importCaStore(
      dir,
      {
        certPem: await readInputFile(requireOption(input, 'cert')),
        keyPem: await readInputFile(requireOption(input, 'key')),
      },
      { force: input.options.force === true },
    );
    const { certificate } = store.authority;
    input.print(`CA ${certificate.subject} in ${dir} (serial ${serialHex(certificate)})`);
    return 0;
  },
};

const keygen: Command = {
  name: 'keygen',
  summary: 'Generate an ECDSA P-256 private key (PKCS #8 PEM, mode 0600)',
  options: { out: { ...out, description: 'Key file to write' }, force },
  async run(input) {
    const path = requireOption(input, 'out');
    const keys = await generateKeyPair();
    await writeOutputFile(path, await exportPrivateKeyPem(keys.privateKey), {
      mode: 0o600,
      force: input.options.force === true,
    });
    input.print(`Wrote ${path}`);
    return 0;
  },
};

const csr: Command = {
  name: 'csr',
  summary: 'Create a certificate signing request for a private key',
  options: {
    key: { type: 'string', description: 'Private key file (PEM)', placeholder: 'FILE' },
    subject: {
      type: 'string',
      description: 'Subject DN, e.g. "CN=DEMO/GOV/munich/gw1, O=DEMO/GOV/munich"',
      placeholder: 'DN',
    },
    profile,
    host: {
      type: 'string',
      multiple: true,
      description: 'DNS name or IP (auth; repeatable)',
      placeholder: 'HOST',
    },
    member: { type: 'string', description: 'Member id for signing certificates', placeholder: 'ID' },
    client: { type: 'string', description: 'Subsystem id for client certificates', placeholder: 'ID' },
    out,
    force,
  },
  async run(input) {
    const privateKey = await importPrivateKeyPem(await readInputFile(requireOption(input, 'key')));
    const publicKey = await derivePublicKey(privateKey);
    const member = input.options.member;
    const client = input.options.client;
    const pem = await createCsr({
      keys: { privateKey, publicKey },
      subject: requireOption(input, 'subject'),
      profile: profileOption(input),
      host: stringList(input, 'host'),
      ...(typeof member === 'string' ? { member: parseMemberId(member) } : {}),
      ...(typeof client === 'string' ? { client: parseSubsystemId(client) } : {}),
    });
    await emit(input, pem);
    return 0;
  },
};

const sign: Command = {
  name: 'sign',
  summary: 'Issue a certificate for a CSR from a CA store',
  options: {
    ca: caDir,
    csr: { type: 'string', description: 'CSR file (PEM)', placeholder: 'FILE' },
    profile,
    days,
    out,
    force,
  },
  async run(input) {
    const store = await openCaStore(requireOption(input, 'ca'));
    const validityDays = daysOption(input);
    const certificate = await store.issue({
      csrPem: await readInputFile(requireOption(input, 'csr')),
      profile: profileOption(input),
      ...(validityDays ? { validityDays } : {}),
    });
    await emit(input, toPem(certificate));
    input.print(`Serial ${serialHex(certificate)}`);
    return 0;
  },
};

const REASONS = Object.keys(x509.X509CrlReason).filter((k) => Number.isNaN(Number(k)));

const revoke: Command = {
  name: 'revoke',
  summary: 'Revoke a certificate issued by a CA store (then publish a new CRL)',
  options: {
    ca: caDir,
    serial: { type: 'string', description: 'Serial number (hex)', placeholder: 'HEX' },
    cert: { type: 'string', description: 'Or: the certificate file to revoke', placeholder: 'FILE' },
    reason: { type: 'string', description: `One of ${REASONS.join(', ')}`, placeholder: 'REASON' },
  },
  async run(input) {
    const store = await openCaStore(requireOption(input, 'ca'));
    const { serial, cert, reason } = input.options;
    if ((typeof serial === 'string') === (typeof cert === 'string'))
      throw usage('Give exactly one of --serial or --cert');
    if (reason !== undefined && !REASONS.includes(String(reason)))
      throw usage(`--reason must be one of ${REASONS.join(', ')}`);
    const serialNumber =
      typeof serial === 'string' ? serial : serialHex(parseCertificatePem(await readInputFile(String(cert))));
    const entry = await store.revoke(serialNumber, reason ? { reason: reason as RevocationReason } : {});
    input.print(`Revoked ${entry.serialNumber} (${entry.subject}) at ${entry.revokedAt}`);
    return 0;
  },
};

const crl: Command = {
  name: 'crl',
  summary: 'Write the current CRL of a CA store',
  options: {
    ca: caDir,
    days: { ...days, description: 'Days until nextUpdate (default 7)' },
    out,
    force,
  },
  async run(input) {
    const store = await openCaStore(requireOption(input, 'ca'));
    const validityDays = daysOption(input) ?? 7;
    const thisUpdate = new Date();
    const pem = await store.crl({
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + validityDays * 86_400_000),
    });
    await emit(input, pem);
    return 0;
  },
};

const verify: Command = {
  name: 'verify',
  summary: 'Check a certificate: chain to the anchor, validity, revocation, usage; prints OK or the refusal',
  options: {
    cert: { type: 'string', description: 'Certificate file (PEM)', placeholder: 'FILE' },
    anchor: { type: 'string', description: 'Trust anchor (root CA) file', placeholder: 'FILE' },
    chain: {
      type: 'string',
      multiple: true,
      description: 'Intermediate CA certificates (repeatable)',
      placeholder: 'FILE',
    },
    crl: { type: 'string', multiple: true, description: 'CRL file (repeatable)', placeholder: 'FILE' },
    usage: { ...profile, description: `Required usage: ${CERTIFICATE_PROFILES.join(', ')}` },
    at: { type: 'string', description: 'Check validity at this ISO 8601 time', placeholder: 'TIME' },
  },
  async run(input) {
    const at = typeof input.options.at === 'string' ? new Date(input.options.at) : undefined;
    if (at && Number.isNaN(at.getTime())) throw usage('--at must be an ISO 8601 time');
    const intermediates = [];
    for (const path of stringList(input, 'chain'))
      intermediates.push(...parseCertificateBundle(await readInputFile(path)));
    const crls = await Promise.all(stringList(input, 'crl').map(readInputFile));
    await validateChain({
      certificate: parseCertificatePem(await readInputFile(requireOption(input, 'cert'))),
      anchors: parseCertificateBundle(await readInputFile(requireOption(input, 'anchor'))),
      intermediates,
      crls,
      ...(input.options.usage !== undefined ? { usage: profileOption(input, 'usage') } : {}),
      ...(at ? { at } : {}),
    });
    input.print('OK');
    return 0;
  },
};

const whois: Command = {
  name: 'whois',
  summary: 'Show whom a certificate names: member, client, fingerprint, serial, validity',
  args: 'FILE',
  async run(input) {
    const path = input.positionals[0];
    if (!path) throw usage('FILE is required');
    const certificate = parseCertificatePem(await readInputFile(path));
    const lines: [string, string][] = [
      ['subject', certificate.subject],
      ['issuer', certificate.issuer],
      ['serial', serialHex(certificate)],
      ['sha256', certificateFingerprint(certificate)],
      ['notBefore', certificate.notBefore.toISOString()],
      ['notAfter', certificate.notAfter.toISOString()],
      [
        'profile',
        CERTIFICATE_PROFILES.filter((p) => allowsProfile(readCertificateUsage(certificate), p)).join(', ') ||
          '-',
      ],
    ];
    try {
      lines.push(['member', printMemberId(memberOfCertificate(certificate))]);
    } catch {
      lines.push(['member', '-']);
    }
    try {
      lines.push(['client', printClientId(clientOfCertificate(certificate))]);
    } catch {}
    for (const [label, value] of lines) input.print(`${`${label}:`.padEnd(11)}${value}`);
    return 0;
  },
};

/** `einmal pki ...`: run a small CA, issue, revoke and check certificates. */
export const pkiCommands: CommandGroup = {
  name: 'pki',
  summary: 'Certificate authority: keys, CSRs, certificates, revocation, CRLs, checks',
  commands: [initRoot, initIssuing, importCa, keygen, csr, sign, revoke, crl, verify, whois],
};
