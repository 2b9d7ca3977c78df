import { type Kysely, sql } from 'kysely';

/** The audit table's monthly partitions are named `audit_record_yYYYYmMM` (UTC months). */
const PARTITION_NAME = /^audit_record_y(\d{4})m(\d{2})$/;

/** The first instant of the UTC month `offset` months after the one holding `at`. */
export function monthStart(at: Date, offset = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
}

function partitionName(start: Date): string {
  return `audit_record_y${start.getUTCFullYear()}m${String(start.getUTCMonth() + 1).padStart(2, '0')}`;
}

/**
 * Makes sure `schema.audit_record` has a partition for every UTC month from the one holding `from`
 * through the one holding `to` (PostgreSQL declarative partitioning by `log_time`; PGlite too).
 * Records whose month has no partition land in `audit_record_default`; a month whose rows are
 * already there cannot get a partition of its own, so the gateway creates months ahead of time
 * (at start and daily, `monthsAhead`). Returns the partitions it created.
 */
export async function ensureAuditPartitions(
  db: Kysely<any>,
  schema: string,
  from: Date,
  to: Date,
): Promise<string[]> {
  const existing = new Set(await listAuditPartitions(db, schema));
  const created: string[] = [];
  for (let start = monthStart(from); start <= to; start = monthStart(start, 1)) {
    const name = partitionName(start);
    if (existing.has(name)) continue;
    await sql`create table if not exists ${sql.id(schema, name)} partition of ${sql.id(schema, 'audit_record')}
      for values from (${sql.lit(start.toISOString())}) to (${sql.lit(monthStart(start, 1).toISOString())})`.execute(
      db,
    );
    created.push(name);
  }
  return created;
}

/** The monthly partitions of `schema.audit_record`, oldest first. */
export async function listAuditPartitions(db: Kysely<any>, schema: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select c.relname as name
    from pg_catalog.pg_inherits i
    join pg_catalog.pg_class c on c.oid = i.inhrelid
    join pg_catalog.pg_class p on p.oid = i.inhparent
    join pg_catalog.pg_namespace n on n.oid = p.relnamespace
    where n.nspname = ${schema} and p.relname = 'audit_record'`.execute(db);
  return rows
    .map((row) => row.name)
    .filter((name) => PARTITION_NAME.test(name))
    .sort();
}

/** The UTC month a partition holds: its first instant, and the first of the next month. */
export function partitionRange(name: string): { start: Date; end: Date } | undefined {
  const match = PARTITION_NAME.exec(name);
  if (!match) return undefined;
  const start = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  return { start, end: monthStart(start, 1) };
}
