import { z } from 'zod';
import { type Clock, EinmalError } from '../../core/index.ts';
import {
  type DirectoryService,
  partOfPrinted,
  printSubsystemId,
  type SubsystemId,
} from '../../schemas/index.ts';
import { type AccessRule, isAccessGranted } from '../access/access-rule.ts';
import type { AdapterClient } from './adapter-client.ts';

/** X-Road's REST metaservices (pr-mrest), answered by the provider gateway itself. */
const METASERVICE_CODES = new Set(['listMethods', 'allowedMethods', 'getOpenAPI']);

/**
 * The metaservice a call of `serviceCode` with `method` is, or `null`. pr-mrest defines them for
 * `GET` only; an X-Road security server reads any other method as a call of a service of that code,
 * which no subsystem has (the directory reserves the codes), so it is an unknown service.
 */
export function metaserviceCalled(serviceCode: string, method: string): string | null {
  return method === 'GET' && METASERVICE_CODES.has(serviceCode) ? serviceCode : null;
}

const adapterServicesSchema = z.object({
  services: z.array(
    z
      .object({
        serviceCode: z.string(),
        method: z.string().regex(/^[A-Z]{1,16}$/),
        path: z.string().regex(/^\/[^?#\s]*$/),
      })
      .loose(),
  ),
});
type AdapterService = z.infer<typeof adapterServicesSchema>['services'][number];

/** One endpoint of a service as pr-mrest lists it: method and path relative to the service URL. */
interface Endpoint {
  readonly method: string;
  readonly path: string;
}

/** A metaservice answer: status, body and its content type (always with its charset). */
export interface MetaserviceAnswer {
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * Answers `listMethods`, `allowedMethods` and `getOpenAPI` (X-Road pr-mrest) for the subsystems
 * this gateway hosts. What a subsystem offers is what the signed directory gives it, never what an
 * adapter happens to serve (the demo's registries share one adapter): the adapter only adds each
 * listed service's endpoints and its OpenAPI description, read over mutual TLS and cached briefly.
 */
export function createMetaservices(options: {
  clock: Clock;
  /** The adapters are reached as the exchange reaches them: mutual TLS with the gateway's certificate. */
  adapters: Pick<AdapterClient, 'readJson'>;
  maxAgeMs?: number;
}) {
  const maxAge = options.maxAgeMs ?? 30_000;
  const cache = new Map<string, { at: number; value: unknown }>();

  async function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit && options.clock() - hit.at < maxAge) return hit.value as T;
    const value = await load();
    cache.set(key, { at: options.clock(), value });
    return value;
  }

  async function adapterServices(adapterUrl: string | undefined): Promise<readonly AdapterService[]> {
    if (adapterUrl === undefined) return [];
    try {
      return await cached(
        `${adapterUrl} services`,
        async () =>
          adapterServicesSchema.parse(await options.adapters.readJson(adapterUrl, '/_einmal/services'))
            .services,
      );
    } catch (error) {
      throw new EinmalError('Server.ServerProxy.ServiceFailed', { cause: error });
    }
  }

  /** The directory's services of the subsystem with their endpoints and whether OpenAPI describes them. */
  async function describe(input: { services: readonly DirectoryService[]; adapterUrl: string | undefined }) {
    const served = input.services.length === 0 ? [] : await adapterServices(input.adapterUrl);
    return input.services.map((service) => {
      const code = partOfPrinted(service.id, 'serviceCode')!;
      const endpoints = served.filter((s) => s.serviceCode === code);
      return {
        id: service.id,
        code,
        openapi: endpoints.length > 0,
        endpoints: endpoints.map((s): Endpoint => ({ method: s.method, path: s.path })),
      };
    });
  }

  const entry = (
    subsystem: SubsystemId,
    service: { code: string; openapi: boolean },
    endpoints: readonly Endpoint[],
  ) => ({
    object_type: 'SERVICE',
    xroad_instance: subsystem.instance,
    member_class: subsystem.memberClass,
    member_code: subsystem.memberCode,
    subsystem_code: subsystem.subsystemCode,
    service_code: service.code,
    service_type: service.openapi ? 'OPENAPI' : 'REST',
    endpoint_list: endpoints,
  });

  return {
    /**
     * Answers one metaservice call for `subsystem`, whose services in the directory are `services`.
     * `access` says whether the caller may use an endpoint (for `allowedMethods`). The answers are
     * JSON, as pr-mrest defines them.
     */
    async answer(input: {
      code: string;
      subsystem: SubsystemId;
      services: readonly DirectoryService[];
      adapterUrl: string | undefined;
      query: string;
      rules: readonly AccessRule[];
      access: Omit<Parameters<typeof isAccessGranted>[1], 'service' | 'method' | 'path'>;
    }): Promise<MetaserviceAnswer> {
      if (input.code === 'getOpenAPI') return openapiAnswer(input);
      const described = await describe(input);
      const listed =
        input.code === 'listMethods'
          ? described.map((s) => entry(input.subsystem, s, s.endpoints))
          : described.flatMap((s) => {
              const allowed = (rules: readonly AccessRule[], endpoint: Endpoint) =>
                isAccessGranted(rules, { ...input.access, service: s.id, ...endpoint });
              // As an X-Road security server answers: every service any rule grants the caller at
              // all, with the described endpoints its rules grant (none, where they grant others).
              const anyEndpoint = input.rules.map((r) => ({ ...r, method: null, pathPattern: null }));
              if (!allowed(anyEndpoint, { method: 'GET', path: '/' })) return [];
              const endpoints = s.endpoints.filter((endpoint) => allowed(input.rules, endpoint));
              return [entry(input.subsystem, s, endpoints)];
            });
      return { status: 200, body: Buffer.from(JSON.stringify({ service: listed })), contentType: JSON_TYPE };
    },
  };

  async function openapiAnswer(input: {
    subsystem: SubsystemId;
    services: readonly DirectoryService[];
    adapterUrl: string | undefined;
    query: string;
  }): Promise<MetaserviceAnswer> {
    // As an X-Road security server reads it: the parameter's name in any case, the last one given.
    const wanted = [...new URLSearchParams(input.query)].findLast(
      ([name]) => name.toLowerCase() === 'servicecode',
    )?.[1];
    if (!wanted) {
      throw new EinmalError('Server.ServerProxy.InvalidRequest', {
        message: 'getOpenAPI needs the serviceCode query parameter',
      });
    }
    const known = input.services.some((s) => partOfPrinted(s.id, 'serviceCode') === wanted);
    const served = known ? await adapterServices(input.adapterUrl) : [];
    if (!known || !served.some((s) => s.serviceCode === wanted)) {
      throw new EinmalError('Server.ServerProxy.UnknownService', {
        message: `${printSubsystemId(input.subsystem)} has no service with an OpenAPI description of that code`,
      });
    }
    const adapterUrl = input.adapterUrl!;
    try {
      const document = await cached(`${adapterUrl} openapi ${wanted}`, () =>
        options.adapters.readJson(adapterUrl, `/_einmal/services/${encodeURIComponent(wanted)}/openapi`),
      );
      return { status: 200, body: Buffer.from(JSON.stringify(document)), contentType: JSON_TYPE };
    } catch (error) {
      throw new EinmalError('Server.ServerProxy.ServiceFailed', { cause: error });
    }
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';

export type Metaservices = ReturnType<typeof createMetaservices>;
