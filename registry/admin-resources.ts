import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { certificateFingerprint, parseCertificatePem, x509 } from '../certs/index.ts';
import { EinmalError } from '../core/index.ts';
import {
  caBodySchema,
  caQuerySchema,
  eidIssuerBodySchema,
  gatewayBodySchema,
  gatewayCertificateSchema,
  groupBodySchema,
  idQuerySchema,
  issuerQuerySchema,
  memberBodySchema,
  revocationBodySchema,
  revocationQuerySchema,
  serviceBodySchema,
  subsystemBodySchema,
} from './admin-schemas.ts';
import {
  addApprovedCa,
  addEidIssuer,
  addGateway,
  addGatewayAuthCertificate,
  addGlobalGroup,
  addMember,
  addRevocation,
  addService,
  addSubsystem,
  listApprovedCas,
  listEidIssuers,
  listGateways,
  listGlobalGroups,
  listMembers,
  listRevocations,
  listServices,
  listSubsystems,
  type RegistryDb,
  removeApprovedCa,
  removeEidIssuer,
  removeGateway,
  removeGatewayAuthCertificate,
  removeGlobalGroup,
  removeMember,
  removeRevocation,
  removeService,
  removeSubsystem,
} from './db/index.ts';

/** An `add` that stores the validated body and answers with it. */
const storing =
  <B>(add: (db: Kysely<RegistryDb>, body: B) => Promise<unknown>) =>
  async (db: Kysely<RegistryDb>, body: B): Promise<B> => {
    await add(db, body);
    return body;
  };

/** One kind of registry entry as the admin API exposes it: `GET`, `POST` and `DELETE /admin/{path}`. */
export interface AdminResource<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  /** URL segment and CLI noun, e.g. `members`. */
  readonly path: string;
  /** What one entry is called, e.g. `member`. */
  readonly noun: string;
  readonly body: B;
  /** The query that names an entry to remove. */
  readonly removeQuery: Q;
  list(db: Kysely<RegistryDb>): Promise<unknown[]>;
  add(db: Kysely<RegistryDb>, body: z.output<B>, now: Date): Promise<unknown>;
  remove(db: Kysely<RegistryDb>, query: z.output<Q>): Promise<void>;
}

const resource = <B extends z.ZodType, Q extends z.ZodType>(r: AdminResource<B, Q>): AdminResource =>
  r as unknown as AdminResource;

/** The approved CA's SHA-256 fingerprint; refuses anything that is not a CA certificate. */
function caFingerprint(pem: string): string {
  let certificate: x509.X509Certificate;
  try {
    certificate = parseCertificatePem(pem);
  } catch (cause) {
    throw new EinmalError('Pki.InvalidCertificate', { cause });
  }
  if (!certificate.getExtension(x509.BasicConstraintsExtension)?.ca) {
    throw new EinmalError('Pki.WrongUsage', { message: 'The certificate is not a CA certificate' });
  }
  return certificateFingerprint(certificate);
}

/** Every kind of entry the operator manages (docs/architecture.md §1). */
export const adminResources: readonly AdminResource[] = [
  resource({
    path: 'members',
    noun: 'member',
    body: memberBodySchema,
    removeQuery: idQuerySchema,
    list: listMembers,
    add: storing(addMember),
    remove: (db, q) => removeMember(db, q.id),
  }),
  resource({
    path: 'subsystems',
    noun: 'subsystem',
    body: subsystemBodySchema,
    removeQuery: idQuerySchema,
    list: listSubsystems,
    add: storing(addSubsystem),
    remove: (db, q) => removeSubsystem(db, q.id),
  }),
  resource({
    path: 'gateways',
    noun: 'gateway',
    body: gatewayBodySchema,
    removeQuery: idQuerySchema,
    list: listGateways,
    add: storing(addGateway),
    remove: (db, q) => removeGateway(db, q.id),
  }),
  resource({
    path: 'gateway-certificates',
    noun: 'gateway-certificate',
    body: gatewayCertificateSchema,
    removeQuery: gatewayCertificateSchema,
    list: async (db) =>
      (await listGateways(db)).flatMap((g) =>
        g.authCertificateFingerprints.map((fingerprint) => ({ gateway: g.id, fingerprint })),
      ),
    add: storing((db, body) => addGatewayAuthCertificate(db, body.gateway, body.fingerprint)),
    remove: (db, q) => removeGatewayAuthCertificate(db, q.gateway, q.fingerprint),
  }),
  resource({
    path: 'services',
    noun: 'service',
    body: serviceBodySchema,
    removeQuery: idQuerySchema,
    list: listServices,
    add: storing(addService),
    remove: (db, q) => removeService(db, q.id),
  }),
  resource({
    path: 'groups',
    noun: 'group',
    body: groupBodySchema,
    removeQuery: idQuerySchema,
    list: listGlobalGroups,
    add: storing(addGlobalGroup),
    remove: (db, q) => removeGlobalGroup(db, q.id),
  }),
  resource({
    path: 'eid-issuers',
    noun: 'eid-issuer',
    body: eidIssuerBodySchema,
    removeQuery: issuerQuerySchema,
    list: listEidIssuers,
    add: storing(addEidIssuer),
    remove: (db, q) => removeEidIssuer(db, q.issuer),
  }),
  resource({
    path: 'cas',
    noun: 'ca',
    body: caBodySchema,
    removeQuery: caQuerySchema,
    list: listApprovedCas,
    add: async (db, body) => {
      await addApprovedCa(db, body, caFingerprint(body.certificate));
      return body;
    },
    remove: (db, q) => removeApprovedCa(db, q.name),
  }),
  resource({
    path: 'revocations',
    noun: 'revocation',
    body: revocationBodySchema,
    removeQuery: revocationQuerySchema,
    list: async (db) =>
      (await listRevocations(db)).map((r) => ({ ...r, revokedAt: r.revokedAt.toISOString() })),
    add: async (db, body, now) => {
      const revokedAt = body.revokedAt ? new Date(body.revokedAt) : now;
      await addRevocation(db, { issuer: body.issuer, serialNumber: body.serialNumber, revokedAt });
      return { ...body, revokedAt: revokedAt.toISOString() };
    },
    remove: (db, q) => removeRevocation(db, q.issuer, q.serialNumber),
  }),
];
