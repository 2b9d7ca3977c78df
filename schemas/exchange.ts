import { z } from 'zod';
import { EinmalError } from '../core/errors/index.ts';
import {
  HEADER,
  messageIdSchema,
  printableTextSchema,
  processingCodeSchema,
  subjectIdSchema,
} from './headers.ts';
import { printedClientIdSchema, printedServiceIdSchema } from './identifiers.ts';
import { canonicalInstantSchema } from './instant.ts';

/** base64url (no padding) of a SHA-256 digest: 43 characters. */
export const sha256Base64UrlSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, 'Must be a base64url SHA-256 digest');

/** An HTTP method token in upper case, e.g. `GET`. */
export const httpMethodSchema = z.string().regex(/^[A-Z]{1,16}$/, 'Must be an upper-case HTTP method');

/** A request path: starts with `/`, no query or fragment. */
export const requestPathSchema = z
  .string()
  .max(8192)
  .regex(/^\/[^?#\s]*$/, 'Must start with "/" and hold no query, fragment or whitespace');

/**
 * The longest `Einmal-Request` or `Einmal-Response` a gateway accepts or sends: what the audit
 * record's signature fields hold (8 KiB), so every accepted envelope is logged exactly as signed.
 */
export const MAX_SIGNED_ENVELOPE_LENGTH = 8192;

/** `x5c` of an exchange envelope: the signing certificate first, then at most three CAs (RFC 7515 §4.1.6). */
const x5cSchema = z
  .array(
    z
      .string()
      .max(4096)
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'Must be base64 DER'),
  )
  .min(1)
  .max(4);

/**
 * The protected header of `Einmal-Request` (docs/protocol.md §3.2): exactly `alg`, `typ` and `x5c`, nothing
 * else, so no member can make an envelope too large to log or ask the verifier for anything more
 * (`crit`, `jku`, `kid` are refused).
 */
export const requestJwsHeaderSchema = z.strictObject({
  alg: z.literal('ES256'),
  typ: z.literal('einmal-req+jws'),
  x5c: x5cSchema,
});

/** The protected header of `Einmal-Response`: exactly `alg`, `typ` and `x5c`. */
export const responseJwsHeaderSchema = z.strictObject({
  alg: z.literal('ES256'),
  typ: z.literal('einmal-res+jws'),
  x5c: x5cSchema,
});

/**
 * Payload of `Einmal-Request`, the JWS the consumer gateway signs with the client member's signing
 * key (docs/protocol.md §3.2). Every claim is present; absent context is `null`, so nothing can be
 * added later.
 * `query` is the digest of the raw query string (never its values: they may be personal data and
 * the JWS is logged); `path` is the canonical request path (see `canonicalRequestPath`), and
 * `hiddenUntil` is in the one UTC spelling, so what is signed is what is logged.
 * Version 2 names the service with five parts (`…/address-v1`); version 1 requests, with the
 * six-part ids of before, stay in stored records and bundles, which verify them as they were signed.
 */
export const requestClaimsSchema = z.strictObject({
  v: z.literal(2),
  id: z.uuid().refine((id) => id === id.toLowerCase(), 'Must be a lower-case UUID'),
  iat: z.int().nonnegative(),
  client: printedClientIdSchema,
  service: printedServiceIdSchema,
  method: httpMethodSchema,
  path: requestPathSchema,
  query: sha256Base64UrlSchema,
  body: sha256Base64UrlSchema,
  userId: printableTextSchema.nullable(),
  issue: printableTextSchema.nullable(),
  subject: subjectIdSchema.nullable(),
  purpose: processingCodeSchema.nullable(),
  legalBasis: processingCodeSchema.nullable(),
  consentRef: processingCodeSchema.nullable(),
  hiddenUntil: canonicalInstantSchema.nullable(),
  hiddenReason: printableTextSchema.nullable(),
  eid: sha256Base64UrlSchema.nullable(),
});

/** Payload of `Einmal-Request`. */
export type RequestClaims = z.infer<typeof requestClaimsSchema>;

/**
 * Payload of `Einmal-Response`, signed by the provider (docs/protocol.md §6.1): binds the response status and
 * body digest to the request JWS (`req` = base64url SHA-256 of the compact request JWS).
 */
export const responseClaimsSchema = z.strictObject({
  v: z.literal(1),
  id: z.uuid(),
  iat: z.int().nonnegative(),
  req: sha256Base64UrlSchema,
  status: z.int().min(100).max(599),
  body: sha256Base64UrlSchema,
});

/** Payload of `Einmal-Response`. */
export type ResponseClaims = z.infer<typeof responseClaimsSchema>;

/**
 * What the provider gateway verified and hands to the adapter (docs/protocol.md §5). `subject` is the
 * only data subject the adapter may answer about.
 */
export const verifiedContextSchema = z.strictObject({
  client: printedClientIdSchema,
  service: printedServiceIdSchema,
  messageId: messageIdSchema,
  subject: subjectIdSchema.nullable(),
  purpose: processingCodeSchema.nullable(),
  legalBasis: processingCodeSchema.nullable(),
  userId: printableTextSchema.nullable(),
  issue: printableTextSchema.nullable(),
});

/** The verified context an adapter receives. */
export type VerifiedContext = z.infer<typeof verifiedContextSchema>;

const verifiedHeaderNames = {
  client: HEADER.verifiedClient,
  service: HEADER.verifiedService,
  messageId: HEADER.verifiedMessageId,
  subject: HEADER.verifiedSubject,
  purpose: HEADER.verifiedPurpose,
  legalBasis: HEADER.verifiedLegalBasis,
  userId: HEADER.verifiedUserId,
  issue: HEADER.verifiedIssue,
} as const satisfies Record<keyof VerifiedContext, string>;

/**
 * The headers the provider gateway sends to its adapter for a verified context. Absent values are
 * left out (the gateway must also strip any such header the client sent).
 */
export function verifiedContextHeaders(context: VerifiedContext): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, name] of Object.entries(verifiedHeaderNames)) {
    const value = context[key as keyof VerifiedContext];
    if (value !== null) headers[name] = value;
  }
  return headers;
}

/**
 * Reads the verified context from the headers an adapter received from its gateway.
 * @throws EinmalError `Client.InvalidHeader` naming the first bad header
 */
export function parseVerifiedContextHeaders(get: (name: string) => string | undefined): VerifiedContext {
  const raw: Record<string, string | null> = {};
  for (const [key, name] of Object.entries(verifiedHeaderNames)) raw[key] = get(name) ?? null;
  const parsed = verifiedContextSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path[0] as keyof VerifiedContext | undefined;
    const name = key ? verifiedHeaderNames[key] : 'verified context';
    // Header values never reach the message: a malformed subject is still someone's identifier.
    const problem =
      key && raw[key] === null ? `${name} missing` : `${name}: ${issue?.message ?? 'malformed'}`;
    throw new EinmalError('Client.InvalidHeader', { message: problem, detail: { reason: problem } });
  }
  return parsed.data;
}
