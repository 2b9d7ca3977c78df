import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { type Clock, errorHandlers, type Logger } from '../core/index.ts';
import type { Directory } from '../schemas/index.ts';
import { createLogApp } from './audit/log-app.ts';
import { createAuditorApp } from './auditor/auditor-app.ts';
import type { VerifyCertificate } from './auditor/auditor-auth.ts';
import { createCitizenApp } from './citizen/citizen-app.ts';
import { createDataTrackerApp } from './citizen/data-tracker-app.ts';
import type { GatewayDb } from './db/tables.ts';
import type { EidVerifier } from './eid/index.ts';

export interface PublicAppDeps {
  readonly db: Kysely<GatewayDb>;
  readonly log: Logger;
  readonly clock: Clock;
  readonly directory: () => Directory | undefined;
  readonly eid: EidVerifier;
  /** Checks a TLS client certificate against the federation's CAs for a profile. */
  readonly verifyCertificate: VerifyCertificate;
  readonly adminToken: string | undefined;
  /** The printed gateway id: auditors' staff tokens must entitle them to its member. */
  readonly gatewayId: string;
  /** This node's log tree, whose checkpoints and proofs are served. */
  readonly tree: string;
  /** The configuration anchor (PEM), included in the export bundles auditors download. */
  readonly anchorPem: string;
}

/**
 * The gateway's public listener (docs/protocol.md §12): the citizen API, the Data Tracker v3 endpoints,
 * the auditor API and the log's checkpoints and consistency proofs. Citizens authenticate with
 * their eID token, auditors with their certificate or the token of their staff login; the log's
 * hashes are public.
 */
export function createPublicApp(deps: PublicAppDeps): Hono<{ Bindings: Partial<HttpBindings> }> {
  const app = new Hono<{ Bindings: Partial<HttpBindings> }>();
  app.onError(errorHandlers({ log: deps.log }).onError);
  app.route('/', createCitizenApp(deps));
  app.route('/', createDataTrackerApp(deps));
  app.route('/', createAuditorApp(deps));
  app.route('/', createLogApp(deps));
  app.notFound(errorHandlers({ log: deps.log }).notFound);
  return app;
}
