import type { Kysely, Selectable } from 'kysely';
import { EinmalError } from '../../core/index.ts';
import { type ServicePolicy, subsystemOfPrinted } from '../../schemas/index.ts';
import { recordChange } from './change.ts';
import { notFound } from './members.ts';
import type { RegistryDb, ServiceTable } from './tables.ts';

/** A service as the directory lists it: its id and its policy. */
export interface Service extends ServicePolicy {
  /** `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE`, e.g. `…/register/address-v1`. */
  readonly id: string;
}

/**
 * Registers a service of an existing subsystem (`Registry.UnknownReference` otherwise).
 *
 * @example
 * await addService(db, demoServices[0]);
 */
export async function addService(db: Kysely<RegistryDb>, service: Service): Promise<void> {
  const subsystemId = subsystemOfPrinted(service.id);
  await recordChange(db, async (trx) => {
    const subsystem = await trx
      .selectFrom('subsystem')
      .select('id')
      .where('id', '=', subsystemId)
      .executeTakeFirst();
    if (!subsystem) {
      throw new EinmalError('Registry.UnknownReference', {
        message: `Subsystem ${subsystemId} is not registered`,
      });
    }
    const inserted = await trx
      .insertInto('service')
      .values({
        id: service.id,
        subsystem_id: subsystemId,
        title: service.title,
        description: service.description,
        personal_data: service.personalData,
        required_loa: service.requiredLoa,
        eid_scope: service.eidScope,
        purposes: JSON.stringify(service.purposes),
        legal_bases: JSON.stringify(service.legalBases),
        hideable: service.hideable,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted)
      throw new EinmalError('Client.Conflict', { message: `Service ${service.id} already exists` });
  });
}

/** All services, ordered by id. */
export async function listServices(db: Kysely<RegistryDb>): Promise<Service[]> {
  const rows = await db.selectFrom('service').selectAll().orderBy('id').execute();
  return rows.map(toService);
}

/**
 * Removes a service.
 *
 * @example
 * await removeService(db, 'DEMO/GOV/business-register/companies/company-v1');
 */
export async function removeService(db: Kysely<RegistryDb>, id: string): Promise<void> {
  await recordChange(db, async (trx) => {
    const deleted = await trx.deleteFrom('service').where('id', '=', id).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) throw notFound('Service', id);
  });
}

function toService(row: Selectable<ServiceTable>): Service {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    personalData: row.personal_data,
    requiredLoa: row.required_loa,
    eidScope: row.eid_scope,
    purposes: row.purposes,
    legalBases: row.legal_bases,
    hideable: row.hideable,
  };
}
