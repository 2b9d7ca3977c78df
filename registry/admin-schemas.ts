import { z } from 'zod';
import { directorySchema, hasControlCharacter, printedSubsystemIdSchema } from '../schemas/index.ts';

/*
 * Admin API bodies reuse the directory's entry schemas, so whatever the operator may enter is what
 * the directory may carry, with one definition of each rule.
 */
const entries = directorySchema.in.shape;

/** `POST /admin/members`. */
export const memberBodySchema = entries.members.element.omit({ subsystems: true });

/** `POST /admin/subsystems`. */
export const subsystemBodySchema = z.strictObject({ id: printedSubsystemIdSchema });

/** `POST /admin/gateways`. */
export const gatewayBodySchema = entries.gateways.element;

/** `POST /admin/services`; the directory's consistency rules for a service, checked up front. */
export const serviceBodySchema = entries.services.element
  .refine((s) => !s.personalData || s.purposes.length > 0, {
    message: 'A personal-data service needs at least one purpose',
    path: ['purposes'],
  })
  .refine((s) => s.eidScope === null || s.requiredLoa !== null, {
    message: 'A service with an eID scope needs a required level',
    path: ['requiredLoa'],
  });

/** `POST /admin/groups`. */
export const groupBodySchema = entries.groups.element;

/** `POST /admin/eid-issuers`. */
export const eidIssuerBodySchema = entries.eidIssuers.element;

/** `POST /admin/cas`. */
export const caBodySchema = entries.approvedCas.element;

/** A value naming an entry: no control characters, which no entry holds (nor PostgreSQL, NUL). */
const name = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => !hasControlCharacter(value), 'Must not contain control characters');

/** `POST /admin/revocations`; `revokedAt` defaults to now. */
export const revocationBodySchema = z.strictObject({
  issuer: name(1024),
  serialNumber: z
    .string()
    .regex(/^[0-9a-fA-F]{1,64}$/, 'Must be hex')
    .transform((serial) => serial.toLowerCase()),
  revokedAt: z.iso.datetime({ offset: true }).optional(),
});

/** The query naming an entry to remove: `?id=` for identified entries. */
export const idQuerySchema = z.strictObject({ id: name(1200) });
/**
 * `POST /admin/gateway-certificates` and `DELETE /admin/gateway-certificates?gateway=&fingerprint=`:
 * one auth certificate of a gateway, added beside the old one for a renewal and withdrawn after it.
 */
export const gatewayCertificateSchema = z.strictObject({
  gateway: name(1200),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/, 'Must be a lower-case hex SHA-256'),
});
/** `DELETE /admin/eid-issuers?issuer=`. */
export const issuerQuerySchema = z.strictObject({ issuer: name(2048) });
/** `DELETE /admin/cas?name=`. */
export const caQuerySchema = z.strictObject({ name: name(200) });
/** `DELETE /admin/revocations?issuer=&serialNumber=`. */
export const revocationQuerySchema = z.strictObject({
  issuer: name(1024),
  serialNumber: z.string().regex(/^[0-9a-fA-F]{1,64}$/, 'Must be hex'),
});
