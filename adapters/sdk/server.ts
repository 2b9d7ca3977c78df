import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { answerParserRefusal, EinmalError, errorResponse } from '../../core/errors/index.ts';
import { createGatewayAdmission } from './gateway-admission.ts';

/**
 * Mutual TLS for an adapter (docs/protocol.md §5): the client must present a certificate that chains to
 * the federation CA (`ca`, checked in the handshake) and is the provider gateway's own TLS
 * certificate (`gatewayCert`, pinned by SHA-256; anyone else gets 403 `Adapter.NotGateway`).
 */
export interface AdapterTls {
  /** PEM certificate chain of the adapter, issued by the federation PKI. */
  readonly cert: string;
  /** PEM private key of the adapter. */
  readonly key: string;
  /** PEM certificates of the federation CA (root and issuing): client chains must end here. */
  readonly ca: string;
  /**
   * PEM of the provider gateway's TLS certificate (the file named by its `GATEWAY_TLS_CERT`); two
   * during a renewal. CA certificates in the file are ignored.
   */
  readonly gatewayCert: string;
}

interface ServeCommon {
  readonly app: Hono;
  /** Defaults to loopback. */
  readonly host?: string;
  /** `0` picks a free port. */
  readonly port: number;
  /** Where refused clients are logged. */
  readonly log: Logger;
}

/** HTTPS with mutual TLS (the default), or plain HTTP for development on a loopback address. */
export type AdapterListening =
  | { readonly tls: AdapterTls }
  | { readonly plainHttp: 'development-on-loopback' };

export type ServeAdapterOptions = ServeCommon & AdapterListening;

/** A listening adapter. */
export interface RunningAdapter {
  /** Base URL the gateway is configured with, e.g. `https://127.0.0.1:4420`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Whether `host` is a loopback address (plain HTTP may only listen there). */
export const isLoopbackHost = (host: string): boolean =>
  LOOPBACK.has(host) || (isIP(host) === 4 && host.startsWith('127.'));

/**
 * The HTTPS server that asks every caller for a certificate chained to `tls.ca`. Settings Node
 * cannot use (no CA certificate, a key of another certificate, a file that is not PEM) throw a
 * `TypeError` that names the setting, as other mistakes in an adapter's set-up do.
 */
function createTlsServer(
  tls: AdapterTls,
  handle: (request: IncomingMessage, response: ServerResponse) => void,
): ReturnType<typeof createHttpsServer> {
  if (!tls.ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new TypeError('tls.ca holds no certificate: give the federation CA certificates (PEM)');
  }
  try {
    return createHttpsServer(
      {
        cert: tls.cert,
        key: tls.key,
        ca: tls.ca,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      },
      handle,
    );
  } catch (error) {
    throw new TypeError(
      `the adapter's TLS certificate and key cannot be used (${(error as Error).message}): tls.cert must hold the adapter's certificate and tls.key its private key, both PEM`,
      { cause: error },
    );
  }
}

/** How long an idle connection of the provider gateway stays open, as on the gateway's own listeners. */
const KEEP_ALIVE_MS = 60_000;

/**
 * Serves an adapter app to its provider gateway only: HTTPS that requires a client certificate
 * chained to `tls.ca` (others are cut off in the handshake) and answers 403 `Adapter.NotGateway`,
 * with a log line, to every certificate but the gateway's. Plain HTTP must be asked for by name and
 * listens on loopback only.
 *
 * @example
 * const adapter = await serveAdapter({ app, port: 4420, log, tls: { cert, key, ca, gatewayCert } });
 */
export function serveAdapter(options: ServeAdapterOptions): Promise<RunningAdapter> {
  const host = options.host ?? '127.0.0.1';
  const listener = getRequestListener(options.app.fetch);
  let server: ReturnType<typeof createHttpServer>;
  if ('tls' in options) {
    const { tls, log } = options;
    const admission = createGatewayAdmission(tls.gatewayCert);
    server = createTlsServer(tls, (request, response) => {
      const socket = request.socket as TLSSocket;
      const verdict = admission.check(socket);
      if (verdict.admitted) return listener(request, response);
      const errorId = randomUUID();
      log.warn(
        {
          errorId,
          code: NOT_GATEWAY,
          certificate: verdict.certificate,
          remoteAddress: socket.remoteAddress,
          method: request.method,
        },
        'refused a client that is not the provider gateway',
      );
      refuse(request, response, errorId);
    });
  } else {
    if (options.plainHttp !== 'development-on-loopback' || !isLoopbackHost(host)) {
      throw new TypeError(`an adapter serves plain HTTP only on a loopback address, not on ${host}`);
    }
    server = createHttpServer(listener);
  }
  // The gateway keeps its connection to the adapter while the adapter says it may (`Keep-Alive`);
  // Node's 5 s default would cost a low-traffic gateway a mutual-TLS handshake on most exchanges.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.on('clientError', answerParserRefusal(options.log));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const printedHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `${'tls' in options ? 'https' : 'http'}://${printedHost}:${port}`,
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}

const NOT_GATEWAY = 'Adapter.NotGateway' as const;

/**
 * The X-Road error body (pr-rest §4.4) for a client that is not the gateway, its `detail` the id of
 * the log line; the request is not read and the connection closes.
 */
function refuse(request: IncomingMessage, response: ServerResponse, errorId: string): void {
  const { status, headers, body } = errorResponse(new EinmalError(NOT_GATEWAY), errorId);
  request.resume();
  response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body), connection: 'close' });
  response.end(body);
}
