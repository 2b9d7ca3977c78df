import { createSecureContext, type PeerCertificate } from 'node:tls';
import { Pool } from 'undici';
import { EinmalError } from '../../core/index.ts';

export interface PeerTls {
  /** This gateway's authentication certificate chain (PEM) and key. */
  readonly cert: string;
  readonly key: string;
  /** Trusted CAs of the federation (PEM). */
  readonly ca: string;
}

export interface PeerCall {
  /** `https://host:port` of the provider gateway. */
  readonly address: string;
  /** SHA-256 fingerprints (lower-case hex) the directory lists for that gateway. */
  readonly fingerprints: readonly string[];
  readonly method: string;
  /** Path and query, unchanged from the client's request. */
  readonly pathAndQuery: string;
  readonly headers: Record<string, string>;
  readonly body: Uint8Array;
}

export interface PeerResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

const fingerprintHex = (cert: PeerCertificate): string =>
  cert.fingerprint256.replaceAll(':', '').toLowerCase();

/**
 * Mutual-TLS keep-alive connection pools to provider gateways (docs/protocol.md §3), one pool per address.
 * A connection is only used when the provider presents an authentication certificate whose
 * fingerprint the directory lists for the gateway being called.
 */
export function createPeerClient(tls: PeerTls, options: { connections?: number; timeoutMs?: number } = {}) {
  const pools = new Map<string, { pool: Pool; fingerprints: Set<string> }>();
  // One TLS context for every connection: building it (key, chain, CA store) costs far more than a handshake.
  const secureContext = createSecureContext({ cert: tls.cert, key: tls.key, ca: tls.ca });

  function poolFor(address: string, fingerprints: readonly string[]) {
    let entry = pools.get(address);
    if (!entry) {
      const allowed = new Set<string>();
      const pool = new Pool(address, {
        connections: options.connections ?? 64,
        keepAliveTimeout: 30_000,
        headersTimeout: options.timeoutMs ?? 30_000,
        bodyTimeout: options.timeoutMs ?? 30_000,
        connect: {
          secureContext,
          rejectUnauthorized: true,
          // The peer is identified by its listed certificate, not by a host name.
          checkServerIdentity: (_host: string, cert: PeerCertificate) =>
            allowed.has(fingerprintHex(cert))
              ? undefined
              : new Error('provider gateway certificate is not listed in the directory'),
        },
      });
      entry = { pool, fingerprints: allowed };
      pools.set(address, entry);
    }
    entry.fingerprints.clear();
    for (const fp of fingerprints) entry.fingerprints.add(fp);
    return entry.pool;
  }

  return {
    async send(call: PeerCall): Promise<PeerResponse> {
      const pool = poolFor(call.address, call.fingerprints);
      try {
        const response = await pool.request({
          method: call.method as 'GET',
          path: call.pathAndQuery,
          headers: call.headers,
          body: call.body.length > 0 ? call.body : undefined,
        });
        const body = Buffer.from(await response.body.arrayBuffer());
        return { status: response.statusCode, headers: response.headers, body };
      } catch (error) {
        throw new EinmalError('Server.ClientProxy.NetworkError', {
          cause: error,
          detail: { address: call.address },
        });
      }
    },
    async close(): Promise<void> {
      await Promise.all([...pools.values()].map((entry) => entry.pool.close()));
      pools.clear();
    },
  };
}

export type PeerClient = ReturnType<typeof createPeerClient>;
