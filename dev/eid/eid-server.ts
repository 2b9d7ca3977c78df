import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter } from 'prom-client';
import { testCitizens } from '../../adapters/index.ts';
import { answerParserRefusal, type Logger, silentLogger } from '../../core/index.ts';
import { createMetricsRegistry, type OpsListenerSettings, startOpsListener } from '../../core/ops/index.ts';
import { testAuditors } from '../auditors.ts';
import { DEMO_AUDIENCE } from '../demo-federation.ts';
import { eidClients } from './eid-clients.ts';
import { createEidProvider } from './eid-provider.ts';
import type { ScopeSource } from './eid-scopes.ts';
import { loadOrCreateEidProviderKeys } from './provider-keys.ts';

export interface EidServerSettings {
  /** Port to listen on; 0 picks a free one. */
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Directory holding the provider's keys (created on first start). */
  readonly stateDir: string;
  /** Default `http://HOST:PORT` with the port actually bound. */
  readonly issuer?: URL;
  readonly portalRedirectUris?: readonly string[];
  readonly portalClientSecret?: string;
  readonly accessTokenTtlSeconds?: number;
  /** The scopes offered (default: the demo federation's), e.g. {@link directoryScopes}. */
  readonly scopes?: ScopeSource;
  /** The audience of its access tokens, `urn:einmal:INSTANCE`; default the demo's. */
  readonly audience?: string;
  readonly log?: Logger;
  /** The operations listener (`/healthz`, `/readyz`, `/metrics`); none when absent. */
  readonly ops?: OpsListenerSettings | undefined;
}

/** A running development eID provider. */
export interface RunningEidServer {
  readonly issuer: string;
  readonly server: Server;
  /** The operations listener's port, when one was asked for. */
  readonly opsPort: number | undefined;
  close(): Promise<void>;
}

/**
 * Starts the development eID provider with the demo's test citizens and auditors and the instance
 * audience.
 * Listens first, so that with port 0 the issuer names the port actually bound.
 *
 * @example
 * const eid = await startEidServer({ port: 4402, stateDir: '.einmal/eid' });
 * // ... await eid.close();
 */
export async function startEidServer(settings: EidServerSettings): Promise<RunningEidServer> {
  const host = settings.host ?? '127.0.0.1';
  const log = settings.log ?? silentLogger;
  const keys = await loadOrCreateEidProviderKeys(settings.stateDir);
  const server = createServer();
  server.on('clientError', answerParserRefusal(log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = settings.issuer ?? new URL(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  const eid = createEidProvider({
    issuer,
    keys,
    clients: eidClients({
      ...(settings.portalRedirectUris ? { portalRedirectUris: settings.portalRedirectUris } : {}),
      ...(settings.portalClientSecret ? { portalClientSecret: settings.portalClientSecret } : {}),
    }),
    citizens: testCitizens,
    auditors: testAuditors,
    audience: settings.audience ?? DEMO_AUDIENCE,
    ...(settings.accessTokenTtlSeconds ? { accessTokenTtlSeconds: settings.accessTokenTtlSeconds } : {}),
    ...(settings.scopes ? { scopes: settings.scopes } : {}),
    log,
  });
  const metrics = createMetricsRegistry();
  const requests = new Counter({
    name: 'einmal_eid_http_requests_total',
    help: 'HTTP requests the eID provider answered, by status.',
    labelNames: ['status'],
    registers: [metrics],
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    response.once('finish', () => requests.inc({ status: String(response.statusCode) }));
    eid.listener(request, response);
  });
  const ops =
    settings.ops &&
    (await startOpsListener(
      settings.ops,
      { metrics, checks: { keys: () => keys.jwks.keys.length > 0 } },
      log,
    ));
  log.info({ issuer: eid.issuer, port }, 'eID provider listening');
  return {
    issuer: eid.issuer,
    server,
    opsPort: ops?.port,
    close: async () => {
      await ops?.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
