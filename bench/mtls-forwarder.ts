import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { errorResponse } from '../core/errors/index.ts';
import { EinmalError } from '../core/index.ts';

/** PEM credentials of one TLS endpoint: its certificate chain, key and the CAs it trusts. */
export interface TlsCredentials {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

export interface MtlsForwarderOptions {
  /** Where to listen; callers must present a client certificate chaining to `tls.ca`. */
  readonly host?: string;
  readonly port: number;
  readonly tls: TlsCredentials;
  /** `https://…` (then `upstreamTls` is presented as client certificate) or `http://…`. */
  readonly upstream: string;
  readonly upstreamTls?: TlsCredentials;
  /** Keep-alive connections to the upstream (the gateways use 64). */
  readonly connections?: number;
}

export interface RunningForwarder {
  readonly port: number;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the ones the HTTP client sets itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
  'content-length',
]);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

/**
 * The benchmark's bare chain hop (docs/architecture.md §6): a mutual-TLS reverse proxy that forwards method,
 * path, headers and body unchanged over a keep-alive undici pool, with no signing, checks or log.
 * Two of them in a row (IS → A → B → adapter) are the same hops as the gateway pair, so the gateway
 * pair's throughput can be compared against pure transport cost.
 *
 * @example
 * const b = await startMtlsForwarder({ port: 0, tls: providerTls, upstream: adapterUrl });
 * const a = await startMtlsForwarder({ port: 0, tls: consumerTls, upstream: `https://localhost:${b.port}`,
 *   upstreamTls: consumerTls });
 */
export async function startMtlsForwarder(options: MtlsForwarderOptions): Promise<RunningForwarder> {
  const upstreamTls = options.upstreamTls;
  const pool = new Pool(options.upstream, {
    connections: options.connections ?? 64,
    keepAliveTimeout: 30_000,
    ...(upstreamTls ? { connect: { ...upstreamTls, rejectUnauthorized: true } } : {}),
  });

  async function forward(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    try {
      const upstream = await pool.request({
        method: request.method as 'GET',
        path: request.url ?? '/',
        headers: forwardable(request.headers),
        body: body.length > 0 ? body : undefined,
      });
      const answer = Buffer.from(await upstream.body.arrayBuffer());
      response.writeHead(upstream.statusCode, {
        ...forwardable(upstream.headers),
        'content-length': String(answer.length),
      });
      response.end(answer);
    } catch (cause) {
      const failure = errorResponse(
        new EinmalError('Server.ClientProxy.NetworkError', { cause }),
        randomUUID(),
      );
      if (!response.headersSent) response.writeHead(failure.status, failure.headers);
      response.end(failure.body);
    }
  }

  const server = createServer(
    { ...options.tls, requestCert: true, rejectUnauthorized: true },
    (request, response) => void forward(request, response),
  );
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.close();
    },
  };
}
