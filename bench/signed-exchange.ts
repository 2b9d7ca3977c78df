import type { webcrypto } from 'node:crypto';
import { sha256Base64Url, signCompactJws } from '../protocol/codec/index.ts';
import type { AuditRecord } from '../schemas/index.ts';

/** A member's signing key and its `x5c` chain (base64 DER, signer first). */
export interface BenchSigner {
  readonly keys: { readonly privateKey: webcrypto.CryptoKey };
  readonly chain: readonly string[];
}

/**
 * The request and response JWS of a successful exchange as the gateways sign them (ES256, `x5c`):
 * the request by the client's member over what the record copies from it, the response by the
 * service's member over the message id, status and request digest. With them the record is
 * evidence the offline verifier accepts; the record's digests are of these JWS.
 */
export function signExchange(
  record: AuditRecord,
  signers: { readonly client: BenchSigner; readonly service: BenchSigner },
): Pick<AuditRecord, 'requestSignature' | 'responseSignature' | 'requestDigest' | 'responseDigest'> {
  const request = es256(signers.client, 'einmal-req+jws', {
    v: 2,
    id: record.messageId,
    client: record.client,
    service: record.service,
    method: record.method,
    path: record.path,
    subject: record.subject,
    userId: record.userId,
    issue: record.issue,
    purpose: record.purpose,
    legalBasis: record.legalBasis,
    consentRef: record.consentRef,
    hiddenUntil: record.hiddenUntil,
    hiddenReason: record.hiddenReason,
    eid: record.eidDigest,
  });
  const requestDigest = sha256Base64Url(request);
  const response = es256(signers.service, 'einmal-res+jws', {
    v: 1,
    id: record.messageId,
    req: requestDigest,
    status: record.status,
  });
  return {
    requestSignature: request,
    responseSignature: response,
    requestDigest,
    responseDigest: sha256Base64Url(response),
  };
}

const es256 = (signer: BenchSigner, typ: string, payload: unknown) =>
  signCompactJws({ alg: 'ES256', typ, x5c: signer.chain }, payload, signer.keys.privateKey);
