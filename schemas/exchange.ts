import { z } from 'zod';
import { EinmalError } from '../core/index.ts';
import {
  HEADER,
  messageIdSchema,
  printableTextSchema,
  processingCodeSchema,
  subjectIdSchema,
} from './headers.ts';
import { printedClientIdSchema, printedServiceIdSchema } from './identifiers.ts';

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

/** A raw query string without the leading `?` (empty when there is none). */
export const queryStringSchema = z
  .string()
  .max(8192)
  .regex(/^[^#\s]*$/, 'Must hold no fragment or whitespace');

const isoDateTime = z.iso.datetime({ offset: true });

/**
 * Payload of `Einmal-Request`, the JWS the consumer gateway signs with the client member's signing
 * key (DESIGN §5). Every claim is present; absent context is `null`, so nothing can be added later.
 */
export const requestClaimsSchema = z.strictObject({
  v: z.literal(1),
  id: z.uuid(),
  iat: z.int().nonnegative(),
  client: printedClientIdSchema,
  service: printedServiceIdSchema,
  method: httpMethodSchema,
  path: requestPathSchema,
  query: queryStringSchema,
  body: sha256Base64UrlSchema,
  userId: printableTextSchema.nullable(),
  issue: printableTextSchema.nullable(),
  subject: subjectIdSchema.nullable(),
  purpose: processingCodeSchema.nullable(),
  legalBasis: processingCodeSchema.nullable(),
  consentRef: processingCodeSchema.nullable(),
  hiddenUntil: isoDateTime.nullable(),
  hiddenReason: printableTextSchema.nullable(),
  eid: sha256Base64UrlSchema.nullable(),
});

/** Payload of `Einmal-Request`. */
export type RequestClaims = z.infer<typeof requestClaimsSchema>;

/**
 * Payload of `Einmal-Response`, signed by the provider (DESIGN §5): binds the response status and
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
 * What the provider gateway verified and hands to the adapter (DESIGN §5, §10). `subject` is the
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
    throw new EinmalError('Client.InvalidHeader', { message: `${name}: ${issue?.message ?? 'malformed'}` });
  }
  return parsed.data;
}
