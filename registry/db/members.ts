import { type Kysely, sql } from 'kysely';
import { EinmalError } from '../../core/index.ts';
import { memberOfPrinted, partOfPrinted } from '../../schemas/index.ts';
import { recordChange } from './change.ts';
import type { RegistryDb } from './tables.ts';

/** A member organisation of the federation. */
export interface Member {
  /** `INSTANCE/CLASS/MEMBER`. */
  readonly id: string;
  readonly name: string;
}

/** A member's information system; its member is the first three parts of the id. */
export interface Subsystem {
  /** `INSTANCE/CLASS/MEMBER/SUBSYSTEM`. */
  readonly id: string;
}

/**
 * Registers a member. Refuses an existing id with `Client.Conflict`.
 *
 * @example
 * await addMember(db, { id: 'DEMO/GOV/munich', name: 'Landeshauptstadt München' });
 */
export async function addMember(db: Kysely<RegistryDb>, member: Member): Promise<void> {
  await recordChange(db, async (trx) => {
    const inserted = await trx
      .insertInto('member')
      .values({ id: member.id, name: member.name })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted)
      throw new EinmalError('Client.Conflict', { message: `Member ${member.id} already exists` });
  });
}

/** All members, ordered by id. */
export async function listMembers(db: Kysely<RegistryDb>): Promise<Member[]> {
  return db.selectFrom('member').select(['id', 'name']).orderBy('id').execute();
}

/**
 * Removes a member that has no subsystems and no gateways left (`Registry.EntryInUse` otherwise).
 *
 * @example
 * await removeMember(db, 'DEMO/GOV/munich');
 */
export async function removeMember(db: Kysely<RegistryDb>, id: string): Promise<void> {
  await recordChange(db, async (trx) => {
    const subsystem = await trx
      .selectFrom('subsystem')
      .select('id')
      .where('member_id', '=', id)
      .executeTakeFirst();
    const gateway = await trx
      .selectFrom('gateway')
      .select('id')
      .where('member_id', '=', id)
      .executeTakeFirst();
    if (subsystem || gateway) {
      throw new EinmalError('Registry.EntryInUse', {
        message: `Member ${id} still has ${subsystem ? 'subsystems' : 'gateways'}`,
      });
    }
    await assertNotReferenced(trx, id);
    const deleted = await trx.deleteFrom('member').where('id', '=', id).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) throw notFound('Member', id);
  });
}

/**
 * Registers a subsystem of an existing member (`Registry.UnknownReference` otherwise).
 *
 * @example
 * await addSubsystem(db, { id: 'DEMO/GOV/munich/parking-permits' });
 */
export async function addSubsystem(db: Kysely<RegistryDb>, subsystem: Subsystem): Promise<void> {
  const memberId = memberOfPrinted(subsystem.id);
  await recordChange(db, async (trx) => {
    const member = await trx.selectFrom('member').select('id').where('id', '=', memberId).executeTakeFirst();
    if (!member) {
      throw new EinmalError('Registry.UnknownReference', { message: `Member ${memberId} is not registered` });
    }
    const inserted = await trx
      .insertInto('subsystem')
      .values({ id: subsystem.id, member_id: memberId })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      throw new EinmalError('Client.Conflict', { message: `Subsystem ${subsystem.id} already exists` });
    }
  });
}

/** All subsystems, ordered by id. */
export async function listSubsystems(db: Kysely<RegistryDb>): Promise<Subsystem[]> {
  return db.selectFrom('subsystem').select('id').orderBy('id').execute();
}

/**
 * Removes a subsystem that provides no services and that no gateway hosts and no group lists.
 *
 * @example
 * await removeSubsystem(db, 'DEMO/GOV/munich/parking-permits');
 */
export async function removeSubsystem(db: Kysely<RegistryDb>, id: string): Promise<void> {
  await recordChange(db, async (trx) => {
    const service = await trx
      .selectFrom('service')
      .select('id')
      .where('subsystem_id', '=', id)
      .executeTakeFirst();
    if (service) {
      throw new EinmalError('Registry.EntryInUse', { message: `Subsystem ${id} still provides services` });
    }
    await assertNotReferenced(trx, id);
    const deleted = await trx.deleteFrom('subsystem').where('id', '=', id).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) throw notFound('Subsystem', id);
  });
}

/** Whether `id` names a registered member or subsystem, i.e. a client a gateway may host. */
export async function isRegisteredClient(db: Kysely<RegistryDb>, id: string): Promise<boolean> {
  const table = partOfPrinted(id, 'subsystemCode') === undefined ? 'member' : 'subsystem';
  const row = await db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

/** Refuses removing a client that a gateway still hosts or a global group still lists. */
async function assertNotReferenced(trx: Kysely<RegistryDb>, clientId: string): Promise<void> {
  const needle = JSON.stringify([clientId]);
  const gateway = await trx
    .selectFrom('gateway')
    .select('id')
    .where(sql<boolean>`clients @> ${needle}::jsonb`)
    .executeTakeFirst();
  const group = await trx
    .selectFrom('global_group')
    .select('id')
    .where(sql<boolean>`members @> ${needle}::jsonb`)
    .executeTakeFirst();
  if (gateway || group) {
    throw new EinmalError('Registry.EntryInUse', {
      message: gateway
        ? `${clientId} is hosted by gateway ${gateway.id}`
        : `${clientId} is in group ${group?.id}`,
    });
  }
}

/** `Client.NotFound` naming the missing entry. */
export const notFound = (kind: string, id: string): EinmalError =>
  new EinmalError('Client.NotFound', { message: `${kind} ${id} is not registered` });
