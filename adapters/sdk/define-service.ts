import type { Logger } from 'pino';
import type { z } from 'zod';
import { isServiceVersion, type ServicePolicy, versionedServiceCode } from '../../schemas/index.ts';

/** The verified context the provider gateway hands to the adapter after all its checks. */
export interface ServiceContext {
  /** The verified data subject (eID `sub` or declared with a legal basis); null for non-personal calls. */
  readonly subject: string | null;
  /** Printed client id, e.g. `DEMO/GOV/munich/parking-permits`. */
  readonly client: string;
  /** Printed service id, e.g. `DEMO/GOV/residents-office/register/address-v1`. */
  readonly service: string;
  readonly purpose: string | null;
  readonly legalBasis: string | null;
  /** The exchange's message id (UUID), shared with both gateways' audit records. */
  readonly messageId: string;
  /** The official acting (`X-Road-UserId`), when given. */
  readonly userId: string | null;
  /** The case number (`X-Road-Issue`), when given. */
  readonly issue: string | null;
  /** Request-scoped logger carrying the message id; never log personal data through it. */
  readonly log: Logger;
}

/**
 * What an integrator declares for one service, once: its code and version, its policy (title,
 * description, personal data, eID scope and level, purposes, legal bases, hiding; the same
 * {@link ServicePolicy} the registry publishes in the directory), and its contract and handler.
 * See {@link defineService}.
 */
export interface ServiceSpec<Req extends z.ZodType, Res extends z.ZodType> extends Readonly<ServicePolicy> {
  /** Service name, e.g. `address`; with the version it makes the X-Road service code `address-v1`. */
  readonly code: string;
  /** Major version, `v1`, `v2`, …: a new version is a new service code (docs/protocol.md §1.1). */
  readonly version: string;
  readonly method: 'GET' | 'POST';
  /** Endpoint path below the service, `/` by default: called as `/r1/{service id}{path}`. */
  readonly path?: string;
  /** Schema of the query (GET) or of the JSON body (POST). */
  readonly request: Req;
  readonly response: Res;
  /** Answers one validated request. Throw `EinmalError('Adapter.NotFound')` when there is no record. */
  handler(input: z.output<Req>, context: ServiceContext): Promise<z.input<Res>> | z.input<Res>;
}

/** A service as the adapter app runs it: the spec with defaults filled in. */
export interface ServiceDefinition<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType>
  extends ServiceSpec<Req, Res> {
  readonly path: string;
  /** The X-Road service code, the last part of the service id: `{code}-{version}`, e.g. `address-v1`. */
  readonly serviceCode: string;
}

/** The public metadata of a service, as listed by `GET /_einmal/services`. */
export interface ServiceMetadata extends Readonly<ServicePolicy> {
  readonly serviceCode: string;
  readonly code: string;
  readonly version: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
}

const SERVICE_PART = /^[A-Za-z0-9._-]{1,64}$/;
const SERVICE_PATH = /^\/(?:[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*)?$/;

/**
 * Declares one adapter service: its metadata, its request and response contract and its handler.
 * The adapter app validates input and output against the schemas and never lets the handler answer
 * about anyone but the verified subject.
 *
 * Declaration mistakes are programming errors and throw `TypeError` at start.
 *
 * @example
 * export const addressService = defineService({
 *   code: 'address', version: 'v1', title: 'Registered address', ...,
 *   method: 'GET', request: z.object({}), response: addressSchema,
 *   handler: async (_input, { subject }) => findMainResidence(db, subject!),
 * });
 */
export function defineService<Req extends z.ZodType, Res extends z.ZodType>(
  spec: ServiceSpec<Req, Res>,
): ServiceDefinition<Req, Res> {
  const path = spec.path ?? '/';
  if (!SERVICE_PART.test(spec.code) || spec.code === '.' || spec.code === '..') {
    throw new TypeError(`invalid service code '${spec.code}'`);
  }
  if (!isServiceVersion(spec.version)) {
    throw new TypeError(`invalid service version '${spec.version}': must be v<major>, e.g. v1`);
  }
  const serviceCode = versionedServiceCode(spec.code, spec.version);
  if (serviceCode.length > 64) throw new TypeError(`service code '${serviceCode}' is longer than 64`);
  if (!SERVICE_PATH.test(path) || path.split('/').some((part) => part === '.' || part === '..')) {
    throw new TypeError(`invalid service path '${path}'`);
  }
  if (spec.personalData && (spec.purposes.length === 0 || spec.legalBases.length === 0)) {
    throw new TypeError(`personal-data service '${spec.code}' needs purposes and legal bases`);
  }
  if ((spec.eidScope === null) !== (spec.requiredLoa === null)) {
    throw new TypeError(
      `service '${spec.code}' needs both an eID scope and a level of assurance, or neither`,
    );
  }
  return { ...spec, path, serviceCode };
}

/** The metadata of a service, without its schemas and handler. */
export function describeService(service: ServiceDefinition): ServiceMetadata {
  return {
    serviceCode: service.serviceCode,
    code: service.code,
    version: service.version,
    title: service.title,
    description: service.description,
    personalData: service.personalData,
    eidScope: service.eidScope,
    requiredLoa: service.requiredLoa,
    purposes: service.purposes,
    legalBases: service.legalBases,
    hideable: service.hideable,
    method: service.method,
    path: service.path,
  };
}

/**
 * The route of a service on the adapter: `/{service code}{path}` without a trailing slash, the
 * part of the client API path after the subsystem (`/r1/DEMO/GOV/ro/register/address-v1` is
 * `/address-v1` on the adapter).
 */
export function serviceRoute(service: Pick<ServiceDefinition, 'serviceCode' | 'path'>): string {
  return `/${service.serviceCode}${service.path === '/' ? '' : service.path}`;
}
