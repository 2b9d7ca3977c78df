import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

/**
 * The certificate a client presented, as the adapter logs a refusal: enough to find it, and not
 * its subject name, which on a person's certificate (an auditor's, an operator's) is personal data.
 */
export interface PresentedCertificate {
  /** SHA-256 of its DER, lower-case hex: the form the directory lists gateways' certificates in. */
  readonly fingerprint: string;
  readonly serialNumber: string;
  readonly issuer: string;
}

/** Whether one TLS connection belongs to the provider gateway, decided once per connection. */
export type AdmissionVerdict =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly certificate: PresentedCertificate | null };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

const fingerprintOf = (certificate: X509Certificate): string =>
  createHash('sha256').update(certificate.raw).digest('hex');

/**
 * The SHA-256 fingerprints of the end-entity certificates in a PEM file: the gateway's TLS
 * certificate, or several during a renewal. CA certificates in the same file (a chain the operator
 * copied along) are skipped, so they can never pass as the gateway.
 */
export function gatewayFingerprints(pem: string): string[] {
  const fingerprints = (pem.match(PEM_CERTIFICATE) ?? [])
    .map((block) => new X509Certificate(block))
    .filter((certificate) => !certificate.ca)
    .map(fingerprintOf);
  if (fingerprints.length === 0) throw new TypeError('gatewayCert holds no end-entity certificate');
  return fingerprints;
}

/**
 * Admits exactly the provider gateway's TLS certificate (pinned by SHA-256). The TLS layer has
 * already checked that the client certificate chains to the federation CA; pinning narrows that to
 * one gateway, so another member's gateway, an information system or anyone else holding a valid
 * federation certificate cannot send forged verified-context headers straight to the adapter.
 * The verdict is kept per socket: reading the peer certificate is costly and a keep-alive
 * connection carries many requests.
 *
 * @example
 * const admission = createGatewayAdmission(readFileSync('gw1-tls.pem', 'utf8'));
 * if (!admission.check(request.socket as TLSSocket).admitted) refuse(response);
 */
export function createGatewayAdmission(gatewayCert: string) {
  const admitted = new Set(gatewayFingerprints(gatewayCert));
  const verdicts = new WeakMap<TLSSocket, AdmissionVerdict>();
  return {
    check(socket: TLSSocket): AdmissionVerdict {
      const known = verdicts.get(socket);
      if (known) return known;
      const peer = socket.getPeerX509Certificate();
      const certificate = peer
        ? {
            fingerprint: fingerprintOf(peer),
            serialNumber: peer.serialNumber.toLowerCase(),
            issuer: peer.issuer.replaceAll('\n', ', '),
          }
        : null;
      const verdict: AdmissionVerdict =
        certificate && admitted.has(certificate.fingerprint)
          ? { admitted: true }
          : { admitted: false, certificate };
      verdicts.set(socket, verdict);
      return verdict;
    },
  };
}
