import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

/** Mutual TLS for an adapter: only the provider gateway, holding a certificate under `ca`, gets in. */
export interface AdapterTls {
  /** PEM certificate chain of the adapter. */
  readonly cert: string;
  /** PEM private key of the adapter. */
  readonly key: string;
  /** PEM certificate(s) of the CA that issued the provider gateway's authentication certificate. */
  readonly ca: string;
  readonly requestCert: true;
}

export interface ServeAdapterOptions {
  readonly app: Hono;
  /** Defaults to loopback: an adapter answers only its gateway. */
  readonly host?: string;
  /** `0` picks a free port. */
  readonly port: number;
  readonly tls?: AdapterTls;
}

/** A listening adapter. */
export interface RunningAdapter {
  /** Base URL the gateway is configured with, e.g. `https://127.0.0.1:4420`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves an adapter app over HTTP, or over HTTPS that demands a client certificate chained to
 * `tls.ca` when TLS is configured; any other client is cut off in the handshake.
 *
 * @example
 * const adapter = await serveAdapter({ app, port: 4420, tls: { cert, key, ca, requestCert: true } });
 */
export function serveAdapter(options: ServeAdapterOptions): Promise<RunningAdapter> {
  const host = options.host ?? '127.0.0.1';
  const tls = options.tls;
  return new Promise((resolve, reject) => {
    const common = { fetch: options.app.fetch, hostname: host, port: options.port };
    const server = tls
      ? serve({
          ...common,
          createServer: createHttpsServer,
          serverOptions: {
            cert: tls.cert,
            key: tls.key,
            ca: tls.ca,
            requestCert: true,
            rejectUnauthorized: true,
            minVersion: 'TLSv1.2',
          },
        })
      : serve(common);
    server.once('error', reject);
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      const printedHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `${tls ? 'https' : 'http'}://${printedHost}:${port}`,
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
  });
}
