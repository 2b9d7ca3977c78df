import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import {
  certificateDer,
  memberOfCertificate,
  parseCertificateBundle,
  parseCertificatePem,
  privateKeyObject,
} from '../certs/index.ts';
import { type Database, migrateToLatest, openDatabase } from '../core/database/index.ts';
import { answerParserRefusal, type Logger, loadConfig, systemClock } from '../core/index.ts';
import { createMetricsRegistry, observeDatabasePool, startOpsListener } from '../core/ops/index.ts';
import { createDirectoryClient, createRegistryFetch } from '../protocol/index.ts';
import { parseGatewayId, printMemberId } from '../schemas/index.ts';
import { startLogHousekeeping } from './audit/retention.ts';
import type { GatewayConfig } from './config.ts';
import { gatewayConfigSchema } from './config.ts';
import { AUDIT_PARTITION_MONTHS_AHEAD, gatewayMigrations } from './db/migrations.ts';
import type { GatewayDb } from './db/tables.ts';
import { createGateway } from './gateway.ts';

export interface RunningGateway {
  /** Ports actually bound (useful when configured as 0). */
  readonly ports: {
    readonly peer: number;
    readonly client: number;
    readonly admin: number | undefined;
    /** The public listener (citizen, Data Tracker and auditor APIs), when configured. */
    readonly public: number | undefined;
    /** The operations listener (`/healthz`, `/readyz`, `/metrics`), when configured. */
    readonly ops: number | undefined;
  };
  /** Fetches the directory now instead of at the next poll (e.g. right after a revocation). */
  refreshDirectory(): Promise<void>;
  close(): Promise<void>;
}

/** Reads the gateway's configuration from the environment; every problem is listed at once. */
export const readGatewayConfig = (env: Record<string, string | undefined>): GatewayConfig =>
  loadConfig(gatewayConfigSchema, env);

/**
 * Starts a security gateway: opens and migrates its database, loads keys and the configuration
 * anchor, starts the directory client, and listens for peers (mutual TLS), information systems
 * (mutual TLS, or plain HTTP on loopback in development) and the operator (admin API).
 */
export async function startGateway(
  config: GatewayConfig,
  log: Logger,
  shared: { database?: Database } = {},
): Promise<RunningGateway> {
  const [tlsCert, tlsKey, signingCert, signingKey, caBundle, anchorPem] = await Promise.all(
    [
      config.GATEWAY_TLS_CERT,
      config.GATEWAY_TLS_KEY,
      config.GATEWAY_SIGNING_CERT,
      config.GATEWAY_SIGNING_KEY,
      config.GATEWAY_CA,
      config.GATEWAY_ANCHOR,
    ].map((file) => readFile(file, 'utf8')),
  );
  const gatewayId = parseGatewayId(config.GATEWAY_ID);
  const caCertificates = parseCertificateBundle(caBundle!);
  // The signing certificate first; CA certificates after it in the file come from GATEWAY_CA anyway.
  const signingCertificate = parseCertificateBundle(signingCert!)[0]!;
  const intermediates = caCertificates.filter((ca) => ca.subject !== ca.issuer);
  const signer = {
    member: printMemberId(memberOfCertificate(signingCertificate)),
    privateKey: privateKeyObject(signingKey!),
    x5c: [signingCertificate, ...intermediates].map((c) => Buffer.from(certificateDer(c)).toString('base64')),
  };

  // A database shared with other components (the demo runs everything on one embedded database)
  // stays open when the gateway closes.
  const database =
    shared.database ?? (await openDatabase({ url: config.DATABASE_URL, dataDir: config.EINMAL_DATA_DIR }));
  await migrateToLatest(database.db, { schema: config.GATEWAY_DB_SCHEMA, migrations: gatewayMigrations });
  // This month's and the coming months' audit partitions before any record; then daily, with the
  // retention period's prune.
  const housekeeping = startLogHousekeeping({
    db: database.db,
    schema: config.GATEWAY_DB_SCHEMA,
    retentionDays: config.GATEWAY_RETENTION_DAYS,
    monthsAhead: AUDIT_PARTITION_MONTHS_AHEAD,
    clock: systemClock,
    log: log.child({ component: 'housekeeping' }),
  });
  await housekeeping.ready;
  const db = database.db.withSchema(
    config.GATEWAY_DB_SCHEMA,
  ) as unknown as import('kysely').Kysely<GatewayDb>;

  const metrics = createMetricsRegistry();
  observeDatabasePool(metrics, database.poolUse);

  const registry = createRegistryFetch({ ca: caBundle!, client: { cert: tlsCert!, key: tlsKey! } });
  const directory = createDirectoryClient({
    url: config.GATEWAY_DIRECTORY_URL,
    anchor: parseCertificatePem(anchorPem!),
    cacheFile: config.GATEWAY_DIRECTORY_CACHE,
    fetch: registry.fetch,
    clock: systemClock,
    log: log.child({ component: 'directory' }),
  });
  await directory.start();

  const instance = gatewayId.instance;
  const gateway = createGateway({
    gatewayId: config.GATEWAY_ID,
    nodeId: config.GATEWAY_NODE_ID ?? config.GATEWAY_ID,
    db,
    log,
    clock: systemClock,
    directory,
    registryFetch: registry.fetch,
    anchorPem: anchorPem!,
    tls: { cert: tlsCert!, key: tlsKey!, ca: caBundle! },
    signers: [signer],
    adapters: config.GATEWAY_ADAPTERS,
    allowPlainHttpClients: config.GATEWAY_CLIENT_PLAIN_HTTP,
    adminToken: config.GATEWAY_ADMIN_TOKEN,
    maxBodyBytes: config.GATEWAY_MAX_BODY_BYTES,
    skewSeconds: config.GATEWAY_CLOCK_SKEW_SECONDS,
    eidAudience: `urn:einmal:${instance}`,
    metrics,
    certificates: [
      { name: 'tls', notAfter: parseCertificateBundle(tlsCert!)[0]!.notAfter },
      { name: 'signing', notAfter: signingCertificate.notAfter },
    ],
  });

  const tls = { cert: tlsCert!, key: tlsKey!, ca: caBundle!, requestCert: true };
  const peerServer = createHttpsServer({ ...tls, rejectUnauthorized: true }, listener(gateway.providerApp));
  const clientServer = config.GATEWAY_CLIENT_PLAIN_HTTP
    ? createHttpServer(listener(gateway.clientApp))
    : createHttpsServer({ ...tls, rejectUnauthorized: true }, listener(gateway.clientApp));
  const adminServer =
    config.GATEWAY_ADMIN_PORT === undefined ? undefined : createHttpServer(listener(gateway.adminApp));
  // Auditors present certificates here and citizens do not: the apps check them per request.
  const publicServer =
    config.GATEWAY_PUBLIC_PORT === undefined
      ? undefined
      : createHttpsServer({ ...tls, rejectUnauthorized: false }, getRequestListener(gateway.publicApp.fetch));
  for (const server of [peerServer, clientServer, adminServer, publicServer]) {
    if (!server) continue;
    server.keepAliveTimeout = 60_000;
    server.on('clientError', answerParserRefusal(log));
  }

  // Before any peer gets in: ids served before a crash or restart must still count as seen.
  const primed = await gateway.primeReplayGuard();
  log.info({ messageIds: primed }, 'replay guard primed from recent provider records');
  await listen(peerServer, config.GATEWAY_PEER_PORT, config.GATEWAY_PEER_HOST);
  await listen(clientServer, config.GATEWAY_CLIENT_PORT, config.GATEWAY_CLIENT_HOST);
  if (adminServer) await listen(adminServer, config.GATEWAY_ADMIN_PORT!, config.GATEWAY_ADMIN_HOST);
  if (publicServer) await listen(publicServer, config.GATEWAY_PUBLIC_PORT!, config.GATEWAY_PUBLIC_HOST);
  const ops =
    config.GATEWAY_OPS_PORT === undefined
      ? undefined
      : await startOpsListener(
          { host: config.GATEWAY_OPS_HOST, port: config.GATEWAY_OPS_PORT },
          gateway.ops,
          log,
        );
  log.info({ gateway: config.GATEWAY_ID }, 'gateway listening');

  return {
    ports: {
      peer: (peerServer.address() as AddressInfo).port,
      client: (clientServer.address() as AddressInfo).port,
      admin: adminServer ? (adminServer.address() as AddressInfo).port : undefined,
      public: publicServer ? (publicServer.address() as AddressInfo).port : undefined,
      ops: ops?.port,
    },
    refreshDirectory: () => directory.refresh(),
    async close() {
      await Promise.all(
        [peerServer, clientServer, adminServer, publicServer].map((s) => (s ? closeServer(s) : undefined)),
      );
      await ops?.close();
      directory.stop();
      await housekeeping.stop();
      await gateway.close();
      await registry.close();
      if (!shared.database) await database.close();
    },
  };
}

const listener = (app: Hono) => getRequestListener(app.fetch);

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
