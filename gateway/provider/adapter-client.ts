import { createSecureContext } from 'node:tls';
import { Agent, type Dispatcher, request } from 'undici';
import { EinmalError } from '../../core/index.ts';

export interface AdapterCall {
  /** Base URL of the adapter serving the service's subsystem. */
  readonly baseUrl: string;
  /** The X-Road service code, e.g. `address-v1`: the adapter serves it at `/{service code}{path}`. */
  readonly serviceCode: string;
  /** Path inside the service, percent-encoded, starting with `/`. */
  readonly path: string;
  readonly query: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

export interface AdapterResponse {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

/**
 * Calls registry adapters behind this gateway over keep-alive connections. Over HTTPS (the default
 * an adapter serves) the gateway presents its own TLS certificate, the one the adapter admits, and
 * checks the adapter's certificate against the federation CAs and the adapter's host name.
 */
export function createAdapterClient(options: {
  tls: { cert: string; key: string; ca: string };
  timeoutMs?: number;
}) {
  // One TLS context for every connection, as towards peer gateways: building it from the PEM texts
  // costs about as much as the handshake itself.
  const secureContext = createSecureContext(options.tls);
  const dispatcher: Dispatcher = new Agent({
    connections: 64,
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutMs ?? 30_000,
    bodyTimeout: options.timeoutMs ?? 30_000,
    connect: { secureContext, rejectUnauthorized: true },
  });
  return {
    async call(call: AdapterCall): Promise<AdapterResponse> {
      const base = call.baseUrl.replace(/\/$/, '');
      const path = `/${encodeURIComponent(call.serviceCode)}${call.path === '/' ? '' : call.path}`;
      const url = `${base}${path}${call.query ? `?${call.query}` : ''}`;
      try {
        const response = await request(url, {
          method: call.method as 'GET',
          headers: call.headers,
          body: call.body.length > 0 ? call.body : undefined,
          dispatcher,
        });
        const body = Buffer.from(await response.body.arrayBuffer());
        const contentType = response.headers['content-type'];
        return {
          status: response.statusCode,
          contentType: Array.isArray(contentType) ? contentType[0] : contentType,
          body,
        };
      } catch (error) {
        throw new EinmalError('Server.ServerProxy.ServiceFailed', { cause: error });
      }
    },
    /** GETs an adapter's own JSON resource, e.g. `/_einmal/services`. */
    async readJson(baseUrl: string, path: string): Promise<unknown> {
      const response = await request(`${baseUrl.replace(/\/$/, '')}${path}`, { dispatcher });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new Error(`adapter answered ${response.statusCode} for ${path}`);
      }
      return response.body.json();
    },
    close: () => dispatcher.close(),
  };
}

export type AdapterClient = ReturnType<typeof createAdapterClient>;
