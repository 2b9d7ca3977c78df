import type { Kysely } from 'kysely';
import type { RegistryDb } from './tables.ts';

/**
 * Runs one change of registry content and bumps the directory version in the same transaction, so
 * a published version always names exactly one state. Reuses the caller's transaction when `db` is
 * one (kysely transactions do not nest).
 *
 * @example
 * await recordChange(db, (trx) => trx.deleteFrom('member').where('id', '=', id).execute());
 */
export async function recordChange<T>(
  db: Kysely<RegistryDb>,
  change: (trx: Kysely<RegistryDb>) => Promise<T>,
): Promise<T> {
  const run = async (trx: Kysely<RegistryDb>): Promise<T> => {
    const result = await change(trx);
    await trx
      .updateTable('directory_version')
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('id', '=', 1)
      .execute();
    return result;
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

/**
 * The current directory version: starts at 1 and grows by one with every change.
 *
 * @example
 * const version = await readDirectoryVersion(db);
 */
export async function readDirectoryVersion(db: Kysely<RegistryDb>): Promise<number> {
  const row = await db
    .selectFrom('directory_version')
    .select('version')
    .where('id', '=', 1)
    .executeTakeFirst();
  return Number(row?.version ?? 1);
}
