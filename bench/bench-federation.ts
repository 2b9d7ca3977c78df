import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { testCitizens } from '../adapters/index.ts';
import { migrateToLatest, openDatabase } from '../core/database/index.ts';
import type { Logger } from '../core/index.ts';
import { obtainCitizenToken, startEidServer } from '../dev/eid/index.ts';
import type { FederationManifest } from '../dev/federation-files.ts';
import { registryCredentialsFromFederation } from '../dev/federation-folder.ts';
import { seedDemoGateway } from '../dev/federation-runtime.ts';
import { findFreePorts } from '../dev/free-ports.ts';
import { seedDevFederation } from '../dev/registry-seed.ts';
import { type GatewayDb, gatewayMigrations } from '../gateway/index.ts';
import { startRegistry } from '../registry/index.ts';
import { parseMemberId } from '../schemas/index.ts';
import { type ComponentProcess, forkComponent } from './component-process.ts';
import { writeFederationTls } from './federation-tls.ts';
import type { LoadTarget } from './load.ts';
import type { TlsCredentials } from './mtls-forwarder.ts';

export const CONSUMER_MEMBER = 'DEMO/GOV/munich';
export const PROVIDER_MEMBER = 'DEMO/GOV/residents-office';
export const CLIENT_ID = 'DEMO/GOV/munich/parking-permits';
export const SERVICE_ID = 'DEMO/GOV/residents-office/register/address-v1';
/** The address service as the permit system calls it on its own (consumer) gateway. */
export const ADDRESS_PATH = '/r1/DEMO/GOV/residents-office/register/address-v1';
/** The adapter's own route for the address service (its X-Road service code). */
export const ADAPTER_PATH = '/address-v1';
export const PURPOSE = 'parking-permit';
/** Citizens whose eID reaches the address service's level (substantial). */
const CITIZENS = testCitizens.filter((c) => c.loa !== 'low');

/** An address answer about one of the bench citizens; error bodies never look like this. */
export const isAddressAnswer = (body: string) =>
  body.includes('"address":{') && body.includes('"subject":"DE');

/** One eID access token per bench citizen, from the federation's development eID provider. */
export function citizenTokens(federation: BenchFederation): Promise<{ citizen: string; token: string }[]> {
  return Promise.all(
    CITIZENS.map(async (citizen) => ({
      citizen: citizen.id,
      token: await obtainCitizenToken({
        issuer: federation.eidIssuer,
        citizen: citizen.id,
        scope: 'population.address',
      }),
    })),
  );
}

/** The permit system asking its gateway for a citizen's address, one citizen's token per connection. */
export function gatewayTarget(
  federation: BenchFederation,
  tokens: readonly { citizen: string; token: string }[],
): LoadTarget {
  return {
    url: `https://localhost:${federation.consumerGateway.port}${ADDRESS_PATH}`,
    tls: federation.informationSystemTls,
    headersPerConnection: tokens.map(({ token }) => ({
      'x-road-client': CLIENT_ID,
      'einmal-eid-token': token,
      'einmal-purpose': PURPOSE,
    })),
    isExpectedBody: isAddressAnswer,
  };
}

/** The components of a benchmark run, each hop in its own process. */
export interface BenchFederation {
  readonly eidIssuer: string;
  /** The permit system's client certificate, key and the federation CAs. */
  readonly informationSystemTls: TlsCredentials;
  /** The gateways' TLS certificates and keys, for baselines that stand in for them. */
  readonly gatewayTls: { readonly consumer: TlsCredentials; readonly provider: TlsCredentials };
  readonly adapter: ComponentProcess;
  readonly consumerGateway: ComponentProcess;
  readonly providerGateway: ComponentProcess;
  readonly forwarderA: ComponentProcess;
  readonly forwarderB: ComponentProcess;
  /** Stops every process and in-process service; the database stays for the caller to drop. */
  stop(): Promise<void>;
}

export interface StartBenchFederationOptions {
  /** A fresh, empty working folder for PKI, state and process logs. */
  readonly dir: string;
  /** The run's own PostgreSQL database. */
  readonly databaseUrl: string;
  readonly log: Logger;
}

/**
 * Starts what docs/architecture.md §6 measures, on the run's PostgreSQL database: fresh development PKI, the
 * registry and the eID provider in this process (idle under load), and in processes of their own
 * the population adapter, the city's (consumer) and the residents' office's (provider) gateways,
 * and the two mutual-TLS forwarders of the bare chain, using the same certificates as the gateways.
 */
export async function startBenchFederation(options: StartBenchFederationOptions): Promise<BenchFederation> {
  const { dir, log } = options;
  const { manifest, caBundlePem, credentials: tlsOf } = await writeFederationTls(dir);
  const file = (relative: string) => join(dir, relative);
  const stateDir = join(dir, 'state');
  const logDir = join(dir, 'logs');
  await Promise.all([mkdir(stateDir, { recursive: true }), mkdir(logDir, { recursive: true })]);
  const caBundle = join(stateDir, 'ca-bundle.pem');
  await writeFile(caBundle, caBundlePem);
  const member = (id: string) => {
    const found = manifest.members.find((m) => m.id === id);
    if (!found) throw new TypeError(`member ${id} is not in the development federation`);
    return found;
  };
  const consumer = member(CONSUMER_MEMBER);
  const provider = member(PROVIDER_MEMBER);

  const [
    registryPort,
    registryAdminPort,
    eidPort,
    adapterPort,
    forwarderAPort,
    forwarderBPort,
    ...gatewayPorts
  ] = await findFreePorts(12);
  const ports = {
    [consumer.id]: { peer: gatewayPorts[0]!, client: gatewayPorts[1]!, admin: gatewayPorts[2]! },
    [provider.id]: { peer: gatewayPorts[3]!, client: gatewayPorts[4]!, admin: gatewayPorts[5]! },
  };

  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((error) => log.warn({ err: error }, 'stop failed'));
  };
  const started = <T extends { stop(): Promise<void> } | { close(): Promise<void> }>(component: T): T => {
    stops.push(() => ('stop' in component ? component.stop() : component.close()));
    return component;
  };
  const fork = (name: string, spec: Parameters<typeof forkComponent>[0]['spec']) =>
    forkComponent({
      name,
      spec,
      logFile: join(logDir, `${name}.log`),
    }).then(started);

  try {
    const adapterUrl = `http://127.0.0.1:${adapterPort}`;
    const consumerTls = await tlsOf(consumer.gateway.tls);
    const providerTls = await tlsOf(provider.gateway.tls);
    // The processes that need no directory start while the registry comes up.
    const processes = Promise.all([
      fork('adapter', { kind: 'adapter', databaseUrl: options.databaseUrl, port: adapterPort! }),
      fork('forwarder-b', {
        kind: 'forwarder',
        port: forwarderBPort!,
        tls: providerTls,
        upstream: adapterUrl,
      }),
      fork('forwarder-a', {
        kind: 'forwarder',
        port: forwarderAPort!,
        tls: consumerTls,
        upstream: `https://localhost:${forwarderBPort}`,
        upstreamTls: consumerTls,
      }),
    ]);
    processes.catch(() => {});
    const database = await openDatabase({ url: options.databaseUrl, poolSize: 4 });
    stops.push(() => database.close());
    const eid = started(
      await startEidServer({
        port: eidPort!,
        stateDir: join(stateDir, 'eid'),
        log: log.child({ component: 'eid' }),
      }),
    );

    const registry = started(
      await startRegistry(
        {
          REGISTRY_INSTANCE: manifest.instance,
          REGISTRY_PORT: String(registryPort),
          REGISTRY_ADMIN_PORT: String(registryAdminPort),
          REGISTRY_DIRECTORY_TTL: '600',
          REGISTRY_LOG_LEVEL: 'warn',
        },
        {
          database,
          log: log.child({ component: 'registry' }),
          credentials: await registryCredentialsFromFederation(dir),
        },
      ),
    );
    await seedDevFederation({
      db: registry.db,
      federationDir: dir,
      gatewayAddresses: Object.fromEntries(
        manifest.members.map((m) => [
          m.gateway.id,
          `https://localhost:${ports[m.id]?.peer ?? m.gateway.port}`,
        ]),
      ),
      eidIssuer: eid.issuer,
    });
    await registry.publish();

    const gateway = async (m: FederationManifest['members'][number], adapters: Record<string, string>) => {
      const { memberCode } = parseMemberId(m.id);
      const schema = `gw_${memberCode.replaceAll(/[^a-z0-9]/g, '_')}`;
      await migrateToLatest(database.db, { schema, migrations: gatewayMigrations });
      await seedDemoGateway(database.db.withSchema(schema) as Kysely<GatewayDb>, m, dir);
      const own = ports[m.id]!;
      return fork(`gateway-${memberCode}`, {
        kind: 'gateway',
        env: {
          GATEWAY_ID: m.gateway.id,
          GATEWAY_PEER_HOST: '127.0.0.1',
          GATEWAY_PEER_PORT: String(own.peer),
          GATEWAY_CLIENT_HOST: '127.0.0.1',
          GATEWAY_CLIENT_PORT: String(own.client),
          GATEWAY_ADMIN_HOST: '127.0.0.1',
          GATEWAY_ADMIN_PORT: String(own.admin),
          GATEWAY_TLS_CERT: file(m.gateway.tls.cert),
          GATEWAY_TLS_KEY: file(m.gateway.tls.key),
          GATEWAY_SIGNING_CERT: file(m.signing.cert),
          GATEWAY_SIGNING_KEY: file(m.signing.key),
          GATEWAY_CA: caBundle,
          GATEWAY_ANCHOR: file(manifest.rootCa),
          GATEWAY_DIRECTORY_URL: `https://localhost:${registry.publicPort}/directory`,
          GATEWAY_DIRECTORY_CACHE: join(stateDir, `${schema}-directory.jws`),
          GATEWAY_ADAPTERS: JSON.stringify(adapters),
          // The adapter serves plain HTTP so the baselines can call it directly (see component-worker).
          GATEWAY_ADAPTER_PLAIN_HTTP: 'true',
          GATEWAY_DB_SCHEMA: schema,
          DATABASE_URL: options.databaseUrl,
          GATEWAY_LOG_LEVEL: 'info',
        },
      });
    };
    const [providerGateway, consumerGateway] = await Promise.all([
      gateway(provider, Object.fromEntries(provider.subsystems.map((s) => [s.id, adapterUrl]))),
      gateway(consumer, {}),
    ]);

    const [adapter, forwarderB, forwarderA] = await processes;
    const permits = consumer.subsystems.find((s) => s.id === CLIENT_ID);
    if (!permits) throw new TypeError(`${CLIENT_ID} is not in the development federation`);
    return {
      eidIssuer: eid.issuer,
      informationSystemTls: await tlsOf(permits.client),
      gatewayTls: { consumer: consumerTls, provider: providerTls },
      adapter,
      consumerGateway,
      providerGateway,
      forwarderA,
      forwarderB,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
