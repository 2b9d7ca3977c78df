import type { X509Certificate } from '@peculiar/x509';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { CertificateAuthority, ChainVerifier } from '../certs/index.ts';
import { isDatabaseReachable, isDatabaseWritable } from '../core/database/index.ts';
import type { Clock, Logger } from '../core/index.ts';
import type { OpsAppOptions, ReadinessChecks } from '../core/ops/index.ts';
import type { DirectorySigner } from '../protocol/index.ts';
import { createAdminApp } from './admin-app.ts';
import type { RegistryConfig } from './config.ts';
import { listRevocations, type RegistryDb } from './db/index.ts';
import { buildDirectory } from './directory-builder.ts';
import { createDirectoryPublisher, type DirectoryPublisher } from './directory-publisher.ts';
import { createRegistryMetrics } from './metrics.ts';
import type { AdminEnv } from './operator-auth.ts';
import { createPublicApp } from './public-app.ts';
import { createRegistrationRoutes } from './registration.ts';
import { createWitnessRoutes, type WitnessSigner } from './witness.ts';

export interface RegistryAppDeps {
  readonly db: Kysely<RegistryDb>;
  readonly log: Logger;
  readonly clock: Clock;
  readonly signer: DirectorySigner;
  readonly config: Pick<
    RegistryConfig,
    | 'REGISTRY_INSTANCE'
    | 'REGISTRY_DIRECTORY_TTL'
    | 'REGISTRY_WITNESS_URL'
    | 'REGISTRY_ADMIN_TOKEN'
    | 'REGISTRY_DEV_MODE'
  >;
  /** Checks operator client certificates against the federation's CAs. */
  readonly operatorVerifier?: ChainVerifier | undefined;
  /**
   * Gateway registration (docs/protocol.md §10): the issuing CA that certifies approved gateways and the
   * anchor members' signing certificates chain to. Without it, registration routes are not served.
   */
  readonly registration?:
    | {
        readonly ca: CertificateAuthority;
        readonly anchor: X509Certificate;
        readonly intermediates?: readonly X509Certificate[];
      }
    | undefined;
  /**
   * The checkpoint witness (docs/protocol.md §11.3), served under `/witness` when given: the
   * configuration anchor gateways' checkpoint signers chain to, and the witness's own key and
   * certificate (profile `witness`) it cosigns with.
   */
  readonly witness?: { readonly anchor: X509Certificate; readonly signer: WitnessSigner } | undefined;
  /** The metric registry the registry's metrics join (default: one of its own). */
  readonly metrics?: Registry | undefined;
}

/** The registry's two apps and the directory they serve. */
export interface RegistryApps {
  readonly publicApp: Hono;
  readonly adminApp: Hono<AdminEnv>;
  readonly publisher: DirectoryPublisher;
  /** The registry's metrics and what its `/readyz` checks (served by the operations listener). */
  readonly ops: OpsAppOptions;
}

/**
 * Builds the registry (docs/architecture.md §1) from its dependencies, without I/O of its own: the public
 * app (signed directory, registration, witness), the admin app (operator CRUD) and what the
 * operations listener serves (metrics, readiness). Call
 * `publisher.publish()` once before serving, and periodically (see `server.ts`).
 *
 * @example
 * const { publicApp, adminApp, publisher } = createRegistryApps({ db, log, clock, signer, config });
 * await publisher.publish();
 */
export function createRegistryApps(deps: RegistryAppDeps): RegistryApps {
  const settings = {
    instance: deps.config.REGISTRY_INSTANCE,
    ttlSeconds: deps.config.REGISTRY_DIRECTORY_TTL,
    witnessUrl: deps.config.REGISTRY_WITNESS_URL,
  };
  const publisher = createDirectoryPublisher({
    db: deps.db,
    signer: deps.signer,
    clock: deps.clock,
    log: deps.log,
    settings,
  });
  const metrics = createRegistryMetrics({ publisher, clock: deps.clock, registry: deps.metrics });
  const signingCertificates = [deps.signer.chain[0], deps.witness?.signer.chain[0]].flatMap((c) =>
    c ? [c] : [],
  );
  const checks: ReadinessChecks = {
    directory: () => (publisher.current()?.expiresAt.getTime() ?? 0) > deps.clock(),
    database: () => isDatabaseReachable(deps.db),
    keys: () => signingCertificates.every((certificate) => certificate.notAfter.getTime() > deps.clock()),
    log: () => isDatabaseWritable(deps.db),
  };
  const registration = deps.registration
    ? createRegistrationRoutes({
        ...deps.registration,
        db: deps.db,
        clock: deps.clock,
        log: deps.log,
        revokedSerials: (db) => listRevocations(db),
        checkDirectory: (trx) => buildDirectory(trx, settings, new Date(deps.clock())),
        publish: () => publisher.publish(),
      })
    : undefined;
  const publicRoutes = new Hono();
  if (registration) publicRoutes.route('/', registration.publicRoutes);
  if (deps.witness) {
    publicRoutes.route(
      '/witness',
      createWitnessRoutes({ ...deps.witness, db: deps.db, clock: deps.clock, log: deps.log }),
    );
  }
  const publicApp = createPublicApp({
    db: deps.db,
    log: deps.log,
    clock: deps.clock,
    publisher,
    metrics,
    routes: publicRoutes,
  });
  const adminApp = createAdminApp({
    db: deps.db,
    log: deps.log,
    clock: deps.clock,
    publisher,
    settings,
    metrics,
    auth: {
      verifier: deps.operatorVerifier,
      devToken: deps.config.REGISTRY_DEV_MODE ? deps.config.REGISTRY_ADMIN_TOKEN : undefined,
      clock: deps.clock,
    },
    routes: registration?.adminRoutes,
  });
  return { publicApp, adminApp, publisher, ops: { metrics: metrics.registry, checks } };
}
