import { z } from 'zod';
import {
  identifierPartSchema,
  parseClientId,
  parseGatewayId,
  parseMemberId,
  parseServiceId,
  partOfPrinted,
  printedClientIdSchema,
  printedGatewayIdSchema,
  printedMemberIdSchema,
  printedServiceIdSchema,
  printMemberId,
} from './identifiers.ts';
import { loaSchema, servicePolicySchema } from './service-policy.ts';
import { proseSchema as prose, nameSchema as text } from './text.ts';

/** Staff roles an eID issuer may be trusted to assert (docs/protocol.md §12). */
export const STAFF_ROLES = ['auditor'] as const;

/** A staff role. */
export type StaffRole = (typeof STAFF_ROLES)[number];

const isoDateTime = z.iso.datetime({ offset: true });
/** A PEM certificate (one `CERTIFICATE` block). The bytes are checked by certs/ where used. */
export const pemCertificateSchema = z
  .string()
  .max(16384)
  .regex(
    /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/,
    'Must be one PEM certificate',
  );

/** A lower-case hex SHA-256 fingerprint. */
export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'Must be a lower-case hex SHA-256');

const httpsUrl = z.url({ protocol: /^https$/, hostname: z.regexes.hostname });
// eID issuers of development setups run on loopback over plain HTTP.
const webUrl = z.url({ protocol: /^https?$/ });

const approvedCaSchema = z.strictObject({ name: text(200), certificate: pemCertificateSchema });

const revokedCertificateSchema = z.strictObject({
  issuer: text(1024),
  serialNumber: z.string().regex(/^[0-9a-f]{1,64}$/, 'Must be lower-case hex'),
  revokedAt: isoDateTime,
});

const memberSchema = z.strictObject({
  id: printedMemberIdSchema,
  name: text(200),
  subsystems: z.array(identifierPartSchema),
});

const gatewaySchema = z.strictObject({
  id: printedGatewayIdSchema,
  address: httpsUrl,
  /**
   * The gateway's public listener (citizen, Data Tracker and auditor APIs, docs/protocol.md §12), so the
   * portal finds every log it must ask; absent when the gateway offers none.
   */
  publicAddress: httpsUrl.optional(),
  authCertificateFingerprints: z.array(sha256HexSchema).min(1),
  clients: z.array(printedClientIdSchema),
});

/**
 * X-Road's metaservice codes (pr-meta, pr-mrest), reserved as X-Road reserves them: no service of
 * the directory may take one, so `/r1/{subsystem}/listMethods` always means the metaservice.
 */
export const RESERVED_SERVICE_CODES: readonly string[] = [
  'listClients',
  'listCentralServices',
  'listMethods',
  'allowedMethods',
  'getWsdl',
  'getOpenAPI',
];

const serviceSchema = z.strictObject({
  id: printedServiceIdSchema.refine(
    (id) => !RESERVED_SERVICE_CODES.includes(partOfPrinted(id, 'serviceCode') ?? ''),
    'The service code is reserved for an X-Road metaservice',
  ),
  ...servicePolicySchema.shape,
});

const groupSchema = z.strictObject({
  id: z.string().refine((id) => {
    const parts = id.split('/');
    return parts.length === 2 && parts.every((part) => identifierPartSchema.safeParse(part).success);
  }, 'Group id must have the form INSTANCE/GROUPCODE'),
  description: prose(500),
  members: z.array(printedClientIdSchema),
});

const eidIssuerSchema = z
  .strictObject({
    issuer: webUrl,
    jwksUri: webUrl.optional(),
    jwks: z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }).optional(),
    acr: z.record(text(256), loaSchema),
    /**
     * Staff roles the federation lets this issuer assert in its access tokens' `roles` claim
     * (RFC 9068 §7.2.1.1); `auditor` admits its auditors to the gateways' auditor APIs (docs/protocol.md §12).
     * Absent: the issuer's tokens identify citizens only.
     */
    roles: z.array(z.enum(STAFF_ROLES)).max(STAFF_ROLES.length).optional(),
  })
  .refine((issuer) => issuer.jwksUri !== undefined || issuer.jwks !== undefined, {
    message: 'An eID issuer needs jwksUri or inline jwks',
  });

const directoryShape = z.strictObject({
  instance: identifierPartSchema,
  version: z.int().min(1),
  issuedAt: isoDateTime,
  expiresAt: isoDateTime,
  approvedCas: z.array(approvedCaSchema),
  revokedCertificates: z.array(revokedCertificateSchema),
  members: z.array(memberSchema),
  gateways: z.array(gatewaySchema),
  services: z.array(serviceSchema),
  groups: z.array(groupSchema),
  eidIssuers: z.array(eidIssuerSchema),
  witness: z.strictObject({ url: webUrl }).nullable(),
});

/**
 * The directory (docs/protocol.md §9): the federation's signed global configuration. Identifiers stay strings
 * in canonical printed form. Beyond the shape, the document must be consistent: every identifier
 * belongs to `instance`, ids are unique, each auth certificate fingerprint names one gateway, and
 * gateways and services refer to registered members and subsystems.
 */
export const directorySchema = directoryShape.pipe(
  // A second stage, so the cross-references are only checked on a well-formed document.
  z
    .custom<z.output<typeof directoryShape>>()
    .superRefine((directory, ctx) => checkConsistency(directory, ctx)),
);

/** The cross-reference rules of {@link directorySchema}. */
function checkConsistency(directory: z.infer<typeof directoryShape>, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  if (Date.parse(directory.expiresAt) <= Date.parse(directory.issuedAt)) {
    issue(['expiresAt'], 'expiresAt must be after issuedAt');
  }
  const unique = (list: string[], path: string, label: string) => {
    const seen = new Set<string>();
    list.forEach((value, i) => {
      if (seen.has(value)) issue([path, i], `Duplicate ${label} ${value}`);
      seen.add(value);
    });
  };
  unique(
    directory.members.map((m) => m.id),
    'members',
    'member',
  );
  unique(
    directory.gateways.map((g) => g.id),
    'gateways',
    'gateway',
  );
  unique(
    directory.services.map((s) => s.id),
    'services',
    'service',
  );
  unique(
    directory.groups.map((g) => g.id),
    'groups',
    'group',
  );
  unique(
    directory.eidIssuers.map((e) => e.issuer),
    'eidIssuers',
    'eID issuer',
  );

  const subsystems = new Map(directory.members.map((m) => [m.id, new Set(m.subsystems)]));
  const wrongInstance = (instance: string) => instance !== directory.instance;
  const knownClient = (text: string) => {
    const client = parseClientId(text);
    const member = subsystems.get(printMemberId(client));
    return member !== undefined && (client.subsystemCode === undefined || member.has(client.subsystemCode));
  };

  directory.members.forEach((member, i) => {
    if (wrongInstance(parseMemberId(member.id).instance))
      issue(['members', i, 'id'], 'Member of another instance');
    unique(member.subsystems, `members.${i}.subsystems`, 'subsystem');
  });
  const fingerprints = new Map<string, string>();
  directory.gateways.forEach((gateway, i) => {
    const id = parseGatewayId(gateway.id);
    if (wrongInstance(id.instance)) issue(['gateways', i, 'id'], 'Gateway of another instance');
    if (!subsystems.has(printMemberId(id))) issue(['gateways', i, 'id'], 'Gateway of an unregistered member');
    gateway.clients.forEach((client, j) => {
      if (!knownClient(client)) issue(['gateways', i, 'clients', j], `Unregistered client ${client}`);
    });
    for (const fingerprint of gateway.authCertificateFingerprints) {
      const owner = fingerprints.get(fingerprint);
      if (owner !== undefined && owner !== gateway.id) {
        issue(['gateways', i, 'authCertificateFingerprints'], `Fingerprint also listed for ${owner}`);
      }
      fingerprints.set(fingerprint, gateway.id);
    }
  });
  directory.services.forEach((service, i) => {
    const id = parseServiceId(service.id);
    if (wrongInstance(id.instance)) issue(['services', i, 'id'], 'Service of another instance');
    if (!subsystems.get(printMemberId(id))?.has(id.subsystemCode)) {
      issue(['services', i, 'id'], 'Service of an unregistered subsystem');
    }
    if (service.personalData && service.purposes.length === 0) {
      issue(['services', i, 'purposes'], 'A personal-data service needs at least one purpose');
    }
    if (service.eidScope !== null && service.requiredLoa === null) {
      issue(['services', i, 'requiredLoa'], 'A service with an eID scope needs a required level');
    }
  });
  directory.groups.forEach((group, i) => {
    if (wrongInstance(group.id.split('/')[0]!)) issue(['groups', i, 'id'], 'Group of another instance');
    group.members.forEach((client, j) => {
      if (!knownClient(client)) issue(['groups', i, 'members', j], `Unregistered client ${client}`);
    });
  });
}

/** The directory document. */
export type Directory = z.infer<typeof directorySchema>;
/** One approved issuing CA of the directory. */
export type DirectoryCa = Directory['approvedCas'][number];
/** One revoked certificate of the directory. */
export type DirectoryRevocation = Directory['revokedCertificates'][number];
/** One member of the directory. */
export type DirectoryMember = Directory['members'][number];
/** One gateway of the directory. */
export type DirectoryGateway = Directory['gateways'][number];
/** One service of the directory. */
export type DirectoryService = Directory['services'][number];
/** One global group of the directory. */
export type DirectoryGroup = Directory['groups'][number];
/** One trusted eID issuer of the directory. */
export type DirectoryEidIssuer = Directory['eidIssuers'][number];
