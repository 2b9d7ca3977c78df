import { z } from 'zod';
import { EinmalError } from '../core/index.ts';
import { parseSubsystemId, servicePolicySchema } from '../schemas/index.ts';
import type { RegistryAdminClient } from './admin-client.ts';

/**
 * An adapter's description of its services, as `GET /_einmal/services` and `einmal adapter describe`
 * give it: each service's X-Road service code and its policy. Other fields (endpoints, person
 * identifiers) are the adapter's own and are ignored here.
 */
export const adapterDescriptionSchema = z.object({
  services: z
    .array(
      z.object({ serviceCode: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), ...servicePolicySchema.shape }),
    )
    .min(1)
    .max(1000),
});

export type AdapterDescription = z.output<typeof adapterDescriptionSchema>;

/** A service as the registry admin API adds and lists it. */
type RegisteredService = { readonly id: string } & z.output<typeof servicePolicySchema>;

const POLICY_FIELDS = Object.keys(servicePolicySchema.shape) as (keyof z.output<
  typeof servicePolicySchema
>)[];

/** What registering an adapter's services would change in the registry. */
export interface ServiceSyncPlan {
  /** Described by the adapter, not registered yet. */
  readonly add: readonly RegisteredService[];
  /** Registered with a policy the adapter describes differently, and the fields that differ. */
  readonly update: readonly { readonly service: RegisteredService; readonly fields: readonly string[] }[];
  readonly unchanged: readonly string[];
  /** Registered for the subsystem but not described by the adapter (left alone). */
  readonly notDescribed: readonly string[];
}

/**
 * Compares an adapter's description with the services registered for its subsystem. Endpoints of
 * one service code must describe one policy.
 *
 * @example planServiceSync('DEMO/GOV/dog-town/register', description, await client.list('services'))
 */
export function planServiceSync(
  subsystem: string,
  description: AdapterDescription,
  registered: readonly RegisteredService[],
): ServiceSyncPlan {
  parseSubsystemId(subsystem);
  const described = new Map<string, RegisteredService>();
  for (const { serviceCode, ...policy } of description.services) {
    const service = { id: `${subsystem}/${serviceCode}`, ...policy };
    const earlier = described.get(service.id);
    if (earlier && differingFields(earlier, service).length > 0) {
      throw new EinmalError('Cli.Usage', {
        message: `the adapter describes ${serviceCode} twice with different policies`,
      });
    }
    described.set(service.id, service);
  }
  const current = new Map(
    registered
      .filter((service) => service.id.startsWith(`${subsystem}/`))
      .map((service) => [service.id, service]),
  );
  const add: RegisteredService[] = [];
  const update: { service: RegisteredService; fields: string[] }[] = [];
  const unchanged: string[] = [];
  for (const [id, service] of described) {
    const existing = current.get(id);
    if (!existing) add.push(service);
    else {
      const fields = differingFields(existing, service);
      if (fields.length > 0) update.push({ service, fields });
      else unchanged.push(id);
    }
  }
  const notDescribed = [...current.keys()].filter((id) => !described.has(id));
  return { add, update, unchanged, notDescribed };
}

function differingFields(a: RegisteredService, b: RegisteredService): string[] {
  return POLICY_FIELDS.filter((field) => JSON.stringify(a[field]) !== JSON.stringify(b[field]));
}

/** Whether the registry already holds what the adapter describes. */
export const isInSync = (plan: ServiceSyncPlan): boolean => plan.add.length === 0 && plan.update.length === 0;

/** The plan as lines for an operator: `+` new, `~` differs, `=` unchanged, `?` registered only. */
export function printServiceSyncPlan(plan: ServiceSyncPlan): string[] {
  return [
    ...plan.add.map((service) => `+ ${service.id} (not registered)`),
    ...plan.update.map(({ service, fields }) => `~ ${service.id} (differs: ${fields.join(', ')})`),
    ...plan.unchanged.map((id) => `= ${id}`),
    ...plan.notDescribed.map((id) => `? ${id} (registered, not described by the adapter)`),
  ];
}

/**
 * Registers what the plan adds and updates through the admin API. An update replaces the entry
 * (remove, then add): the admin API has no partial update, and the directory publishes the result.
 *
 * @example await applyServiceSync(client, planServiceSync(subsystem, description, await client.list('services')))
 */
export async function applyServiceSync(client: RegistryAdminClient, plan: ServiceSyncPlan): Promise<void> {
  for (const service of plan.add) await client.add('services', service);
  for (const { service } of plan.update) {
    await client.remove('services', { id: service.id });
    await client.add('services', service);
  }
}
