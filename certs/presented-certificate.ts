import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** The certificate a TLS client presented, as far as a service matches it against its records. */
export interface PresentedCertificate {
  /** SHA-256 of the DER certificate, lower-case hex without colons. */
  readonly fingerprint: string;
  /** Serial number, lower-case hex without leading zeros. */
  readonly serialNumber: string;
}

const presented = new WeakMap<Socket, PresentedCertificate | null>();

/**
 * The certificate the client of a TLS socket presented, read once per connection
 * (`getPeerCertificate()` is costly and a keep-alive connection carries many requests); `null`
 * without one. The handshake proves the client holds the certificate's private key; whether the
 * certificate chains to a CA is not decided here, so a caller accepts it only by matching its
 * fingerprint against certificates it registered itself (the registry's witness against a gateway's
 * authentication certificates).
 *
 * @example
 * const certificate = presentedCertificateOf(c.env.incoming?.socket);
 * if (!certificate || !gateway.authCertificateFingerprints.includes(certificate.fingerprint)) refuse();
 */
export function presentedCertificateOf(socket: Socket | undefined): PresentedCertificate | null {
  if (!socket) return null;
  const cached = presented.get(socket);
  if (cached !== undefined) return cached;
  const tls = socket as TLSSocket;
  let certificate: PresentedCertificate | null = null;
  if (typeof tls.getPeerCertificate === 'function') {
    const peer = tls.getPeerCertificate();
    if (peer?.raw && peer.fingerprint256) {
      certificate = {
        fingerprint: peer.fingerprint256.replaceAll(':', '').toLowerCase(),
        serialNumber: peer.serialNumber.toLowerCase().replace(/^0+(?=.)/, ''),
      };
    }
  }
  presented.set(socket, certificate);
  return certificate;
}
