import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Kysely } from 'kysely';
import {
  createChainVerifier,
  openCaStore,
  parseCertificateBundle,
  parseCertificatePem,
  privateKeyObject,
  validateChain,
  type x509,
} from '../certs/index.ts';
import { type Database, migrateToLatest, openDatabase } from '../core/database/index.ts';
import {
  answerParserRefusal,
  createLogger,
  EinmalError,
  isEinmalError,
  type Logger,
  loadConfig,
  systemClock,
} from '../core/index.ts';
import {
  createMetricsRegistry,
  observeCertificates,
  observeDatabasePool,
  startOpsListener,
} from '../core/ops/index.ts';
import type { DirectorySigner } from '../protocol/index.ts';
import { createRegistryApps } from './app.ts';
import { REGISTRY_CREDENTIAL_FILES, type RegistryConfig, registryConfigSchema } from './config.ts';
import { type RegistryDb, registryMigrations } from './db/index.ts';
import type { PublishedDirectory } from './directory-publisher.ts';
import type { WitnessSigner } from './witness.ts';

/** The PEM material the registry runs with. */
export interface RegistryCredentials {
  /** TLS certificate chain (leaf first) and key of both listeners. */
  readonly tlsCertPem: string;
  readonly tlsKeyPem: string;
  /** Directory-signing chain (signer first, then intermediates) and key. */
  readonly directoryCertPem: string;
  readonly directoryKeyPem: string;
  /**
   * The witness's certificate chain (signer first, profile `witness`) and key; without them the
   * registry serves no witness.
   */
  readonly witness?: { readonly certPem: string; readonly keyPem: string } | undefined;
  /** The configuration anchor (federation root). */
  readonly anchorPem: string;
  /** CAs whose operator certificates the admin listener accepts (issuing CA and root). */
  readonly adminCaPem: string;
  /** CA store folder of the issuing CA that certifies approved gateway registrations. */
  readonly issuingCaDir?: string | undefined;
}

/** Where the two listeners are reachable. */
export interface RegistryListeners {
  readonly publicPort: number;
  readonly adminPort: number;
  close(): Promise<void>;
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new EinmalError('Config.FileMissing', { message: `Cannot read the ${what} ${path}`, cause });
  }
}

/** Reads the credentials named by the configuration; every missing file variable is listed at once. */
export function readRegistryCredentials(config: RegistryConfig): RegistryCredentials {
  const missing = REGISTRY_CREDENTIAL_FILES.filter((key) => !config[key]);
  if (missing.length > 0) {
    const problems = missing.map((key) => `${key}: Required`);
    throw new EinmalError('Config.Invalid', {
      message: `Invalid configuration:\n  ${problems.join('\n  ')}`,
      detail: problems,
    });
  }
  return {
    tlsCertPem: readPem(config.REGISTRY_TLS_CERT!, 'TLS certificate'),
    tlsKeyPem: readPem(config.REGISTRY_TLS_KEY!, 'TLS key'),
    directoryCertPem: readPem(config.REGISTRY_DIRECTORY_CERT!, 'directory-signing certificate'),
    directoryKeyPem: readPem(config.REGISTRY_DIRECTORY_KEY!, 'directory-signing key'),
    witness:
      config.REGISTRY_WITNESS_CERT && config.REGISTRY_WITNESS_KEY
        ? {
            certPem: readPem(config.REGISTRY_WITNESS_CERT, 'witness certificate'),
            keyPem: readPem(config.REGISTRY_WITNESS_KEY, 'witness key'),
          }
        : undefined,
    anchorPem: readPem(config.REGISTRY_ANCHOR_CERT!, 'anchor certificate'),
    adminCaPem: readPem(config.REGISTRY_ADMIN_CA!, 'admin CA bundle'),
    issuingCaDir: config.REGISTRY_ISSUING_CA_DIR,
  };
}

const listen = (server: Server, port: number, host: string) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/**
 * Serves the public app over HTTPS (asking for, not requiring, a client certificate: the witness
 * admits checkpoints only from their gateway) and the admin app over mutual TLS: the admin listener asks for a
 * client certificate and, unless the development token is enabled, refuses a handshake without one
 * that chains to `adminCaPem`. The operator profile is then checked per request.
 *
 * @example
 * const listeners = await listenRegistry({ publicApp, adminApp, credentials, host: '127.0.0.1',
 *   publicPort: 4400, adminPort: 4401, allowTokenClients: false });
 */
export async function listenRegistry(options: {
  publicApp: Hono<any>;
  adminApp: Hono<any>;
  credentials: RegistryCredentials;
  host: string;
  publicPort: number;
  adminPort: number;
  /** Development token mode: let clients without a certificate reach the token check. */
  allowTokenClients: boolean;
  /** Where refusals of Node's own HTTP parser are logged. */
  log: Logger;
}): Promise<RegistryListeners> {
  const { credentials } = options;
  const tls = { cert: credentials.tlsCertPem, key: credentials.tlsKeyPem, minVersion: 'TLSv1.2' as const };
  // Anyone may read the directory and the witness; gateways present their authentication
  // certificate, which the witness matches against the gateway's registered fingerprints.
  const publicServer = createServer(
    { ...tls, requestCert: true, rejectUnauthorized: false },
    getRequestListener(options.publicApp.fetch),
  );
  const adminServer = createServer(
    {
      ...tls,
      ca: credentials.adminCaPem,
      requestCert: true,
      rejectUnauthorized: !options.allowTokenClients,
    },
    getRequestListener(options.adminApp.fetch),
  );
  for (const server of [publicServer, adminServer])
    server.on('clientError', answerParserRefusal(options.log));
  const publicPort = await listen(publicServer, options.publicPort, options.host);
  const adminPort = await listen(adminServer, options.adminPort, options.host);
  return {
    publicPort,
    adminPort,
    close: async () => {
      await Promise.all([closeServer(publicServer), closeServer(adminServer)]);
    },
  };
}

/**
 * Where gateways reach the witness when `REGISTRY_WITNESS_URL` is not set: this registry's own
 * public listener (`localhost` for a wildcard or loopback host, which the TLS certificate names).
 * No default for an ephemeral port, which is only known after listening.
 */
function defaultWitnessUrl(config: RegistryConfig): string | undefined {
  if (config.REGISTRY_PORT === 0) return undefined;
  const host = ['0.0.0.0', '::', '127.0.0.1', '::1'].includes(config.REGISTRY_HOST)
    ? 'localhost'
    : config.REGISTRY_HOST;
  return `https://${host.includes(':') ? `[${host}]` : host}:${config.REGISTRY_PORT}/witness`;
}

/**
 * The witness's key and chain, refused at start (`Config.Invalid`) unless the certificate chains to
 * the anchor and was issued for the `witness` profile: a cosignature by any other key would not
 * count with any verifier.
 */
async function loadWitnessSigner(
  files: { readonly certPem: string; readonly keyPem: string },
  anchorPem: string,
): Promise<WitnessSigner> {
  let chain: x509.X509Certificate[] = [];
  try {
    chain = parseCertificateBundle(files.certPem);
    await validateChain({
      certificate: chain[0]!,
      intermediates: chain.slice(1),
      anchors: [anchorPem],
      usage: 'witness',
    });
  } catch (cause) {
    throw new EinmalError('Config.Invalid', {
      message: `The witness certificate is not a witness certificate under the anchor (${isEinmalError(cause) ? cause.code : 'unreadable'})`,
      cause,
    });
  }
  return { privateKey: privateKeyObject(files.keyPem), chain };
}

/** A running registry. */
export interface RunningRegistry extends RegistryListeners {
  /** The operations listener's port (`/healthz`, `/readyz`, `/metrics`), when configured. */
  readonly opsPort: number | undefined;
  readonly log: Logger;
  /** The registry's tables (schema `registry`), e.g. for seeding. */
  readonly db: Kysely<RegistryDb>;
  /** Signs and serves a new directory now if the content changed (or the served one aged); the one served. */
  publish(): Promise<PublishedDirectory>;
}

/** What an embedding process (the local demo federation) may hand in instead of the defaults. */
export interface RegistryRuntimeOptions {
  /** The registry's keys and trust, instead of the files the configuration names. */
  readonly credentials?: RegistryCredentials | undefined;
  /** A database opened by the caller; it stays open when the registry closes. */
  readonly database?: Database | undefined;
  readonly log?: Logger | undefined;
}

/**
 * Starts the registry from environment variables: database, migrations, directory signing, both
 * listeners and the timers that re-sign the directory before it expires.
 *
 * @example
 * const registry = await startRegistry(process.env);
 */
export async function startRegistry(
  env: Record<string, string | undefined>,
  options: RegistryRuntimeOptions = {},
): Promise<RunningRegistry> {
  const config = loadConfig(registryConfigSchema, env);
  const log = options.log ?? createLogger({ name: 'registry', level: config.REGISTRY_LOG_LEVEL });
  const credentials = options.credentials ?? readRegistryCredentials(config);
  const database =
    options.database ?? (await openDatabase({ url: config.DATABASE_URL, dataDir: config.EINMAL_DATA_DIR }));
  await migrateToLatest(database.db, registryMigrations);
  const db = database.db.withSchema(registryMigrations.schema) as Kysely<RegistryDb>;

  const signer: DirectorySigner = {
    privateKey: privateKeyObject(credentials.directoryKeyPem),
    chain: parseCertificateBundle(credentials.directoryCertPem),
  };
  const operatorVerifier = createChainVerifier({
    anchors: [credentials.anchorPem],
    intermediates: [credentials.adminCaPem],
  });
  const issuingCa = credentials.issuingCaDir ? await openCaStore(credentials.issuingCaDir) : undefined;
  const anchor = parseCertificatePem(credentials.anchorPem);
  const witness = credentials.witness && {
    anchor,
    signer: await loadWitnessSigner(credentials.witness, credentials.anchorPem),
  };
  const witnessUrl = config.REGISTRY_WITNESS_URL ?? (witness ? defaultWitnessUrl(config) : undefined);
  const metrics = createMetricsRegistry();
  observeDatabasePool(metrics, database.poolUse);
  const ownCertificates = [
    { name: 'tls', notAfter: parseCertificateBundle(credentials.tlsCertPem)[0]!.notAfter },
    { name: 'directory', notAfter: signer.chain[0]!.notAfter },
    ...(witness ? [{ name: 'witness', notAfter: witness.signer.chain[0]!.notAfter }] : []),
  ];
  observeCertificates(metrics, () => ownCertificates, systemClock);
  const { publicApp, adminApp, publisher, ops } = createRegistryApps({
    db,
    log,
    clock: systemClock,
    signer,
    config: { ...config, REGISTRY_WITNESS_URL: witnessUrl },
    operatorVerifier,
    witness,
    registration: issuingCa && { ca: issuingCa.authority, anchor },
    metrics,
  });
  await publisher.publish();

  const timer = setInterval(() => {
    publisher.publish().catch((error) => log.error({ err: error }, 'directory publication failed'));
  }, config.REGISTRY_POLL_INTERVAL * 1000);
  timer.unref();

  const listeners = await listenRegistry({
    publicApp,
    adminApp,
    credentials,
    host: config.REGISTRY_HOST,
    publicPort: config.REGISTRY_PORT,
    adminPort: config.REGISTRY_ADMIN_PORT,
    allowTokenClients: Boolean(config.REGISTRY_DEV_MODE && config.REGISTRY_ADMIN_TOKEN),
    log,
  });
  const opsListener =
    config.REGISTRY_OPS_PORT === undefined
      ? undefined
      : await startOpsListener({ host: config.REGISTRY_OPS_HOST, port: config.REGISTRY_OPS_PORT }, ops, log);
  log.info(
    { host: config.REGISTRY_HOST, publicPort: listeners.publicPort, adminPort: listeners.adminPort },
    'registry listening',
  );
  return {
    ...listeners,
    opsPort: opsListener?.port,
    log,
    db,
    publish: () => publisher.publish(),
    close: async () => {
      clearInterval(timer);
      await Promise.all([listeners.close(), opsListener?.close()]);
      if (!options.database) await database.close();
    },
  };
}
