import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { EinmalError } from '../core/errors/index.ts';
import { type CertificateAuthority, createIssuingCa } from './authority.ts';
import { normalizeSerial, parseCertificatePem, serialHex, toPem } from './certificate.ts';
import { createCrl, type RevocationReason } from './crl.ts';
import { issueCertificate } from './issue.ts';
import { type CryptoKey, exportPrivateKeyPem, importPrivateKeyPem } from './keys.ts';
import { CERTIFICATE_PROFILES, type CertificateProfile } from './profiles.ts';
import { x509 } from './x509.ts';

/** One certificate a CA store has issued. */
export interface CaStoreEntry {
  readonly serialNumber: string;
  readonly subject: string;
  /** `ca` for a subordinate CA this CA certified. */
  readonly profile: CertificateProfile | 'ca';
  readonly notAfter: string;
  readonly revokedAt?: string;
  readonly reason?: RevocationReason;
}

const REASONS = Object.keys(x509.X509CrlReason).filter((k) => Number.isNaN(Number(k))) as [
  RevocationReason,
  ...RevocationReason[],
];

const indexSchema = z.object({
  version: z.literal(1),
  issued: z.array(
    z.object({
      serialNumber: z.string().regex(/^[0-9a-f]{1,64}$/),
      subject: z.string().max(4096),
      profile: z.enum(['ca', ...CERTIFICATE_PROFILES] as ['ca', ...CertificateProfile[]]),
      notAfter: z.iso.datetime(),
      revokedAt: z.iso.datetime().optional(),
      reason: z.enum(REASONS).optional(),
    }),
  ),
});
type StoreIndex = z.infer<typeof indexSchema>;

/** A CA kept in a directory: `ca.pem`, `ca.key.pem` (mode 0600), `index.json` of issued serials. */
export interface CaStore {
  readonly dir: string;
  readonly authority: CertificateAuthority;
  /** Everything issued, oldest first, with revocations. */
  entries(): readonly CaStoreEntry[];
  /** Issues a certificate for a CSR and records it. */
  issue(options: {
    csrPem: string;
    profile: CertificateProfile;
    validityDays?: number;
    now?: Date;
  }): Promise<x509.X509Certificate>;
  /** Creates a subordinate (issuing) CA certified by this one and records it. */
  createSubordinate(options: {
    name: string;
    validityDays?: number;
    now?: Date;
  }): Promise<CertificateAuthority>;
  /** Marks an issued serial revoked (idempotent); an unknown serial is `Client.NotFound`. */
  revoke(serialNumber: string, options?: { reason?: RevocationReason; at?: Date }): Promise<CaStoreEntry>;
  /** The CA's current CRL (PEM) listing every revoked serial. */
  crl(options?: { thisUpdate?: Date; nextUpdate?: Date }): Promise<string>;
}

const CERT_FILE = 'ca.pem';
const KEY_FILE = 'ca.key.pem';
const INDEX_FILE = 'index.json';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content, { mode });
  await chmod(temporary, mode);
  await rename(temporary, path);
}

/**
 * Writes a new CA store for `authority` into `dir`; refuses (`Config.FileExists`) to overwrite an
 * existing one unless `force`.
 *
 * @example
 * const store = await createCaStore('pki/issuing-ca', await createIssuingCa({ root, name }));
 */
export async function createCaStore(
  dir: string,
  authority: CertificateAuthority,
  options: { force?: boolean } = {},
): Promise<CaStore> {
  if (!options.force && (await exists(join(dir, KEY_FILE)))) {
    throw new EinmalError('Config.FileExists', { message: `A CA store already exists in ${dir}` });
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeAtomically(join(dir, KEY_FILE), await exportPrivateKeyPem(authority.privateKey), 0o600);
  await writeAtomically(join(dir, CERT_FILE), toPem(authority.certificate), 0o644);
  const index: StoreIndex = { version: 1, issued: [] };
  await writeAtomically(join(dir, INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`, 0o644);
  return storeOf(dir, authority, index);
}

/**
 * Opens the CA store in `dir`; missing files are `Config.FileMissing`, damaged ones
 * `Config.Invalid`, and a key that does not match the certificate `Pki.InvalidKey`.
 */
export async function openCaStore(dir: string): Promise<CaStore> {
  const read = async (file: string) => {
    try {
      return await readFile(join(dir, file), 'utf8');
    } catch (cause) {
      throw new EinmalError('Config.FileMissing', {
        message: `No CA store in ${dir} (missing ${file})`,
        cause,
      });
    }
  };
  const certificate = parseCertificatePem(await read(CERT_FILE));
  const privateKey = await importPrivateKeyPem(await read(KEY_FILE));
  await requireMatchingKey(certificate, privateKey, `The CA key in ${dir} does not match its certificate`);
  let index: StoreIndex;
  try {
    index = indexSchema.parse(JSON.parse(await read(INDEX_FILE)));
  } catch (cause) {
    if (cause instanceof EinmalError) throw cause;
    throw new EinmalError('Config.Invalid', {
      message: `The CA index ${join(dir, INDEX_FILE)} is damaged`,
      cause,
    });
  }
  return storeOf(dir, { certificate, privateKey }, index);
}

async function requireMatchingKey(
  certificate: x509.X509Certificate,
  privateKey: CryptoKey,
  message: string,
): Promise<void> {
  const publicJwk = await crypto.subtle.exportKey('jwk', await certificate.publicKey.export());
  const privateJwk = await crypto.subtle.exportKey('jwk', privateKey);
  if (publicJwk.x !== privateJwk.x || publicJwk.y !== privateJwk.y) {
    throw new EinmalError('Pki.InvalidKey', { message });
  }
}

/**
 * Makes a CA store of an existing CA (its certificate and ECDSA P-256 key, e.g. an agency's
 * issuing CA made elsewhere): the certificate must be a CA certificate that may sign certificates,
 * and the key must be its key. The store starts with an empty index; certificates issued before
 * are not known to it.
 *
 * @example
 * await importCaStore('pki/issuing-ca', { certPem, keyPem });
 */
export async function importCaStore(
  dir: string,
  files: { readonly certPem: string; readonly keyPem: string },
  options: { force?: boolean } = {},
): Promise<CaStore> {
  const certificate = parseCertificatePem(files.certPem);
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  const usage = certificate.getExtension(x509.KeyUsagesExtension);
  if (!constraints?.ca || (usage && (usage.usages & x509.KeyUsageFlags.keyCertSign) === 0)) {
    throw new EinmalError('Pki.InvalidCertificate', {
      message: `${certificate.subject} is not a CA certificate that may sign certificates`,
    });
  }
  const privateKey = await importPrivateKeyPem(files.keyPem);
  await requireMatchingKey(certificate, privateKey, `The key is not the key of ${certificate.subject}`);
  return createCaStore(dir, { certificate, privateKey }, options);
}

function storeOf(dir: string, authority: CertificateAuthority, index: StoreIndex): CaStore {
  // Writes go one after another, each with the whole index, so concurrent issuing loses nothing;
  // changes made while a write waits to start share that write.
  let writing: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;
  const save = () => {
    queued ??= writing.then(() => {
      queued = undefined;
      return writeAtomically(join(dir, INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`, 0o644);
    });
    writing = queued;
    return queued;
  };
  const record = async (certificate: x509.X509Certificate, profile: CertificateProfile | 'ca') => {
    index.issued.push({
      serialNumber: serialHex(certificate),
      subject: certificate.subject,
      profile,
      notAfter: certificate.notAfter.toISOString(),
    });
    await save();
  };
  return {
    dir,
    authority,
    entries: () => index.issued.map((entry) => ({ ...entry })),
    async issue(options) {
      const certificate = await issueCertificate({ ca: authority, ...options });
      await record(certificate, options.profile);
      return certificate;
    },
    async createSubordinate(options) {
      const subordinate = await createIssuingCa({ root: authority, ...options });
      await record(subordinate.certificate, 'ca');
      return subordinate;
    },
    async revoke(serialNumber, options = {}) {
      const serial = normalizeSerial(serialNumber);
      const entry = index.issued.find((e) => e.serialNumber === serial);
      if (!entry) {
        throw new EinmalError('Client.NotFound', {
          message: `This CA issued no certificate with serial ${serial}`,
        });
      }
      if (!entry.revokedAt) {
        entry.revokedAt = (options.at ?? new Date()).toISOString();
        if (options.reason) entry.reason = options.reason;
        await save();
      }
      return { ...entry };
    },
    crl(options = {}) {
      const revoked = index.issued.flatMap((e) =>
        e.revokedAt
          ? [
              {
                serialNumber: e.serialNumber,
                revokedAt: new Date(e.revokedAt),
                ...(e.reason ? { reason: e.reason } : {}),
              },
            ]
          : [],
      );
      return createCrl({ ca: authority, revoked, ...options });
    },
  };
}
