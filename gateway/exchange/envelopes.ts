import type { KeyObject } from 'node:crypto';
import type { RequestClaims, ResponseClaims } from '../../schemas/index.ts';
import { sha256Base64Url, signCompactJws } from './compact-jws.ts';

/** A member's signing key with the certificate chain that proves which member it belongs to. */
export interface SigningIdentity {
  /** Printed member id, `INSTANCE/CLASS/MEMBER`. */
  readonly member: string;
  readonly privateKey: KeyObject;
  /** base64 DER, signing certificate first, then its issuing CA. */
  readonly x5c: readonly string[];
}

export const REQUEST_JWS_TYPE = 'einmal-req+jws';
export const RESPONSE_JWS_TYPE = 'einmal-res+jws';

/** Signs the request claims with the client member's key: the `Einmal-Request` header (DESIGN.md §5). */
export function signRequestClaims(claims: RequestClaims, signer: SigningIdentity): string {
  return signCompactJws({ alg: 'ES256', typ: REQUEST_JWS_TYPE, x5c: signer.x5c }, claims, signer.privateKey);
}

/** Signs the provider's response: binds status and body digest to the request JWS (DESIGN.md §5). */
export function signResponse(
  input: { id: string; requestJws: string; status: number; body: Uint8Array; now: number },
  signer: SigningIdentity,
): { jws: string; claims: ResponseClaims } {
  const claims: ResponseClaims = {
    v: 1,
    id: input.id,
    iat: Math.floor(input.now / 1000),
    req: sha256Base64Url(input.requestJws),
    status: input.status,
    body: sha256Base64Url(input.body),
  };
  const jws = signCompactJws(
    { alg: 'ES256', typ: RESPONSE_JWS_TYPE, x5c: signer.x5c },
    claims,
    signer.privateKey,
  );
  return { jws, claims };
}
