import { z } from 'zod';
import { EinmalError } from '../../core/index.ts';
import type { ServiceId } from '../../schemas/index.ts';
import { type AccessRule, isAccessGranted } from '../access/access-rule.ts';
import type { AdapterClient } from './adapter-client.ts';

/** X-Road's REST metaservices (pr-mrest), answered by the provider gateway itself. */
export const METASERVICE_CODES = new Set(['listMethods', 'allowedMethods', 'getOpenAPI']);

const adapterServicesSchema = z.object({
  services: z.array(
    z.object({ code: z.string(), version: z.string(), method: z.string(), path: z.string() }).loose(),
  ),
});
type AdapterService = z.infer<typeof adapterServicesSchema>['services'][number];

/**
 * Reads what each adapter serves (its `/_einmal/services` and `/_einmal/openapi`), cached briefly,
 * to answer `listMethods`, `allowedMethods` and `getOpenAPI` for the subsystems this gateway hosts.
 */
export function createMetaservices(options: {
  clock: () => number;
  /** The adapters are reached as the exchange reaches them: mutual TLS with the gateway's certificate. */
  adapters: Pick<AdapterClient, 'readJson'>;
  maxAgeMs?: number;
}) {
  const cache = new Map<string, { at: number; services: AdapterService[]; openapi: unknown }>();

  async function describe(adapterUrl: string) {
    const cached = cache.get(adapterUrl);
    if (cached && options.clock() - cached.at < (options.maxAgeMs ?? 30_000)) return cached;
    try {
      const [services, openapi] = await Promise.all(
        ['/_einmal/services', '/_einmal/openapi'].map((path) => options.adapters.readJson(adapterUrl, path)),
      );
      const entry = {
        at: options.clock(),
        services: adapterServicesSchema.parse(services).services,
        openapi,
      };
      cache.set(adapterUrl, entry);
      return entry;
    } catch (error) {
      throw new EinmalError('Server.ServerProxy.ServiceFailed', { cause: error });
    }
  }

  const serviceEntry = (subsystem: ServiceId | Omit<ServiceId, 'serviceCode'>, s: AdapterService) => ({
    object_type: 'SERVICE',
    xroad_instance: subsystem.instance,
    member_class: subsystem.memberClass,
    member_code: subsystem.memberCode,
    subsystem_code: subsystem.subsystemCode,
    service_code: s.code,
    service_version: s.version,
    service_type: 'REST',
    endpoint_list: [{ method: s.method, path: s.path }],
  });

  return {
    /**
     * Answers one metaservice call. `access` says whether the caller may use a service endpoint
     * (used by `allowedMethods`).
     */
    async answer(input: {
      code: string;
      subsystem: ServiceId;
      adapterUrl: string;
      query: string;
      rules: readonly AccessRule[];
      access: Omit<Parameters<typeof isAccessGranted>[1], 'service' | 'method' | 'path'>;
    }): Promise<{ status: number; body: Buffer }> {
      const { services, openapi } = await describe(input.adapterUrl);
      const prefix = `${input.subsystem.instance}/${input.subsystem.memberClass}/${input.subsystem.memberCode}/${input.subsystem.subsystemCode}`;
      const json = (value: unknown) => ({ status: 200, body: Buffer.from(JSON.stringify(value)) });
      if (input.code === 'listMethods')
        return json({ service: services.map((s) => serviceEntry(input.subsystem, s)) });
      if (input.code === 'allowedMethods') {
        const allowed = services.filter((s) =>
          isAccessGranted(input.rules, {
            ...input.access,
            service: `${prefix}/${s.code}/${s.version}`,
            method: s.method,
            path: s.path,
          }),
        );
        return json({ service: allowed.map((s) => serviceEntry(input.subsystem, s)) });
      }
      const wanted = new URLSearchParams(input.query).get('serviceCode');
      if (!wanted || !services.some((s) => s.code === wanted))
        throw new EinmalError('Server.ServerProxy.UnknownService');
      return json(
        openapiForService(
          openapi,
          services.filter((s) => s.code === wanted),
        ),
      );
    },
  };
}

/** The adapter's OpenAPI document narrowed to the paths of one service. */
function openapiForService(openapi: unknown, services: AdapterService[]): unknown {
  const document = openapi as { paths?: Record<string, unknown> };
  const prefixes = services.map((s) => `/${s.code}/${s.version}`);
  const paths = Object.fromEntries(
    Object.entries(document.paths ?? {}).filter(([path]) => prefixes.some((p) => path.startsWith(p))),
  );
  return { ...document, paths };
}

export type Metaservices = ReturnType<typeof createMetaservices>;
