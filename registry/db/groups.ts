import type { Kysely } from 'kysely';
import { EinmalError } from '../../core/index.ts';
import { recordChange } from './change.ts';
import { isRegisteredClient, notFound } from './members.ts';
import type { RegistryDb } from './tables.ts';

/** A global group of clients, usable in every provider's access rules. */
export interface GlobalGroup {
  /** `INSTANCE/CODE`. */
  readonly id: string;
  readonly description: string;
  /** Client identifiers (members or subsystems). */
  readonly members: readonly string[];
}

/**
 * Registers a global group; every listed client must be registered (`Registry.UnknownReference`).
 *
 * @example
 * await addGlobalGroup(db, { id: 'DEMO/municipalities', description: 'Cities', members: [] });
 */
export async function addGlobalGroup(db: Kysely<RegistryDb>, group: GlobalGroup): Promise<void> {
  await recordChange(db, async (trx) => {
    for (const client of group.members) {
      if (!(await isRegisteredClient(trx, client))) {
        throw new EinmalError('Registry.UnknownReference', { message: `Client ${client} is not registered` });
      }
    }
    const inserted = await trx
      .insertInto('global_group')
      .values({
        id: group.id,
        description: group.description,
        members: JSON.stringify([...new Set(group.members)]),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) throw new EinmalError('Client.Conflict', { message: `Group ${group.id} already exists` });
  });
}

/** All global groups, ordered by id. */
export async function listGlobalGroups(db: Kysely<RegistryDb>): Promise<GlobalGroup[]> {
  return db.selectFrom('global_group').select(['id', 'description', 'members']).orderBy('id').execute();
}

/**
 * Removes a global group.
 *
 * @example
 * await removeGlobalGroup(db, 'DEMO/municipalities');
 */
export async function removeGlobalGroup(db: Kysely<RegistryDb>, id: string): Promise<void> {
  await recordChange(db, async (trx) => {
    const deleted = await trx.deleteFrom('global_group').where('id', '=', id).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) throw notFound('Group', id);
  });
}
