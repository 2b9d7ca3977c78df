import type { KeyObject } from 'node:crypto';
import type { z } from 'zod';
import {
  compactJwtSchema,
  MAX_SIGNED_ENVELOPE_LENGTH,
  type RequestClaims,
  type ResponseClaims,
  requestJwsHeaderSchema,
  responseJwsHeaderSchema,
} from '../schemas/index.ts';
import { type DecodedJws, decodeCompactJws, sha256Base64Url, signCompactJws } from './codec/compact-jws.ts';

/** A member's signing key with the certificate chain that proves which member it belongs to. */
export interface SigningIdentity {
  /** Printed member id, `INSTANCE/CLASS/MEMBER`. */
  readonly member: string;
  readonly privateKey: KeyObject;
  /** base64 DER, signing certificate first, then its issuing CA. */
  readonly x5c: readonly string[];
}

/**
 * A signed envelope with its digest, `b64url(sha256(jws))`: the response's `req` claim and the
 * record's digest. Made once per envelope by {@link digestEnvelope}, so an exchange hashes its
 * request once however many places name it.
 */
export interface DigestedEnvelope {
  readonly jws: string;
  readonly digest: string;
}

export const digestEnvelope = (jws: string): DigestedEnvelope => ({ jws, digest: sha256Base64Url(jws) });

export const REQUEST_JWS_TYPE = 'einmal-req+jws';
export const RESPONSE_JWS_TYPE = 'einmal-res+jws';

/** Signs the request claims with the client member's key: the `Einmal-Request` header (docs/protocol.md §3.2). */
export function signRequestClaims(claims: RequestClaims, signer: SigningIdentity): string {
  return signCompactJws({ alg: 'ES256', typ: REQUEST_JWS_TYPE, x5c: signer.x5c }, claims, signer.privateKey);
}

/** Signs the provider's response: binds status and body digest to the request JWS (docs/protocol.md §6.1). */
export function signResponse(
  input: { id: string; request: DigestedEnvelope; status: number; body: Uint8Array; now: number },
  signer: SigningIdentity,
): { jws: string; claims: ResponseClaims } {
  const claims: ResponseClaims = {
    v: 1,
    id: input.id,
    iat: Math.floor(input.now / 1000),
    req: input.request.digest,
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

/** A decoded envelope whose form the protocol allows (not yet its signature or its claims). */
export type EnvelopeDecoding =
  | { readonly ok: true; readonly jws: DecodedJws & { readonly header: { readonly x5c: string[] } } }
  | { readonly ok: false; readonly problem: string };

function decodeEnvelope(text: string, headerSchema: z.ZodType): EnvelopeDecoding {
  // Checked first and cheaply: an envelope the audit record cannot hold is never accepted, so every
  // accepted one is logged exactly as it was signed.
  if (text.length > MAX_SIGNED_ENVELOPE_LENGTH) {
    return { ok: false, problem: `longer than ${MAX_SIGNED_ENVELOPE_LENGTH} characters` };
  }
  if (!compactJwtSchema.safeParse(text).success) return { ok: false, problem: 'not a compact JWS' };
  const jws = decodeCompactJws(text);
  if (!jws) return { ok: false, problem: 'header or payload is not a JSON object' };
  const header = headerSchema.safeParse(jws.header);
  if (!header.success) {
    return { ok: false, problem: `header ${header.error.issues[0]?.path.join('.') || 'member'} not allowed` };
  }
  return { ok: true, jws: jws as DecodedJws & { header: { x5c: string[] } } };
}

/**
 * Decodes an `Einmal-Request` and checks its form (docs/protocol.md §3.2): at most
 * {@link MAX_SIGNED_ENVELOPE_LENGTH} characters, three base64url parts, and a header of exactly
 * `alg: ES256`, `typ: einmal-req+jws` and a bounded `x5c`. The signature and claims are the
 * caller's next checks.
 */
export const decodeRequestEnvelope = (text: string): EnvelopeDecoding =>
  decodeEnvelope(text, requestJwsHeaderSchema);

/** Decodes an `Einmal-Response` and checks its form, as {@link decodeRequestEnvelope} does. */
export const decodeResponseEnvelope = (text: string): EnvelopeDecoding =>
  decodeEnvelope(text, responseJwsHeaderSchema);
