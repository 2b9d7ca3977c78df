import { z } from 'zod';
import { EinmalError } from '../core/errors/index.ts';

/**
 * X-Road identifiers (docs/protocol.md §1; X-Road pr-rest §4.8): `INSTANCE/CLASS/MEMBER[/SUBSYSTEM]` for clients,
 * `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE` for services and
 * `INSTANCE/CLASS/MEMBER/SERVERCODE` for gateways. Each part is percent-decoded on its own and must
 * then be 1–64 characters of `[A-Za-z0-9._-]`, never `.` or `..`: pr-rest §4.8's characters but
 * for `_`, which X-Road does not allow (docs/protocol.md §1). Valid parts need no encoding, so
 * printing writes them as they are and `print(parse(x)) === x` for every canonical `x`.
 *
 * A service's version is part of its service code, as X-Road deployments spell it: `address-v1`
 * (docs/protocol.md §1.1). Records and bundles written before five-part service ids name services
 * with a sixth part, `…/address/v1`; {@link currentServiceId} reads them as `…/address-v1`.
 */

/** A member of the federation, e.g. `DEMO/GOV/munich`. */
export interface MemberId {
  readonly instance: string;
  readonly memberClass: string;
  readonly memberCode: string;
}

/** A client: a member, or one of its subsystems, e.g. `DEMO/GOV/munich/parking-permits`. */
export type ClientId = MemberId & { readonly subsystemCode?: string };

/** A subsystem of a member. */
export type SubsystemId = MemberId & { readonly subsystemCode: string };

/** A service of a subsystem, e.g. `DEMO/GOV/residents-office/register/address-v1`. */
export type ServiceId = SubsystemId & { readonly serviceCode: string };

/** A gateway (X-Road security server), e.g. `DEMO/GOV/munich/gw1`. */
export type GatewayId = MemberId & { readonly serverCode: string };

const PART = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_PART_LENGTH = 64;
// Refuse long inputs before splitting them: six parts (the legacy service form) of 64 characters,
// each possibly percent-encoded three bytes per character, plus separators.
const MAX_ID_LENGTH = 6 * MAX_PART_LENGTH * 3 + 5;

function invalid(message: string): EinmalError {
  return new EinmalError('Client.InvalidIdentifier', { message });
}

/**
 * Validates one raw (possibly percent-encoded) identifier part and returns it decoded.
 * `label` names the part in the error message, e.g. `member code`.
 */
function decodePart(raw: string, label: string): string {
  // A part already in its printed form, as nearly every id is, is its own decoding: the part
  // characters hold no `%`, `/` or control character, so every check below would pass.
  if (PART.test(raw) && raw !== '.' && raw !== '..') return raw;
  if (raw.length === 0) throw invalid(`The ${label} is empty`);
  if (/%2f/i.test(raw)) throw invalid(`The ${label} contains an encoded slash`);
  let part: string;
  try {
    part = decodeURIComponent(raw);
  } catch {
    throw invalid(`The ${label} has malformed percent-encoding`);
  }
  if (part.length === 0) throw invalid(`The ${label} is empty`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f]/.test(part)) {
    throw invalid(`The ${label} contains a control character`);
  }
  if (part.includes('/')) throw invalid(`The ${label} contains a slash`);
  if (part.length > MAX_PART_LENGTH) {
    throw invalid(`The ${label} is longer than ${MAX_PART_LENGTH} characters`);
  }
  if (part === '.' || part === '..') throw invalid(`The ${label} must not be "${part}"`);
  if (!PART.test(part)) {
    throw invalid(`The ${label} may only contain letters, digits, ".", "_" and "-"`);
  }
  return part;
}

const FORMS = {
  Member: 'INSTANCE/CLASS/MEMBER',
  Client: 'INSTANCE/CLASS/MEMBER[/SUBSYSTEM]',
  Subsystem: 'INSTANCE/CLASS/MEMBER/SUBSYSTEM',
  Service: 'INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE',
  Gateway: 'INSTANCE/CLASS/MEMBER/SERVERCODE',
} as const;

function splitParts(
  text: unknown,
  kind: keyof typeof FORMS,
  labels: readonly string[],
  optional: number,
): string[] {
  if (typeof text !== 'string') throw invalid(`${kind} identifier must be a string`);
  if (text.length > MAX_ID_LENGTH) throw invalid(`${kind} identifier is too long`);
  const raw = text.split('/');
  const min = labels.length - optional;
  if (raw.length < min || raw.length > labels.length) {
    throw invalid(`${kind} identifier must have the form ${FORMS[kind]}`);
  }
  return raw.map((part, i) => decodePart(part, labels[i]!));
}

const MEMBER_LABELS = ['instance', 'member class', 'member code'] as const;
const SUBSYSTEM_LABELS = [...MEMBER_LABELS, 'subsystem code'] as const;
const GATEWAY_LABELS = [...MEMBER_LABELS, 'server code'] as const;

/**
 * Parses `INSTANCE/CLASS/MEMBER`.
 * @throws EinmalError `Client.InvalidIdentifier`
 * @example parseMemberId('DEMO/GOV/munich') // { instance: 'DEMO', memberClass: 'GOV', memberCode: 'munich' }
 */
export function parseMemberId(text: string): MemberId {
  const [instance, memberClass, memberCode] = splitParts(text, 'Member', MEMBER_LABELS, 0);
  return { instance: instance!, memberClass: memberClass!, memberCode: memberCode! };
}

/** Prints a member as `INSTANCE/CLASS/MEMBER`. */
export function printMemberId(id: MemberId): string {
  return `${id.instance}/${id.memberClass}/${id.memberCode}`;
}

/**
 * Parses `INSTANCE/CLASS/MEMBER[/SUBSYSTEM]`.
 * @throws EinmalError `Client.InvalidIdentifier`
 * @example parseClientId('DEMO/GOV/munich/parking-permits').subsystemCode // 'parking-permits'
 */
export function parseClientId(text: string): ClientId {
  const [instance, memberClass, memberCode, subsystemCode] = splitParts(text, 'Client', SUBSYSTEM_LABELS, 1);
  return subsystemCode === undefined
    ? { instance: instance!, memberClass: memberClass!, memberCode: memberCode! }
    : { instance: instance!, memberClass: memberClass!, memberCode: memberCode!, subsystemCode };
}

/** Prints a client as `INSTANCE/CLASS/MEMBER[/SUBSYSTEM]`. */
export function printClientId(id: ClientId): string {
  const member = printMemberId(id);
  return id.subsystemCode === undefined ? member : `${member}/${id.subsystemCode}`;
}

/**
 * Parses `INSTANCE/CLASS/MEMBER/SUBSYSTEM`.
 * @throws EinmalError `Client.InvalidIdentifier`
 */
export function parseSubsystemId(text: string): SubsystemId {
  const [instance, memberClass, memberCode, subsystemCode] = splitParts(
    text,
    'Subsystem',
    SUBSYSTEM_LABELS,
    0,
  );
  return {
    instance: instance!,
    memberClass: memberClass!,
    memberCode: memberCode!,
    subsystemCode: subsystemCode!,
  };
}

/** Prints a subsystem as `INSTANCE/CLASS/MEMBER/SUBSYSTEM`. */
export function printSubsystemId(id: SubsystemId): string {
  return `${printMemberId(id)}/${id.subsystemCode}`;
}

const SERVICE_LABELS = [...SUBSYSTEM_LABELS, 'service code'] as const;

/**
 * Parses `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE`.
 * @throws EinmalError `Client.InvalidIdentifier`
 * @example parseServiceId('DEMO/GOV/residents-office/register/address-v1').serviceCode // 'address-v1'
 */
export function parseServiceId(text: string): ServiceId {
  const [instance, memberClass, memberCode, subsystemCode, serviceCode] = splitParts(
    text,
    'Service',
    SERVICE_LABELS,
    0,
  );
  return {
    instance: instance!,
    memberClass: memberClass!,
    memberCode: memberCode!,
    subsystemCode: subsystemCode!,
    serviceCode: serviceCode!,
  };
}

/** Prints a service as `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE`. */
export function printServiceId(id: ServiceId): string {
  return `${printSubsystemId(id)}/${id.serviceCode}`;
}

const SERVICE_VERSION = /^v[0-9]{1,6}$/;

/**
 * The X-Road service code of a versioned service: `<code>-v<major>` (docs/protocol.md §1.1).
 * @example versionedServiceCode('address', 'v1') // 'address-v1'
 */
export function versionedServiceCode(code: string, version: string): string {
  return `${code}-${version}`;
}

/** Whether a text is a service version as service codes carry it (`v1`, `v2`). */
export const isServiceVersion = (text: string): boolean => SERVICE_VERSION.test(text);

/**
 * Parses a service id written before five-part ids as well as a current one: a six-part
 * `…/SERVICE/VERSION` is read as the five-part `…/SERVICE-VERSION`.
 * @throws EinmalError `Client.InvalidIdentifier`
 * @example parseLegacyServiceId('DEMO/GOV/residents-office/register/address/v1').serviceCode // 'address-v1'
 */
export function parseLegacyServiceId(text: string): ServiceId {
  if (typeof text === 'string' && text.split('/').length === 6) {
    const cut = text.lastIndexOf('/');
    const service = parseServiceId(text.slice(0, cut));
    const version = decodePart(text.slice(cut + 1), 'service version');
    const serviceCode = versionedServiceCode(service.serviceCode, version);
    if (serviceCode.length > MAX_PART_LENGTH) throw invalid('The service code is too long');
    return { ...service, serviceCode };
  }
  return parseServiceId(text);
}

/**
 * The current five-part spelling of a printed service id, also of one written before five-part
 * ids (stored audit records and bundles keep what was signed; readers show them this way).
 * Text that is no service id at all is returned as it is.
 * @example currentServiceId('DEMO/GOV/residents-office/register/address/v1') // 'DEMO/GOV/residents-office/register/address-v1'
 */
export function currentServiceId(printed: string): string {
  try {
    return printServiceId(parseLegacyServiceId(printed));
  } catch {
    return printed;
  }
}

/**
 * Parses `INSTANCE/CLASS/MEMBER/SERVERCODE`.
 * @throws EinmalError `Client.InvalidIdentifier`
 */
export function parseGatewayId(text: string): GatewayId {
  const [instance, memberClass, memberCode, serverCode] = splitParts(text, 'Gateway', GATEWAY_LABELS, 0);
  return { instance: instance!, memberClass: memberClass!, memberCode: memberCode!, serverCode: serverCode! };
}

/** Prints a gateway as `INSTANCE/CLASS/MEMBER/SERVERCODE`. */
export function printGatewayId(id: GatewayId): string {
  return `${printMemberId(id)}/${id.serverCode}`;
}

/** Wraps a throwing parser as a zod transform that reports a zod issue instead of throwing. */
function identifierSchema<T>(parse: (text: string) => T) {
  return z.string().transform((text, ctx): T => {
    try {
      return parse(text);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: error instanceof Error ? error.message : 'Malformed identifier',
        input: text,
      });
      return z.NEVER;
    }
  });
}

/** Parses the text form of a member into a {@link MemberId}. */
export const memberIdSchema = identifierSchema(parseMemberId);
/** Parses the text form of a client into a {@link ClientId}. */
export const clientIdSchema = identifierSchema(parseClientId);
/** Parses the text form of a subsystem into a {@link SubsystemId}. */
export const subsystemIdSchema = identifierSchema(parseSubsystemId);
/** Parses the text form of a service into a {@link ServiceId}. */
export const serviceIdSchema = identifierSchema(parseServiceId);
/** Parses the text form of a gateway into a {@link GatewayId}. */
export const gatewayIdSchema = identifierSchema(parseGatewayId);

/**
 * A string schema accepting only the canonical printed form (no percent-encoding), keeping the
 * value a string. Used inside documents such as the directory and signed claims, where one id must
 * have exactly one spelling.
 */
function printedSchema<T>(parse: (text: string) => T, print: (id: T) => string) {
  return z.string().superRefine((text, ctx) => {
    try {
      if (print(parse(text)) !== text) {
        ctx.addIssue({
          code: 'custom',
          message: 'Identifier must be in canonical form (no percent-encoding)',
        });
      }
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: error instanceof Error ? error.message : 'Malformed identifier',
      });
    }
  });
}

/** A canonical printed {@link MemberId}, kept as a string. */
export const printedMemberIdSchema = printedSchema(parseMemberId, printMemberId);
/** A canonical printed {@link ClientId}, kept as a string. */
export const printedClientIdSchema = printedSchema(parseClientId, printClientId);
/** A canonical printed {@link SubsystemId}, kept as a string. */
export const printedSubsystemIdSchema = printedSchema(parseSubsystemId, printSubsystemId);
/** A canonical printed {@link ServiceId}, kept as a string. */
export const printedServiceIdSchema = printedSchema(parseServiceId, printServiceId);
/**
 * A canonical printed service id of either form, five-part or the six-part form written before
 * (`…/SERVICE/VERSION`), kept as a string exactly as given: what stored audit records and signed
 * v1 claims hold.
 */
export const printedLegacyServiceIdSchema = z.union([
  printedServiceIdSchema,
  printedSchema(
    (text: string) => {
      const parts = text.split('/');
      if (parts.length !== 6) throw invalid('Service identifier must have six parts');
      return {
        service: parseServiceId(parts.slice(0, 5).join('/')),
        version: decodePart(parts[5]!, 'service version'),
      };
    },
    ({ service, version }) => `${printServiceId(service)}/${version}`,
  ),
]);
/** A canonical printed {@link GatewayId}, kept as a string. */
export const printedGatewayIdSchema = printedSchema(parseGatewayId, printGatewayId);

/** One identifier part (e.g. a subsystem or group code) in canonical form. */
export const identifierPartSchema = z
  .string()
  .regex(PART, 'Must be 1–64 characters of letters, digits, ".", "_" and "-"')
  .refine((part) => part !== '.' && part !== '..', 'Must not be "." or ".."');

/** The member part of any identifier that has one. */
export function memberOf(id: MemberId): MemberId {
  return { instance: id.instance, memberClass: id.memberClass, memberCode: id.memberCode };
}

/** Whether two identifiers belong to the same member. */
export function sameMember(a: MemberId, b: MemberId): boolean {
  return a.instance === b.instance && a.memberClass === b.memberClass && a.memberCode === b.memberCode;
}

/** Whether two client identifiers are the same client (same member and same subsystem or none). */
export function sameClient(a: ClientId, b: ClientId): boolean {
  return sameMember(a, b) && a.subsystemCode === b.subsystemCode;
}

/** The subsystem that provides a service. */
export function clientOfService(service: ServiceId): SubsystemId {
  return { ...memberOf(service), subsystemCode: service.subsystemCode };
}

/** Where each named part sits in a printed identifier. */
const PART_INDEX = {
  instance: 0,
  memberClass: 1,
  memberCode: 2,
  subsystemCode: 3,
  serverCode: 3,
  serviceCode: 4,
} as const;

/** The first `count` parts of a printed identifier (its parts never contain `/`). */
function leadingParts(printed: string, count: number): string {
  let end = -1;
  for (let i = 0; i < count; i++) {
    end = printed.indexOf('/', end + 1);
    if (end === -1) return printed;
  }
  return printed.slice(0, end);
}

/**
 * One part of an identifier already in printed form (a directory entry, a verified claim, a stored
 * record), by its name; `undefined` when the identifier has no such part. Reads, never validates:
 * untrusted text goes through the `parse*` functions.
 * @example partOfPrinted('DEMO/GOV/munich/parking-permits', 'subsystemCode') // 'parking-permits'
 */
export function partOfPrinted(printed: string, part: keyof typeof PART_INDEX): string | undefined {
  return printed.split('/')[PART_INDEX[part]];
}

/**
 * The printed member (`INSTANCE/CLASS/MEMBER`) of a printed client, subsystem, service or gateway id.
 * @example memberOfPrinted('DEMO/GOV/residents-office/register/address-v1') // 'DEMO/GOV/residents-office'
 */
export const memberOfPrinted = (printed: string): string => leadingParts(printed, 3);

/**
 * The printed subsystem (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`) of a printed service id.
 * @example subsystemOfPrinted('DEMO/GOV/residents-office/register/address-v1') // 'DEMO/GOV/residents-office/register'
 */
export const subsystemOfPrinted = (printed: string): string => leadingParts(printed, 4);
