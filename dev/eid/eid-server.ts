import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testCitizens } from '../../adapters/index.ts';
import { answerParserRefusal, type Logger, silentLogger } from '../../core/index.ts';
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
  readonly log?: Logger;
}

/** A running development eID provider. */
export interface RunningEidServer {
  readonly issuer: string;
  readonly server: Server;
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
    audience: DEMO_AUDIENCE,
    ...(settings.accessTokenTtlSeconds ? { accessTokenTtlSeconds: settings.accessTokenTtlSeconds } : {}),
    ...(settings.scopes ? { scopes: settings.scopes } : {}),
    log,
  });
  server.on('request', eid.listener);
  log.info({ issuer: eid.issuer, port }, 'eID provider listening');
  return {
    issuer: eid.issuer,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
