import { type Kysely, sql } from 'kysely';

/** A six-part service id of before: `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/VERSION`. */
const SIX_PARTS = '^([^/]+/[^/]+/[^/]+/[^/]+/[^/]+)/([^/]+)$';

/**
 * Rewrites the six-part service ids in `table.column` to X-Road's five parts, the version joined to
 * the service code (`…/address/v1` → `…/address-v1`, docs/protocol.md §1.1), for the migrations of
 * the registry and the gateway.
 *
 * Resolves to the number of rows rewritten.
 *
 * @example await rewriteServiceIds(db, 'service', 'id');
 */
export async function rewriteServiceIds(db: Kysely<any>, table: string, column: string): Promise<number> {
  // The query builder, not raw SQL: the handle's schema (`withSchema`) applies to the table.
  const result = await db
    .updateTable(table)
    .set({ [column]: sql`regexp_replace(${sql.ref(column)}, ${SIX_PARTS}, '\\1-\\2')` })
    .where(sql.ref(column), '~', SIX_PARTS)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
