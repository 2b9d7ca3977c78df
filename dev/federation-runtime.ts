import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { startSampleAdapter } from '../adapters/index.ts';
import { certificateFingerprint, parseCertificatePem } from '../certs/index.ts';
import { type Database, migrateToLatest } from '../core/database/index.ts';
import type { Logger } from '../core/index.ts';
import { EinmalError } from '../core/index.ts';
import {
  addAccessRule,
  type GatewayConfig,
  type GatewayDb,
  gatewayMigrations,
  type RunningGateway,
  readGatewayConfig,
  registerIsCertificate,
  startGateway,
} from '../gateway/index.ts';
import { type RunningPortal, readPortalConfig, startPortal } from '../portal/index.ts';
import { type PublishedDirectory, type RegistryDb, startRegistry } from '../registry/index.ts';
import { parseMemberId } from '../schemas/index.ts';
import { DEMO_AUDIENCE, demoAccessRules, demoPorts, demoServices } from './demo-federation.ts';
import { startEidServer } from './eid/index.ts';
import { type FederationManifest, readFederationManifest } from './federation-files.ts';
import { registryCredentialsFromFederation } from './federation-folder.ts';
import { findFreePorts } from './free-ports.ts';
import { seedDevFederation } from './registry-seed.ts';

/** Everything a running development federation offers, as written to `endpoints.json`. */
export interface FederationEndpoints {
  readonly instance: string;
  readonly audience: string;
  readonly registry: { readonly directory: string; readonly admin: string };
  readonly eid: { readonly issuer: string };
  /** The portal people open: citizens' data log, auditors' search and verification. */
  readonly portal: string;
  /**
   * Each provider member's adapter (member id -> base URL). It serves HTTPS to its own gateway only:
   * mutual TLS with the gateway's TLS certificate.
   */
  readonly adapters: Readonly<Record<string, string>>;
  readonly gateways: readonly {
    readonly id: string;
    readonly member: string;
    readonly peer: string;
    readonly client: string;
    readonly admin: string;
    readonly adminToken: string;
    /** The public listener: citizen API, Data Tracker v3 and auditor API. */
    readonly public: string;
  }[];
  /** Information systems: which gateway they call and the TLS credentials they call it with. */
  readonly clients: readonly {
    readonly id: string;
    readonly gateway: string;
    readonly cert: string;
    readonly key: string;
    readonly ca: string;
  }[];
  readonly pki: { readonly rootCa: string; readonly caBundle: string };
  /** Each service's operations listener (plain HTTP: `/healthz`, `/readyz`, `/metrics`). */
  readonly ops: {
    readonly registry: string;
    readonly eid: string;
    readonly portal: string;
    /** By gateway id. */
    readonly gateways: Readonly<Record<string, string>>;
    /** By provider member id. */
    readonly adapters: Readonly<Record<string, string>>;
  };
}

export interface StartFederationOptions {
  /** A folder written by `einmal dev init`. */
  readonly dir: string;
  /** One database for every component, each in its own schema. */
  readonly database: Database;
  readonly log: Logger;
  /** `demo` uses the fixed ports of dev/demo-federation.ts; `ephemeral` picks free ones. */
  readonly ports: 'demo' | 'ephemeral';
  /** Directory lifetime in seconds (tests shorten it). */
  readonly directoryTtlSeconds?: number;
  /** How long a portal session may be idle (tests shorten it); default the portal's. */
  readonly portalSessionIdleSeconds?: number;
  /**
   * Starts one gateway from its configuration. By default it runs in this process on `database`;
   * crash tests start some gateways as processes of their own.
   */
  readonly launchGateway?: GatewayLauncher;
}

/** A started gateway; one in another process may offer no way to refresh its directory on demand. */
export type LaunchedGateway = Omit<RunningGateway, 'refreshDirectory'> &
  Partial<Pick<RunningGateway, 'refreshDirectory'>>;

/**
 * Starts one gateway of the federation: `config` is complete and its database schema migrated and
 * seeded; `inThisProcess` is the default way (in this process, on the federation's database).
 */
export type GatewayLauncher = (
  config: GatewayConfig,
  log: Logger,
  inThisProcess: () => Promise<LaunchedGateway>,
) => Promise<LaunchedGateway>;

export interface RunningFederation {
  readonly endpoints: FederationEndpoints;
  readonly manifest: FederationManifest;
  /** The scoped database handle of a gateway, by gateway id (for tests that inspect the log). */
  gatewayDb(gatewayId: string): Kysely<GatewayDb>;
  /**
   * The registry's tables and publication, e.g. for a test that revokes a certificate; `stop` takes
   * it off the network (its database stays) and `start` brings it back on the same ports.
   */
  readonly registry: {
    readonly db: Kysely<RegistryDb>;
    /** The directory served now, signed anew if the content changed or the served one aged. */
    publish(): Promise<PublishedDirectory>;
    stop(): Promise<void>;
    start(): Promise<void>;
  };
  /** Makes the portal and every gateway that offers it fetch the directory now, not at their next poll. */
  refreshDirectories(): Promise<void>;
  /**
   * Restarts a provider member's adapter on its port, admitting the gateway TLS certificates in
   * `gatewayCertPem` (old and new during a renewal), as its operator would.
   */
  restartAdapter(memberId: string, gatewayCertPem: string): Promise<void>;
  /** Stops a gateway and starts it again with the same configuration, as an operator's restart. */
  restartGateway(gatewayId: string): Promise<void>;
  /** Takes a gateway off the network (an outage) until `startGateway`. */
  stopGateway(gatewayId: string): Promise<void>;
  /** Starts a gateway stopped with `stopGateway`, with the same configuration and ports. */
  startGateway(gatewayId: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a complete local federation from a `einmal dev init` folder: the registry (seeded with the
 * demo story), the development eID provider, each provider's adapter (mutual TLS that admits only
 * that provider's gateway), a gateway per member with its access rules and information-system
 * certificates, and the portal. Writes `DIR/endpoints.json`, the machine-readable list of every
 * endpoint and credential file.
 */
export async function startFederation(options: StartFederationOptions): Promise<RunningFederation> {
  const dir = resolve(options.dir);
  const { database, log } = options;
  const manifest = await readFederationManifest(dir);
  const providers = manifest.members.flatMap((member) =>
    member.adapter ? [{ member, adapter: member.adapter }] : [],
  );
  if (providers.length === 0) {
    throw new EinmalError('Config.Invalid', {
      message: `${dir} was written before adapters had certificates; recreate it with 'einmal dev init --force ${options.dir}'`,
    });
  }
  const file = (relative: string) => join(dir, relative);
  const stateDir = join(dir, 'state');
  await mkdir(stateDir, { recursive: true });
  const caBundle = join(stateDir, 'ca-bundle.pem');
  const read = (relative: string) => readFile(file(relative), 'utf8');
  const [rootPem, issuingPem] = await Promise.all([read(manifest.rootCa), read(manifest.issuingCa)]);
  const caBundlePem = `${issuingPem.trim()}\n${rootPem.trim()}\n`;
  await writeFile(caBundle, caBundlePem);

  const gatewayCount = manifest.members.length;
  // One call for every port (the operations listeners' after the others): ports asked for in
  // separate calls may come back twice.
  const opsOffset = 4 + gatewayCount * 4 + providers.length;
  const free =
    options.ports === 'ephemeral'
      ? await findFreePorts(opsOffset + 3 + gatewayCount + providers.length)
      : undefined;
  const port = (demo: number, index: number) => (free ? free[index]! : demo);
  const registryPort = port(demoPorts.registry, 0);
  const registryAdminPort = port(demoPorts.registryAdmin, 1);
  const eidPort = port(demoPorts.eid, 2);
  const portalPort = port(demoPorts.portal, 3);
  const portalUrl = `http://127.0.0.1:${portalPort}`;
  // The portal is a confidential client of the eID provider; its secret lives as long as this run.
  const portalClientSecret = randomBytes(24).toString('base64url');
  const gatewayPorts = manifest.members.map((m, i) => ({
    peer: port(m.gateway.port, 4 + i * 4),
    client: port(m.gateway.clientPort, 5 + i * 4),
    admin: port(m.gateway.clientPort + 100, 6 + i * 4),
    public: port(m.gateway.clientPort + 200, 7 + i * 4),
  }));
  const adapterPorts = providers.map(({ adapter }, i) => port(adapter.port, 4 + gatewayCount * 4 + i));
  // Operations listeners: the demo's next to each service's ports, or free ones.
  const opsPort = (demo: number, index: number) => port(demo, opsOffset + index);
  const opsPorts = {
    registry: opsPort(demoPorts.registryOps, 0),
    eid: opsPort(demoPorts.eidOps, 1),
    portal: opsPort(demoPorts.portalOps, 2),
    gateways: manifest.members.map((m, i) => opsPort(m.gateway.clientPort + 300, 3 + i)),
    adapters: providers.map(({ adapter }, i) => opsPort(adapter.port + 100, 3 + gatewayCount + i)),
  };
  const opsUrl = (at: number) => `http://127.0.0.1:${at}`;

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((error) => log.warn({ err: error }, 'stop failed'));
  };
  try {
    const eid = await startEidServer({
      port: eidPort,
      stateDir: join(stateDir, 'eid'),
      log: log.child({ component: 'eid' }),
      portalRedirectUris: [`${portalUrl}/auth/callback`],
      portalClientSecret,
      ops: { host: '127.0.0.1', port: opsPorts.eid },
    });
    stops.push(() => eid.close());

    // Each provider's adapter admits only its own gateway's TLS certificate (docs/protocol.md §5).
    const adapterUrls: Record<string, string> = {};
    /** Each provider's running adapter and how to start it again, admitting other gateway certificates. */
    const adapters = new Map<
      string,
      {
        running: Awaited<ReturnType<typeof startSampleAdapter>>;
        start: (gatewayCert: string) => ReturnType<typeof startSampleAdapter>;
      }
    >();
    for (const [i, { member, adapter }] of providers.entries()) {
      const [cert, key, gatewayCert] = await Promise.all(
        [adapter.tls.cert, adapter.tls.key, member.gateway.tls.cert].map(read),
      );
      const start = (admitted: string) =>
        startSampleAdapter({
          registries: [adapter.registry],
          db: database.db,
          log: log.child({ component: 'adapter', member: member.id }),
          port: adapterPorts[i]!,
          tls: { cert: cert!, key: key!, ca: caBundlePem, gatewayCert: admitted },
          ops: { host: '127.0.0.1', port: opsPorts.adapters[i]! },
          pool: database.poolUse,
        });
      const running = await start(gatewayCert!);
      adapters.set(member.id, { running, start });
      stops.push(() => adapters.get(member.id)!.running.close());
      adapterUrls[member.id] = running.url;
    }

    const gatewayAddresses = Object.fromEntries(
      manifest.members.map((m, i) => [m.gateway.id, `https://localhost:${gatewayPorts[i]!.peer}`]),
    );
    const registryEnv = {
      REGISTRY_INSTANCE: manifest.instance,
      REGISTRY_PORT: String(registryPort),
      REGISTRY_ADMIN_PORT: String(registryAdminPort),
      REGISTRY_OPS_PORT: String(opsPorts.registry),
      REGISTRY_DIRECTORY_TTL: String(options.directoryTtlSeconds ?? 600),
      REGISTRY_LOG_LEVEL: 'warn',
    };
    const registryDeps = {
      database,
      log: log.child({ component: 'registry' }),
      credentials: await registryCredentialsFromFederation(dir),
    };
    let registry = await startRegistry(registryEnv, registryDeps);
    let registryRunning = true;
    const stopRegistry = async () => {
      if (!registryRunning) return;
      registryRunning = false;
      await registry.close();
    };
    stops.push(stopRegistry);
    await seedDevFederation({
      db: registry.db,
      federationDir: dir,
      gatewayAddresses,
      gatewayPublicAddresses: Object.fromEntries(
        manifest.members.map((m, i) => [m.gateway.id, `https://localhost:${gatewayPorts[i]!.public}`]),
      ),
      eidIssuer: eid.issuer,
    });
    await registry.publish();

    const registryUrl = `https://localhost:${registry.publicPort}`;
    const gateways: FederationEndpoints['gateways'][number][] = [];
    const gatewayDbs = new Map<string, Kysely<GatewayDb>>();
    const runningGateways = new Map<string, LaunchedGateway>();
    const gatewayStarts = new Map<string, () => Promise<LaunchedGateway>>();
    const launch: GatewayLauncher = options.launchGateway ?? ((_c, _l, inThisProcess) => inThisProcess());
    for (const [i, member] of manifest.members.entries()) {
      const ports = gatewayPorts[i]!;
      const schema = `gw_${parseMemberId(member.id).memberCode.replaceAll(/[^a-z0-9]/g, '_')}`;
      const adminToken = `dev-${schema}-operator-token`;
      const adapterUrl = adapterUrls[member.id];
      const adapters = adapterUrl ? Object.fromEntries(member.subsystems.map((s) => [s.id, adapterUrl])) : {};
      await migrateToLatest(database.db, { schema, migrations: gatewayMigrations });
      const db = database.db.withSchema(schema) as Kysely<GatewayDb>;
      gatewayDbs.set(member.gateway.id, db);
      await seedDemoGateway(db, member, dir);
      // The demo's gateways are configured as an operator configures one: variables read by the
      // gateway's own schema (docs/configuration.md), so the demo can set nothing an operator cannot.
      const config: GatewayConfig = readGatewayConfig({
        GATEWAY_ID: member.gateway.id,
        GATEWAY_PEER_HOST: '127.0.0.1',
        GATEWAY_PEER_PORT: String(ports.peer),
        GATEWAY_CLIENT_HOST: '127.0.0.1',
        GATEWAY_CLIENT_PORT: String(ports.client),
        GATEWAY_ADMIN_HOST: '127.0.0.1',
        GATEWAY_ADMIN_PORT: String(ports.admin),
        GATEWAY_ADMIN_TOKEN: adminToken,
        GATEWAY_OPS_HOST: '127.0.0.1',
        GATEWAY_OPS_PORT: opsPorts.gateways[i]?.toString(),
        GATEWAY_PUBLIC_HOST: '127.0.0.1',
        GATEWAY_PUBLIC_PORT: String(ports.public),
        GATEWAY_TLS_CERT: file(member.gateway.tls.cert),
        GATEWAY_TLS_KEY: file(member.gateway.tls.key),
        GATEWAY_SIGNING_CERT: file(member.signing.cert),
        GATEWAY_SIGNING_KEY: file(member.signing.key),
        GATEWAY_CA: caBundle,
        GATEWAY_ANCHOR: file(manifest.rootCa),
        GATEWAY_DIRECTORY_URL: `${registryUrl}/directory`,
        GATEWAY_DIRECTORY_CACHE: join(stateDir, `${schema}-directory.jws`),
        GATEWAY_ADAPTERS: JSON.stringify(adapters),
        GATEWAY_DB_SCHEMA: schema,
      });
      const gatewayLog = log.child({ component: 'gateway', gateway: member.gateway.id });
      const start = () => launch(config, gatewayLog, () => startGateway(config, gatewayLog, { database }));
      gatewayStarts.set(member.gateway.id, start);
      const running = await start();
      runningGateways.set(member.gateway.id, running);
      stops.push(async () => runningGateways.get(member.gateway.id)?.close());
      gateways.push({
        id: member.gateway.id,
        member: member.id,
        peer: `https://localhost:${running.ports.peer}`,
        client: `https://localhost:${running.ports.client}`,
        admin: `http://127.0.0.1:${running.ports.admin}`,
        adminToken,
        public: `https://localhost:${running.ports.public}`,
      });
    }

    const portal: RunningPortal = await startPortal(
      readPortalConfig({
        PORTAL_HOST: '127.0.0.1',
        PORTAL_PORT: String(portalPort),
        PORTAL_OPS_PORT: String(opsPorts.portal),
        PORTAL_PUBLIC_URL: portalUrl,
        PORTAL_ANCHOR: file(manifest.rootCa),
        PORTAL_CA: caBundle,
        PORTAL_DIRECTORY_URL: `${registryUrl}/directory`,
        PORTAL_DIRECTORY_CACHE: join(stateDir, 'portal-directory.jws'),
        PORTAL_OIDC_CLIENT_SECRET: portalClientSecret,
        PORTAL_SESSION_IDLE_SECONDS: options.portalSessionIdleSeconds?.toString(),
      }),
      log.child({ component: 'portal' }),
    );
    stops.push(() => portal.close());

    const endpoints: FederationEndpoints = {
      instance: manifest.instance,
      audience: DEMO_AUDIENCE,
      registry: { directory: `${registryUrl}/directory`, admin: `https://localhost:${registry.adminPort}` },
      eid: { issuer: eid.issuer },
      portal: portal.url,
      adapters: adapterUrls,
      gateways,
      clients: manifest.members.flatMap((m) =>
        m.subsystems.map((s) => ({
          id: s.id,
          gateway: gateways.find((g) => g.id === m.gateway.id)!.client,
          cert: file(s.client.cert),
          key: file(s.client.key),
          ca: caBundle,
        })),
      ),
      pki: { rootCa: file(manifest.rootCa), caBundle },
      ops: {
        registry: opsUrl(opsPorts.registry),
        eid: opsUrl(opsPorts.eid),
        portal: opsUrl(opsPorts.portal),
        gateways: Object.fromEntries(
          manifest.members.map((m, i) => [m.gateway.id, opsUrl(opsPorts.gateways[i]!)]),
        ),
        adapters: Object.fromEntries(
          providers.map(({ member }, i) => [member.id, opsUrl(opsPorts.adapters[i]!)]),
        ),
      },
    };
    await writeFile(join(dir, 'endpoints.json'), `${JSON.stringify(endpoints, null, 2)}\n`);
    return {
      endpoints,
      manifest,
      gatewayDb: (id) => {
        const db = gatewayDbs.get(id);
        if (!db) throw new TypeError(`unknown gateway ${id}`);
        return db;
      },
      registry: {
        db: registry.db,
        publish: () => registry.publish(),
        stop: stopRegistry,
        async start() {
          if (registryRunning) return;
          registry = await startRegistry(registryEnv, registryDeps);
          registryRunning = true;
        },
      },
      refreshDirectories: async () => {
        await Promise.all([
          ...[...runningGateways.values()].map((gateway) => gateway.refreshDirectory?.()),
          portal.refreshDirectory(),
        ]);
      },
      async restartAdapter(memberId, gatewayCertPem) {
        const adapter = adapters.get(memberId);
        if (!adapter) throw new TypeError(`no adapter of ${memberId}`);
        await adapter.running.close();
        adapter.running = await adapter.start(gatewayCertPem);
      },
      async restartGateway(id) {
        const start = gatewayStarts.get(id);
        if (!start) throw new TypeError(`unknown gateway ${id}`);
        await runningGateways.get(id)!.close();
        runningGateways.set(id, await start());
      },
      async stopGateway(id) {
        if (!gatewayStarts.has(id)) throw new TypeError(`unknown gateway ${id}`);
        await runningGateways.get(id)?.close();
        runningGateways.delete(id);
      },
      async startGateway(id) {
        const start = gatewayStarts.get(id);
        if (!start) throw new TypeError(`unknown gateway ${id}`);
        if (!runningGateways.has(id)) runningGateways.set(id, await start());
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A member's gateway as the demo story needs it: its information systems' certificates registered
 * for their subsystems, and, on providers, the access rules of dev/demo-federation.ts.
 */
export async function seedDemoGateway(
  db: Kysely<GatewayDb>,
  member: FederationManifest['members'][number],
  dir: string,
) {
  for (const subsystem of member.subsystems) {
    const cert = parseCertificatePem(await readFile(join(dir, subsystem.client.cert), 'utf8'));
    await registerIsCertificate(db, subsystem.id, certificateFingerprint(cert));
  }
  const existing = await db.selectFrom('access_rule').select(['subject', 'service']).execute();
  for (const rule of demoAccessRules) {
    const provided = demoServices.some((s) => s.id === rule.service && s.id.startsWith(`${member.id}/`));
    const present = existing.some((e) => e.subject === rule.client && e.service === rule.service);
    if (provided && !present) await addAccessRule(db, { subject: rule.client, service: rule.service });
  }
}
