import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import { createChainVerifier } from '../certs/index.ts';
import { isDatabaseReachable, isDatabaseWritable } from '../core/database/index.ts';
import type { Clock, Logger } from '../core/index.ts';
import {
  createMetricsRegistry,
  type ExpiringCredential,
  observeCertificates,
  observeDirectory,
  type ReadinessChecks,
} from '../core/ops/index.ts';
import {
  createSignerCache,
  type DirectoryClient,
  type RegistryRequest,
  type SigningIdentity,
} from '../protocol/index.ts';
import { type Directory, subsystemOfPrinted } from '../schemas/index.ts';
import { createAccessRuleCache } from './access/access-rule-store.ts';
import { createAdminApp } from './admin/admin-app.ts';
import { createAuditLog } from './audit/audit-log.ts';
import { createCheckpointer } from './audit/checkpointer.ts';
import { createClientApp } from './consumer/client-app.ts';
import { createIsAuthenticator } from './consumer/information-systems.ts';
import { createMessageIdClaims } from './consumer/message-id-claims.ts';
import { createPeerClient, type PeerTls } from './consumer/peer-client.ts';
import type { GatewayDb } from './db/tables.ts';
import { createDirectoryView, type DirectoryView } from './directory-view.ts';
import { createEidVerifier } from './eid/index.ts';
import { createGatewayMetrics } from './metrics.ts';
import { createAdapterClient } from './provider/adapter-client.ts';
import { createMetaservices } from './provider/metaservices.ts';
import { createProviderApp } from './provider/provider-app.ts';
import { createReplayGuard, primeReplayGuard } from './provider/replay-guard.ts';
import { createPublicApp } from './public-app.ts';

export interface GatewayDeps {
  /** Printed gateway id, `INSTANCE/CLASS/MEMBER/SERVERCODE`. */
  readonly gatewayId: string;
  /** This node's log tree name. */
  readonly nodeId: string;
  readonly db: Kysely<GatewayDb>;
  readonly log: Logger;
  readonly clock: Clock;
  readonly directory: DirectoryClient;
  /** HTTPS to the registry (federation CAs trusted): the witness is reached with it. */
  readonly registryFetch: RegistryRequest;
  /** How often the node's log is checkpointed while it grows (default 2 s). */
  readonly checkpointIntervalMs?: number | undefined;
  /** The configuration anchor and other CAs the chain checks start from (PEM). */
  readonly anchorPem: string;
  readonly tls: PeerTls;
  /** Signing identities of the members this gateway signs for. */
  readonly signers: readonly SigningIdentity[];
  /** Hosted subsystem (printed) -> adapter base URL. */
  readonly adapters: Readonly<Record<string, string>>;
  readonly allowPlainHttpClients: boolean;
  readonly adminToken: string | undefined;
  readonly maxBodyBytes: number;
  readonly skewSeconds: number;
  /** eID token audience, `urn:einmal:INSTANCE`. */
  readonly eidAudience: string;
  /** The metric registry the gateway's metrics join (default: a registry of its own). */
  readonly metrics?: Registry | undefined;
  /** The gateway's own certificates (TLS, signing), whose expiry the metrics and readiness watch. */
  readonly certificates?: readonly ExpiringCredential[] | undefined;
}

/**
 * Wires one security gateway from its dependencies: the consumer role (client API), the provider
 * role (peer API), and the admin API, sharing one directory view, one audit log and one set of
 * verification caches. Pure apart from the long-lived objects it creates; `server.ts` listens.
 */
export function createGateway(deps: GatewayDeps) {
  const { clock, log } = deps;
  let view: DirectoryView | undefined;
  let chainVerifier = createChainVerifier({ anchors: [deps.anchorPem] });
  const signers = createSignerCache({
    verifier: { verify: (der, check) => chainVerifier.verify(der, check) },
    isRevoked: (serial) => view?.isRevokedSerial(serial) ?? false,
    clock,
  });
  const eid = createEidVerifier({ issuers: [], audience: deps.eidAudience, clock });

  function applyDirectory(directory: Directory): void {
    view = createDirectoryView(directory);
    chainVerifier = createChainVerifier({
      anchors: [deps.anchorPem],
      intermediates: directory.approvedCas.map((ca) => ca.certificate),
      revokedSerials: directory.revokedCertificates,
    });
    signers.clear();
    eid.updateIssuers(directory.eidIssuers);
  }
  const held = deps.directory.current();
  if (held) applyDirectory(held);
  const unsubscribe = deps.directory.onChange((directory) => applyDirectory(directory));

  const currentView = (): DirectoryView => {
    if (!view) throw new Error('no directory');
    return view;
  };
  const signerFor = (member: string) => deps.signers.find((s) => s.member === member);
  const accessRules = createAccessRuleCache(deps.db, clock);
  const informationSystems = createIsAuthenticator({
    db: deps.db,
    clock,
    allowPlainHttp: deps.allowPlainHttpClients,
  });
  const replay = createReplayGuard({ windowMs: deps.skewSeconds * 2_000, clock });
  const metricsRegistry = deps.metrics ?? createMetricsRegistry();
  const certificates = deps.certificates ?? [];
  // Both roles append to the node's one tree; the writer serialises them in one queue.
  let auditQueueDepth = () => 0;
  const metrics = createGatewayMetrics({
    registry: metricsRegistry,
    db: deps.db,
    tree: deps.nodeId,
    knownService: (service) => view?.service(service) !== undefined,
    auditQueueDepth: () => auditQueueDepth(),
    replayGuardSize: () => replay.size(),
    logBehindWitness: () => checkpointer.rollback() !== undefined,
    clock,
  });
  const audit = createAuditLog({ db: deps.db, tree: deps.nodeId, log, onCommit: metrics.committed });
  auditQueueDepth = audit.pending;
  observeDirectory(metricsRegistry, () => deps.directory.current(), clock);
  observeCertificates(metricsRegistry, () => certificates, clock);
  const readiness: ReadinessChecks = {
    directory: () => deps.directory.freshness().fresh,
    database: () => isDatabaseReachable(deps.db),
    keys: () =>
      deps.signers.length > 0 &&
      certificates.every((certificate) => certificate.notAfter.getTime() > clock()),
    log: async () =>
      audit.writable() && checkpointer.rollback() === undefined && (await isDatabaseWritable(deps.db)),
  };
  // Checkpoints are signed by the gateway's owner; the origin names the node when it has its own name.
  const checkpointer = createCheckpointer({
    db: deps.db,
    tree: deps.nodeId,
    origin: deps.nodeId === deps.gatewayId ? deps.gatewayId : `${deps.gatewayId}#${deps.nodeId}`,
    signer: deps.signers[0]!,
    witness: () => deps.directory.current()?.witness ?? null,
    fetch: deps.registryFetch,
    witnessCertificates: { verify: (der, check) => chainVerifier.verify(der, check) },
    clock,
    log: log.child({ component: 'checkpointer' }),
    intervalMs: deps.checkpointIntervalMs,
  });
  checkpointer.start();
  const peers = createPeerClient(deps.tls);
  const adapters = createAdapterClient({ tls: { cert: deps.tls.cert, key: deps.tls.key, ca: deps.tls.ca } });

  const clientApp = createClientApp({
    gatewayId: deps.gatewayId,
    directory: currentView,
    ensureDirectoryFresh: () => void deps.directory.ensureFresh('consumer'),
    informationSystems,
    signerFor,
    signers,
    peers,
    messageIds: createMessageIdClaims({ db: deps.db }),
    audit,
    log: log.child({ role: 'consumer' }),
    clock,
    maxBodyBytes: deps.maxBodyBytes,
    observe: metrics.exchangeEnded,
  });
  const providerApp = createProviderApp({
    checks: {
      gatewayId: deps.gatewayId,
      directory: currentView,
      hostsService: (service) => Object.hasOwn(deps.adapters, subsystemOfPrinted(service)),
      signers,
      replay,
      accessRules,
      eid,
      clock,
      skewSeconds: deps.skewSeconds,
    },
    ensureDirectoryFresh: () => void deps.directory.ensureFresh('provider'),
    adapterFor: (subsystem) => deps.adapters[subsystem],
    adapters,
    metaservices: createMetaservices({ clock, adapters }),
    signerFor,
    audit,
    log: log.child({ role: 'provider' }),
    clock,
    maxBodyBytes: deps.maxBodyBytes,
    observe: metrics.exchangeEnded,
  });
  const adminApp = createAdminApp({
    db: deps.db,
    log: log.child({ role: 'admin' }),
    token: deps.adminToken,
    accessRules,
    informationSystems,
  });
  const publicApp = createPublicApp({
    db: deps.db,
    log: log.child({ role: 'public' }),
    clock,
    directory: () => view?.directory,
    eid,
    verifyCertificate: (der, usage) => chainVerifier.verify(der, { usage, at: new Date(clock()) }),
    adminToken: deps.adminToken,
    gatewayId: deps.gatewayId,
    anchorPem: deps.anchorPem,
    tree: deps.nodeId,
  });

  return {
    clientApp,
    providerApp,
    adminApp,
    publicApp,
    audit,
    checkpointer,
    /** The gateway's metrics and what its `/readyz` checks (served by the operations listener). */
    ops: { metrics: metricsRegistry, checks: readiness },
    /**
     * Loads the message ids the provider recorded within the replay window, so requests seen before
     * a restart stay refused; call it before the peer listener opens. Resolves to their number.
     */
    primeReplayGuard: () => primeReplayGuard(replay, deps.db, clock()),
    async close(): Promise<void> {
      unsubscribe();
      await audit.drain();
      await checkpointer.stop();
      await Promise.all([peers.close(), adapters.close()]);
    },
  };
}

export type Gateway = ReturnType<typeof createGateway>;
