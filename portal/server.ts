import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { parseCertificateBundle, parseCertificatePem } from '../certs/index.ts';
import { answerParserRefusal, type Logger, loadConfig, systemClock } from '../core/index.ts';
import { startOpsListener } from '../core/ops/index.ts';
import { createDirectoryClient, createRegistryFetch } from '../protocol/index.ts';
import { createPortalApp } from './app.tsx';
import { createLogVerifications } from './auditor/log-verification.ts';
import { createOidcLogin } from './auth/oidc-login.ts';
import { createTimelineLoader } from './citizen/timeline-loader.ts';
import { type PortalConfig, portalConfigSchema } from './config.ts';
import { createFederationView, type FederationView } from './federation/federation-view.ts';
import { createGatewayClient } from './federation/gateway-client.ts';
import { createPortalMetrics } from './metrics.ts';
import { createSessionStore } from './session/session-store.ts';

export interface RunningPortal {
  /** The address people open. */
  readonly url: string;
  readonly port: number;
  /** The operations listener's port (`/healthz`, `/readyz`, `/metrics`), when configured. */
  readonly opsPort: number | undefined;
  /** Fetches the directory now instead of at the next poll. */
  refreshDirectory(): Promise<void>;
  close(): Promise<void>;
}

/** Reads the portal's configuration from the environment; every problem is listed at once. */
export const readPortalConfig = (env: Record<string, string | undefined>): PortalConfig =>
  loadConfig(portalConfigSchema, env);

/**
 * Starts the portal: verifies the federation directory against the configuration anchor (as a
 * gateway does, with the gateway's directory client), keeps its view of the gateways and eID
 * issuers current, and listens (HTTPS with its own certificate, or plain HTTP behind a TLS proxy
 * or on loopback in development).
 */
export async function startPortal(config: PortalConfig, log: Logger): Promise<RunningPortal> {
  const anchorPem = await readFile(config.PORTAL_ANCHOR, 'utf8');
  const registryCa = config.PORTAL_CA ? await readFile(config.PORTAL_CA, 'utf8') : anchorPem;
  const registry = createRegistryFetch({ ca: registryCa });
  const directory = createDirectoryClient({
    url: config.PORTAL_DIRECTORY_URL,
    anchor: parseCertificatePem(anchorPem),
    cacheFile: config.PORTAL_DIRECTORY_CACHE,
    fetch: registry.fetch,
    clock: systemClock,
    log: log.child({ component: 'directory' }),
  });
  await directory.start();

  const gateways = createGatewayClient({ timeoutMs: config.PORTAL_GATEWAY_TIMEOUT_MS, cas: [anchorPem] });
  let view: FederationView | undefined;
  const apply = (next: ReturnType<typeof directory.current>) => {
    if (!next) return;
    view = createFederationView(next, anchorPem);
    gateways.trust(view.tlsCas);
  };
  apply(directory.current());
  const unsubscribe = directory.onChange((next) => apply(next));

  const publicUrl = new URL(config.PORTAL_PUBLIC_URL);
  const clock = Date.now;
  const instance = () => view?.directory.instance;
  const sessions = createSessionStore({ clock, idleMs: config.PORTAL_SESSION_IDLE_SECONDS * 1000 });
  const tlsFiles = config.PORTAL_TLS_CERT
    ? {
        cert: await readFile(config.PORTAL_TLS_CERT, 'utf8'),
        key: await readFile(config.PORTAL_TLS_KEY!, 'utf8'),
      }
    : undefined;
  const certificates = tlsFiles
    ? [{ name: 'tls', notAfter: parseCertificateBundle(tlsFiles.cert)[0]!.notAfter }]
    : [];
  const metrics = createPortalMetrics({ directory, sessions, certificates, clock });
  const app = createPortalApp({
    publicUrl,
    timeZone: config.PORTAL_TIME_ZONE,
    clock,
    log,
    sessions,
    login: createOidcLogin({
      clientId: config.PORTAL_OIDC_CLIENT_ID,
      clientSecret: config.PORTAL_OIDC_CLIENT_SECRET,
      redirectUri: new URL('/auth/callback', publicUrl).href,
      audience: () => `urn:einmal:${instance() ?? ''}`,
      clock,
      log: log.child({ component: 'login' }),
    }),
    federation: () => view,
    timelines: createTimelineLoader({ federation: () => view, client: gateways, clock, log }),
    gateways,
    verifications: createLogVerifications({
      client: gateways,
      log: log.child({ component: 'verification' }),
      witnessTimeoutMs: config.PORTAL_GATEWAY_TIMEOUT_MS,
    }),
  });

  const listener = getRequestListener(app.fetch);
  const server: Server = tlsFiles ? createHttpsServer(tlsFiles, listener) : createHttpServer(listener);
  server.keepAliveTimeout = 30_000;
  server.on('clientError', answerParserRefusal(log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORTAL_PORT, config.PORTAL_HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const ops =
    config.PORTAL_OPS_PORT === undefined
      ? undefined
      : await startOpsListener(
          { host: config.PORTAL_OPS_HOST, port: config.PORTAL_OPS_PORT },
          {
            metrics,
            checks: {
              directory: () => directory.freshness().fresh,
              keys: () => certificates.every((certificate) => certificate.notAfter.getTime() > clock()),
            },
          },
          log,
        );
  log.info({ url: publicUrl.href, port }, 'portal listening');
  return {
    url: publicUrl.href.replace(/\/$/, ''),
    port,
    opsPort: ops?.port,
    refreshDirectory: () => directory.refresh(),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await ops?.close();
      unsubscribe();
      directory.stop();
      await gateways.close();
      await registry.close();
    },
  };
}
