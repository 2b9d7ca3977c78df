import type { Hono } from 'hono';
import type { Kysely } from 'kysely';
import type { ChainVerifier } from '../certs/index.ts';
import type { Logger } from '../core/index.ts';
import { createAdminApp } from './admin-app.ts';
import type { RegistryConfig } from './config.ts';
import type { RegistryDb } from './db/index.ts';
import type { DirectorySigner } from './directory-jws.ts';
import { createDirectoryPublisher, type DirectoryPublisher } from './directory-publisher.ts';
import { createRegistryMetrics } from './metrics.ts';
import type { AdminEnv } from './operator-auth.ts';
import { createPublicApp } from './public-app.ts';

export interface RegistryAppDeps {
  readonly db: Kysely<RegistryDb>;
  readonly log: Logger;
  readonly clock: () => Date;
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
  /** Routes other registry parts add: gateways' registration requests, operator approval. */
  readonly publicRoutes?: Hono<any> | undefined;
  readonly adminRoutes?: Hono<any> | undefined;
}

/** The registry's two apps and the directory they serve. */
export interface RegistryApps {
  readonly publicApp: Hono;
  readonly adminApp: Hono<AdminEnv>;
  readonly publisher: DirectoryPublisher;
}

/**
 * Builds the registry (DESIGN.md §11) from its dependencies, without I/O of its own: the public
 * app (signed directory, health, metrics) and the admin app (operator CRUD). Call
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
  const metrics = createRegistryMetrics();
  const publisher = createDirectoryPublisher({
    db: deps.db,
    signer: deps.signer,
    clock: deps.clock,
    log: deps.log,
    settings,
  });
  const publicApp = createPublicApp({
    db: deps.db,
    log: deps.log,
    clock: deps.clock,
    publisher,
    metrics,
    routes: deps.publicRoutes,
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
    routes: deps.adminRoutes,
  });
  return { publicApp, adminApp, publisher };
}
