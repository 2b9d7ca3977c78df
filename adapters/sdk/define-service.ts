import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  type CodeTitle,
  isServiceVersion,
  type LevelOfAssurance,
  type ServicePolicy,
  versionedServiceCode,
} from '../../schemas/index.ts';
import { compilePersonPaths, type PersonPaths } from './person-paths.ts';

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

/** The context of a personal-data service: the SDK has checked that there is a subject and a purpose. */
export interface PersonalDataContext extends ServiceContext {
  readonly subject: string;
  readonly purpose: string;
}

interface ServiceSpecBase<Req extends z.ZodType, Res extends z.ZodType> {
  /** Service name, e.g. `address`; with the version it makes the X-Road service code `address-v1`. */
  readonly code: string;
  /** Major version, `v1`, `v2`, …: a new version is a new service code (docs/protocol.md §1.1). */
  readonly version: string;
  /** Citizen-facing title, shown in the portal. */
  readonly title: string;
  /** What the data is, in words a citizen understands. */
  readonly description: string;
  readonly method: 'GET' | 'POST';
  /** Endpoint path below the service, `/` by default: called as `/r1/{service id}{path}`. */
  readonly path?: string;
  /** Schema of the query (GET) or of the JSON body (POST). Unknown query parameters are refused. */
  readonly request: Req;
  /** Schema of the answer; fields it does not name are dropped before the answer leaves. */
  readonly response: Res;
}

/**
 * A service that answers about one person, the verified subject. Its handler gets a context whose
 * `subject` and `purpose` are always set.
 */
export interface PersonalDataServiceSpec<Req extends z.ZodType, Res extends z.ZodType>
  extends ServiceSpecBase<Req, Res> {
  readonly personalData: true;
  /**
   * Every place in the response that holds a person identifier, as paths into the response:
   * `subject`, `licences[].holderId` (`[]` steps into each element of a list). The SDK checks each
   * value found there against the verified subject before the answer leaves, and refuses at start-up
   * a personal-data service that declares none or a path the response schema does not have.
   */
  readonly personIds: readonly string[];
  /** The eID scope that authorizes the service; null when no eID is needed. */
  readonly eidScope: string | null;
  /** The eID level a citizen's token must reach; null when no eID is needed. */
  readonly requiredLoa: LevelOfAssurance | null;
  /** The purposes a client may declare; at least one. */
  readonly purposes: readonly CodeTitle[];
  /** The legal bases that allow the processing; at least one. */
  readonly legalBases: readonly CodeTitle[];
  /** Whether records of this service may be hidden from the citizen for a while (investigations). */
  readonly hideable: boolean;
  /** Answers one validated request. Throw `EinmalError('Adapter.NotFound')` when there is no record. */
  handler(input: z.output<Req>, context: PersonalDataContext): Promise<z.input<Res>> | z.input<Res>;
}

/**
 * A service that answers about no person (opening hours, a public register). Its policy fields
 * default to "no eID, no purposes, no legal bases, not hideable".
 */
export interface PublicServiceSpec<Req extends z.ZodType, Res extends z.ZodType>
  extends ServiceSpecBase<Req, Res> {
  readonly personalData: false;
  readonly eidScope?: string | null;
  readonly requiredLoa?: LevelOfAssurance | null;
  readonly purposes?: readonly CodeTitle[];
  readonly legalBases?: readonly CodeTitle[];
  readonly hideable?: boolean;
  /** Answers one validated request. */
  handler(input: z.output<Req>, context: ServiceContext): Promise<z.input<Res>> | z.input<Res>;
}

/**
 * What an integrator declares for one service, once: its code and version, its policy (title,
 * description, personal data, eID scope and level, purposes, legal bases, hiding; the same
 * {@link ServicePolicy} the registry publishes in the directory), where its answer names persons,
 * and its contract and handler. See {@link defineService}.
 */
export type ServiceSpec<Req extends z.ZodType, Res extends z.ZodType> =
  | PersonalDataServiceSpec<Req, Res>
  | PublicServiceSpec<Req, Res>;

/** A service as the adapter app runs it: the spec with defaults filled in and its paths compiled. */
export interface ServiceDefinition<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType>
  extends Readonly<ServicePolicy> {
  readonly code: string;
  readonly version: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** The X-Road service code, the last part of the service id: `{code}-{version}`, e.g. `address-v1`. */
  readonly serviceCode: string;
  readonly request: Req;
  readonly response: Res;
  /** Where the response names persons; empty for a public service. */
  readonly personIds: PersonPaths;
  /** Its context is a {@link PersonalDataContext} exactly when `personalData` is true. */
  handler(input: z.output<Req>, context: any): Promise<z.input<Res>> | z.input<Res>;
}

/** The public metadata of a service, as listed by `GET /_einmal/services`. */
export interface ServiceMetadata extends Readonly<ServicePolicy> {
  readonly serviceCode: string;
  readonly code: string;
  readonly version: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Where the response names persons (personal-data services). */
  readonly personIds: readonly string[];
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
 *   personalData: true, personIds: ['subject'], ...,
 *   method: 'GET', request: z.object({}), response: addressSchema,
 *   handler: async (_input, { subject }) => findMainResidence(db, subject),
 * });
 */
export function defineService<Req extends z.ZodType, Res extends z.ZodType>(
  spec: PersonalDataServiceSpec<Req, Res>,
): ServiceDefinition<Req, Res>;
export function defineService<Req extends z.ZodType, Res extends z.ZodType>(
  spec: PublicServiceSpec<Req, Res>,
): ServiceDefinition<Req, Res>;
export function defineService<Req extends z.ZodType, Res extends z.ZodType>(
  spec: ServiceSpec<Req, Res>,
): ServiceDefinition<Req, Res> {
  return { ...declareService(spec), handler: spec.handler };
}

/** What a service declares about itself, without its handler: its metadata, contract and person identifiers. */
export type ServiceDeclaration<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> = Omit<
  ServiceDefinition<Req, Res>,
  'handler'
>;

/** A {@link ServiceSpec} without its handler. */
export type ServiceDeclarationSpec<Req extends z.ZodType, Res extends z.ZodType> =
  | Omit<PersonalDataServiceSpec<Req, Res>, 'handler'>
  | Omit<PublicServiceSpec<Req, Res>, 'handler'>;

/**
 * Checks and completes a service's declaration without its handler, as {@link defineService} does:
 * for describing services (their metadata, their OpenAPI) where nothing answers, such as a registry
 * registering them. Mistakes throw `TypeError`.
 *
 * @example describeService(declareService(addressDeclaration)).serviceCode // 'address-v1'
 */
export function declareService<Req extends z.ZodType, Res extends z.ZodType>(
  spec: ServiceDeclarationSpec<Req, Res>,
): ServiceDeclaration<Req, Res> {
  const path = spec.path ?? '/';
  if (typeof (spec as { personalData: unknown }).personalData !== 'boolean') {
    throw new TypeError(
      `service '${(spec as { code: string }).code}' must say whether it answers with personal data (personalData)`,
    );
  }
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
  const policy = {
    eidScope: spec.eidScope ?? null,
    requiredLoa: spec.requiredLoa ?? null,
    purposes: spec.purposes ?? [],
    legalBases: spec.legalBases ?? [],
    hideable: spec.hideable ?? false,
  };
  if (spec.personalData && (policy.purposes.length === 0 || policy.legalBases.length === 0)) {
    throw new TypeError(`personal-data service '${spec.code}' needs purposes and legal bases`);
  }
  if ((policy.eidScope === null) !== (policy.requiredLoa === null)) {
    throw new TypeError(
      `service '${spec.code}' needs both an eID scope and a level of assurance, or neither`,
    );
  }
  const declared: readonly string[] = spec.personalData ? (spec.personIds ?? []) : [];
  if (spec.personalData && declared.length === 0) {
    throw new TypeError(
      `personal-data service '${spec.code}' must declare where its response names persons (personIds, e.g. ['subject'])`,
    );
  }
  if (!spec.personalData && 'personIds' in spec && (spec as { personIds?: unknown[] }).personIds?.length) {
    throw new TypeError(`service '${spec.code}' names persons (personIds) but declares no personal data`);
  }
  const personIds = compilePersonPaths(declared, spec.response, spec.code);
  const { handler: _handler, ...declaration } = spec as ServiceDeclarationSpec<Req, Res> & {
    handler?: unknown;
  };
  return { ...declaration, ...policy, path, serviceCode, personIds };
}

/** The metadata of a service, without its schemas and handler. */
export function describeService(service: ServiceDeclaration): ServiceMetadata {
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
    personIds: service.personIds.declared,
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
