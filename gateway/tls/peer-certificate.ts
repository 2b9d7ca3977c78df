import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** What a gateway needs to know of the certificate a TLS peer presented. */
export interface PeerIdentity {
  /** SHA-256 of the DER certificate, lower-case hex without colons. */
  readonly fingerprint: string;
  readonly serialNumber: string;
  /** The issuer's distinguished name, as OpenSSL prints it. */
  readonly issuer: string;
  readonly raw: Buffer;
}

const identities = new WeakMap<Socket, PeerIdentity | null>();

/**
 * The verified client certificate of a TLS socket, read once per connection: getPeerCertificate()
 * is costly, and a keep-alive connection carries many requests. `null` when there is none
 * (plain HTTP, or a client that sent no certificate).
 */
export function peerIdentityOf(socket: Socket | undefined): PeerIdentity | null {
  if (!socket) return null;
  const cached = identities.get(socket);
  if (cached !== undefined) return cached;
  const tls = socket as TLSSocket;
  let identity: PeerIdentity | null = null;
  if (typeof tls.getPeerCertificate === 'function' && tls.authorized) {
    const cert = tls.getPeerCertificate();
    if (cert?.raw) {
      identity = {
        fingerprint: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
        serialNumber: cert.serialNumber.toLowerCase().replace(/^0+(?=.)/, ''),
        issuer: Object.entries(cert.issuer ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(', '),
        raw: cert.raw,
      };
    }
  }
  identities.set(socket, identity);
  return identity;
}
