import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EinmalError, type ErrorCode } from '../core/errors/index.ts';
import { type ClientId, identifierPartSchema, parseClientId } from './identifiers.ts';
import { instantSchema } from './instant.ts';

/**
 * Wire header names (docs/protocol.md §2–§3), lower-case as Node and fetch report them. `X-Road-*` follow the
 * X-Road Message Protocol for REST v1; `Einmal-*` are this project's extensions.
 */
export const HEADER = {
  // X-Road pr-rest, client API and responses.
  client: 'x-road-client',
  messageId: 'x-road-id',
  userId: 'x-road-userid',
  issue: 'x-road-issue',
  representedParty: 'x-road-represented-party',
  service: 'x-road-service',
  requestHash: 'x-road-request-hash',
  error: 'x-road-error',
  requestId: 'x-road-request-id',
  // einmal extensions sent by the information system.
  eidToken: 'einmal-eid-token',
  subject: 'einmal-subject',
  purpose: 'einmal-purpose',
  legalBasis: 'einmal-legal-basis',
  consentReference: 'einmal-consent-reference',
  hiddenUntil: 'einmal-hidden-until',
  hiddenReason: 'einmal-hidden-reason',
  // Gateway ↔ gateway signatures.
  request: 'einmal-request',
  response: 'einmal-response',
  // Verified context, provider gateway → adapter. Subject, purpose and legal basis reuse the names
  // above: the provider gateway replaces whatever the client sent with the verified values.
  verifiedClient: 'einmal-client',
  verifiedSubject: 'einmal-subject',
  verifiedPurpose: 'einmal-purpose',
  verifiedLegalBasis: 'einmal-legal-basis',
  verifiedMessageId: 'einmal-message-id',
  verifiedUserId: 'einmal-user-id',
  verifiedIssue: 'einmal-issue',
  verifiedService: 'einmal-service',
} as const;

/** A wire header name. */
export type HeaderName = (typeof HEADER)[keyof typeof HEADER];

/**
 * A data subject's identifier: an ISO 3166 country prefix and 4–32 upper-case letters or digits,
 * e.g. `DE65402138797`. Lower-case letters are refused so one person has exactly one spelling and
 * an access cannot be logged under a variant the citizen never searches for.
 */
export const subjectIdSchema = z
  .string()
  .regex(
    /^[A-Z]{2}[A-Z0-9]{4,32}$/,
    'Subject must be a country prefix and 4–32 upper-case letters or digits',
  );

/** Purpose, legal-basis and consent-reference codes, e.g. `parking-permit`, `de-bmg-34`. */
export const processingCodeSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, 'Must be 1–128 characters of letters, digits and ._:/-');

/** Free text an official supplies (user id, case number, hiding reason): printable ASCII, ≤ 200. */
export const printableTextSchema = z
  .string()
  .min(1, 'Must not be empty')
  .max(200, 'Must be at most 200 characters')
  .regex(/^[\x20-\x7e]*$/, 'Must be printable ASCII');

/** A compact JWS/JWT (three base64url parts), at most 8 KiB. */
export const compactJwtSchema = z
  .string()
  .max(8192, 'Must be at most 8 KiB')
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'Must be a compact JWT');

/** The message id of an exchange, as signed and logged: a UUID, normalised to lower case. */
export const messageIdSchema = z
  .string()
  .max(36)
  .transform((id) => id.toLowerCase())
  .pipe(z.uuid());

/**
 * `X-Road-Id` as an information system may choose it (pr-rest recommends, not requires, a UUID):
 * 1–128 letters, digits and `._:-`, starting with a letter or digit. The gateway signs and logs
 * the exchange under {@link exchangeMessageId} of it.
 */
export const clientMessageIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/,
    'Must be 1–128 letters, digits and ._:- starting with a letter or digit',
  );

/**
 * The exchange's message id for a client-chosen `X-Road-Id`: a UUID in lower case as it is, any
 * other id the name-based UUID (RFC 9562 version 8, from SHA-256) of the client and the id, so one
 * client's id is never another's and the same id from the same client is the same exchange id (and
 * refused as a duplicate).
 * @example exchangeMessageId('DEMO/GOV/munich/parking-permits', 'DEMO-client-generated-id-1')
 */
export function exchangeMessageId(client: string, chosen: string): string {
  const uuid = messageIdSchema.safeParse(chosen);
  if (uuid.success) return uuid.data;
  const hash = createHash('sha256').update(`${client}\n${chosen}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x80;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `X-Road-Represented-Party`: `[CLASS/]CODE` (X-Road pr-rest §4.3). */
export const representedPartySchema = z
  .string()
  .max(129)
  .refine((text) => {
    const parts = text.split('/');
    return parts.length <= 2 && parts.every((part) => identifierPartSchema.safeParse(part).success);
  }, 'Must be [CLASS/]CODE');

/** What an information system declared in its request to its own gateway, validated. */
export interface ClientRequestContext {
  readonly client: ClientId;
  /** The `X-Road-Id` as the client chose it, when it sent one (the gateway generates one otherwise). */
  readonly messageId?: string;
  readonly userId?: string;
  readonly issue?: string;
  readonly representedParty?: string;
  readonly eidToken?: string;
  readonly subject?: string;
  readonly purpose?: string;
  readonly legalBasis?: string;
  readonly consentRef?: string;
  /** ISO date-time in UTC. */
  readonly hiddenUntil?: string;
  readonly hiddenReason?: string;
}

type OptionalHeaderKey = Exclude<keyof ClientRequestContext, 'client'>;

const optionalHeaders: readonly {
  readonly key: OptionalHeaderKey;
  readonly header: string;
  readonly display: string;
  readonly schema: z.ZodType<string, string>;
  readonly code: ErrorCode;
}[] = [
  {
    key: 'messageId',
    header: HEADER.messageId,
    display: 'X-Road-Id',
    schema: clientMessageIdSchema,
    code: 'Client.InvalidMessageId',
  },
  {
    key: 'userId',
    header: HEADER.userId,
    display: 'X-Road-UserId',
    schema: printableTextSchema,
    code: 'Client.InvalidHeader',
  },
  {
    key: 'issue',
    header: HEADER.issue,
    display: 'X-Road-Issue',
    schema: printableTextSchema,
    code: 'Client.InvalidHeader',
  },
  {
    key: 'representedParty',
    header: HEADER.representedParty,
    display: 'X-Road-Represented-Party',
    schema: representedPartySchema,
    code: 'Client.InvalidHeader',
  },
  {
    key: 'eidToken',
    header: HEADER.eidToken,
    display: 'Einmal-Eid-Token',
    schema: compactJwtSchema,
    code: 'Client.InvalidHeader',
  },
  {
    key: 'subject',
    header: HEADER.subject,
    display: 'Einmal-Subject',
    schema: subjectIdSchema,
    code: 'Client.InvalidSubject',
  },
  {
    key: 'purpose',
    header: HEADER.purpose,
    display: 'Einmal-Purpose',
    schema: processingCodeSchema,
    code: 'Client.InvalidHeader',
  },
  {
    key: 'legalBasis',
    header: HEADER.legalBasis,
    display: 'Einmal-Legal-Basis',
    schema: processingCodeSchema,
    code: 'Client.InvalidHeader',
  },
  {
    key: 'consentRef',
    header: HEADER.consentReference,
    display: 'Einmal-Consent-Reference',
    schema: processingCodeSchema,
    code: 'Client.InvalidHeader',
  },
  {
    key: 'hiddenUntil',
    header: HEADER.hiddenUntil,
    display: 'Einmal-Hidden-Until',
    schema: instantSchema,
    code: 'Client.InvalidHeader',
  },
  {
    key: 'hiddenReason',
    header: HEADER.hiddenReason,
    display: 'Einmal-Hidden-Reason',
    schema: printableTextSchema,
    code: 'Client.InvalidHeader',
  },
];

/**
 * Reads and validates the headers an information system sends to its gateway (docs/protocol.md §2.1).
 * `get` returns a header's value by lower-case name (e.g. Hono's `c.req.header`).
 * Each bad header is refused with its own code and a message naming the header; the value is never
 * echoed (it may be personal data or a token).
 *
 * @throws EinmalError `Client.MissingClient`, `Client.InvalidIdentifier`, `Client.InvalidMessageId`,
 *   `Client.InvalidSubject` or `Client.InvalidHeader`
 * @example parseClientRequestHeaders((name) => c.req.header(name))
 */
export function parseClientRequestHeaders(get: (name: string) => string | undefined): ClientRequestContext {
  const rawClient = get(HEADER.client);
  if (rawClient === undefined || rawClient.trim() === '') throw new EinmalError('Client.MissingClient');
  let client: ClientId;
  try {
    client = parseClientId(rawClient);
  } catch (error) {
    throw new EinmalError('Client.InvalidIdentifier', {
      message: `X-Road-Client: ${error instanceof Error ? error.message : 'malformed identifier'}`,
    });
  }
  const context: { -readonly [K in keyof ClientRequestContext]: ClientRequestContext[K] } = { client };
  for (const { key, header, display, schema, code } of optionalHeaders) {
    const raw = get(header);
    if (raw === undefined) continue;
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const reason = parsed.error.issues[0]?.message ?? 'malformed';
      throw new EinmalError(code, { message: `${display}: ${reason}` });
    }
    context[key] = parsed.data;
  }
  if (context.hiddenReason !== undefined && context.hiddenUntil === undefined) {
    throw new EinmalError('Client.InvalidHeader', {
      message: 'Einmal-Hidden-Reason: only allowed together with Einmal-Hidden-Until',
    });
  }
  return context;
}
