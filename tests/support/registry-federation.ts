import type { Kysely } from 'kysely';
import {
  createChainVerifier,
  createCsr,
  createIssuingCa,
  createRootCa,
  exportPrivateKeyPem,
  generateKeyPair,
  issueCertificate,
  parseCertificateBundle,
  privateKeyObject,
  toPem,
} from '../../certs/index.ts';
import { migrateToLatest } from '../../core/database/index.ts';
import { silentLogger } from '../../core/index.ts';
import { createRegistryApps } from '../../registry/app.ts';
import { type RegistryDb, registryMigrations } from '../../registry/db/index.ts';
import type { RegistryCredentials } from '../../registry/index.ts';
import { listenRegistry, type RegistryListeners } from '../../registry/server.ts';

/** One issued end-entity credential, as PEM. */
export interface TestCredential {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A freshly generated federation PKI for registry tests: nothing is read from disk. */
export interface TestFederation {
  readonly rootPem: string;
  readonly issuingPem: string;
  readonly credentials: RegistryCredentials;
  /** An operator's TLS client certificate. */
  readonly operator: TestCredential;
  /** A gateway's TLS certificate: trusted CA, but not an operator. */
  readonly gateway: TestCredential;
  /** The witness's key and certificate (profile `witness`), with the issuing CA appended. */
  readonly witness: TestCredential;
}

/**
 * Generates root and issuing CA, the registry's TLS, directory-signing and witness credentials, an
 * operator certificate and a gateway authentication certificate, all with the project's own PKI code.
 *
 * @example
 * const federation = await createTestFederation();
 */
export async function createTestFederation(): Promise<TestFederation> {
  const root = await createRootCa({ name: 'CN=TEST Root CA, O=TEST' });
  const issuing = await createIssuingCa({ root, name: 'CN=TEST Issuing CA, O=TEST' });
  const issue = async (
    subject: string,
    profile: 'auth' | 'directory' | 'operator' | 'witness',
    host?: string[],
  ): Promise<TestCredential> => {
    const keys = await generateKeyPair();
    const csrPem = await createCsr({ keys, subject, profile, ...(host ? { host } : {}) });
    const cert = await issueCertificate({ ca: issuing, csrPem, profile });
    return { certPem: toPem(cert), keyPem: await exportPrivateKeyPem(keys.privateKey) };
  };
  const rootPem = toPem(root.certificate);
  const issuingPem = toPem(issuing.certificate);
  const tls = await issue('CN=registry, O=TEST', 'auth', ['127.0.0.1', 'localhost']);
  const directory = await issue('CN=TEST directory signer, O=TEST', 'directory');
  return {
    rootPem,
    issuingPem,
    credentials: {
      tlsCertPem: tls.certPem + issuingPem,
      tlsKeyPem: tls.keyPem,
      directoryCertPem: directory.certPem + issuingPem,
      directoryKeyPem: directory.keyPem,
      anchorPem: rootPem,
      adminCaPem: issuingPem + rootPem,
    },
    operator: await issue('CN=operator, O=TEST', 'operator'),
    gateway: await issue('CN=TEST/GOV/city/gw1, O=TEST', 'auth', ['127.0.0.1']),
    witness: await issue('CN=TEST registry witness, O=TEST', 'witness').then((w) => ({
      ...w,
      certPem: w.certPem + issuingPem,
    })),
  };
}

/**
 * A registry on a test database with the federation's credentials, its public and admin listeners
 * on free loopback ports, the directory published once.
 *
 * @example const listeners = await listenTestRegistry(database.db, federation);
 */
export async function listenTestRegistry(
  db: Kysely<any>,
  federation: TestFederation,
): Promise<RegistryListeners> {
  await migrateToLatest(db, registryMigrations);
  const { credentials } = federation;
  const apps = createRegistryApps({
    db: db.withSchema(registryMigrations.schema) as Kysely<RegistryDb>,
    log: silentLogger,
    clock: Date.now,
    signer: {
      privateKey: privateKeyObject(credentials.directoryKeyPem),
      chain: parseCertificateBundle(credentials.directoryCertPem),
    },
    config: {
      REGISTRY_INSTANCE: 'DEMO',
      REGISTRY_DIRECTORY_TTL: 600,
      REGISTRY_WITNESS_URL: undefined,
      REGISTRY_ADMIN_TOKEN: undefined,
      REGISTRY_DEV_MODE: false,
    },
    operatorVerifier: createChainVerifier({
      anchors: [credentials.anchorPem],
      intermediates: [credentials.adminCaPem],
    }),
  });
  await apps.publisher.publish();
  return listenRegistry({
    ...apps,
    credentials,
    host: '127.0.0.1',
    publicPort: 0,
    adminPort: 0,
    log: silentLogger,
    allowTokenClients: false,
  });
}
