import { type Kysely, type Selectable, type SelectQueryBuilder, sql } from 'kysely';
import { z } from 'zod';
import type { AuditRecordTable, CheckpointTable } from '../../audit/index.ts';
import { EinmalError } from '../../core/index.ts';
import { type AuditRecord, EARLIEST_INSTANT, LATEST_INSTANT } from '../../schemas/index.ts';
import type { GatewayDb } from '../db/tables.ts';

/** One stored audit record row. */
export type AuditRecordRow = Selectable<AuditRecordTable>;

/** What a reader may narrow the log to; every field is optional and they combine with AND. */
export interface RecordFilter {
  readonly subject?: string | undefined;
  /** Printed member id: records whose client or service belongs to that member. */
  readonly member?: string | undefined;
  readonly service?: string | undefined;
  /** Printed client id: records of exactly that client (member or subsystem). */
  readonly client?: string | undefined;
  readonly messageId?: string | undefined;
  /** Inclusive lower bound of `log_time`. */
  readonly from?: Date | undefined;
  /** Exclusive upper bound of `log_time`. */
  readonly to?: Date | undefined;
  /** Inclusive upper bound of `log_time`. */
  readonly through?: Date | undefined;
  readonly status?: number | undefined;
  readonly outcome?: AuditRecordRow['outcome'] | undefined;
  readonly errorCode?: string | undefined;
  readonly side?: AuditRecordRow['side'] | undefined;
  /** Leave out records still hidden at this time (`hidden_until` after it). */
  readonly visibleAt?: Date | undefined;
}

/** Where the next page starts: the last record of the previous page in newest-first order. */
export interface RecordCursor {
  readonly logTime: Date;
  readonly tree: string;
  readonly idx: number;
}

/** One page of records, newest first, and the cursor of the next page (`null` on the last one). */
export interface RecordPage {
  readonly rows: AuditRecordRow[];
  readonly nextCursor: string | null;
}

// The sort key of a record, as far as the store can hold it: a time within the years 0001–9999 and
// a tree name as gateways name their nodes (no control characters: PostgreSQL text has no NUL).
const cursorSchema = z.tuple([
  z.int().min(EARLIEST_INSTANT).max(LATEST_INSTANT),
  z.string().regex(/^[A-Za-z0-9._/#-]{1,255}$/),
  z.int().min(0).max(Number.MAX_SAFE_INTEGER),
]);

/** The opaque cursor of a record: base64url JSON of its sort key. */
export function encodeCursor(row: Pick<AuditRecordRow, 'log_time' | 'tree' | 'idx'>): string {
  const key = [new Date(row.log_time).getTime(), row.tree, Number(row.idx)];
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Reads a cursor a caller sent back; anything else is `Client.BadRequest`. */
export function decodeCursor(text: string): RecordCursor {
  let key: unknown;
  try {
    if (text.length > 400 || !/^[A-Za-z0-9_-]+$/.test(text)) throw new Error('not base64url');
    key = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new EinmalError('Client.BadRequest', { message: 'Malformed cursor' });
  }
  const parsed = cursorSchema.safeParse(key);
  if (!parsed.success) throw new EinmalError('Client.BadRequest', { message: 'Malformed cursor' });
  const [time, tree, idx] = parsed.data;
  return { logTime: new Date(time), tree, idx };
}

type RecordQuery = SelectQueryBuilder<GatewayDb, 'audit_record', object>;

function applyFilter(query: RecordQuery, filter: RecordFilter): RecordQuery {
  let q = query;
  if (filter.subject !== undefined) q = q.where('subject', '=', filter.subject);
  if (filter.service !== undefined) q = q.where('service', '=', filter.service);
  if (filter.client !== undefined) q = q.where('client', '=', filter.client);
  if (filter.errorCode !== undefined) q = q.where('error_code', '=', filter.errorCode);
  if (filter.messageId !== undefined) q = q.where('message_id', '=', filter.messageId);
  if (filter.from !== undefined) q = q.where('log_time', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('log_time', '<', filter.to);
  if (filter.through !== undefined) q = q.where('log_time', '<=', filter.through);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  if (filter.outcome !== undefined) q = q.where('outcome', '=', filter.outcome);
  if (filter.side !== undefined) q = q.where('side', '=', filter.side);
  if (filter.member !== undefined) {
    // Prefix match without LIKE: member ids may contain `_`, a LIKE wildcard.
    const prefix = `${filter.member}/`;
    q = q.where((eb) =>
      eb.or([
        eb(sql<string>`left(client, ${prefix.length})`, '=', prefix),
        eb('client', '=', filter.member!),
        eb(sql<string>`left(service, ${prefix.length})`, '=', prefix),
      ]),
    );
  }
  if (filter.visibleAt !== undefined) {
    const at = filter.visibleAt;
    q = q.where((eb) => eb.or([eb('hidden_until', 'is', null), eb('hidden_until', '<=', at)]));
  }
  return q;
}

/**
 * One page of audit records matching `filter`, newest first (log time, then tree and leaf index),
 * paged by keyset: the cursor names the last record seen, so a page costs the same at any depth
 * and records appended meanwhile never shift a page.
 *
 * @example
 * const page = await findRecords(db, { subject: 'DE65402138797', visibleAt: new Date() }, { limit: 50 });
 * const next = await findRecords(db, filter, { limit: 50, cursor: page.nextCursor! });
 */
export async function findRecords(
  db: Kysely<GatewayDb>,
  filter: RecordFilter,
  page: { readonly limit: number; readonly cursor?: string | undefined },
): Promise<RecordPage> {
  let query = applyFilter(db.selectFrom('audit_record'), filter);
  if (page.cursor !== undefined) {
    const after = decodeCursor(page.cursor);
    query = query.where(
      sql<boolean>`(log_time, tree, idx) < (${after.logTime}, ${after.tree}, ${after.idx})`,
    );
  }
  const rows = await query
    .selectAll()
    .orderBy('log_time', 'desc')
    .orderBy('tree', 'desc')
    .orderBy('idx', 'desc')
    .limit(page.limit + 1)
    .execute();
  const more = rows.length > page.limit;
  const pageRows = more ? rows.slice(0, page.limit) : rows;
  return { rows: pageRows, nextCursor: more ? encodeCursor(pageRows.at(-1)!) : null };
}

/** How many records match `filter`, and the page at `offset` (newest first), for offset paging. */
export async function findRecordsByOffset(
  db: Kysely<GatewayDb>,
  filter: RecordFilter,
  page: { readonly limit: number; readonly offset: number },
  narrow: (query: RecordQuery) => RecordQuery = (q) => q,
): Promise<{ total: number; rows: AuditRecordRow[] }> {
  const base = narrow(applyFilter(db.selectFrom('audit_record'), filter));
  const [count, rows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow(),
    base
      .selectAll()
      .orderBy('log_time', 'desc')
      .orderBy('tree', 'desc')
      .orderBy('idx', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
  ]);
  return { total: Number(count.n), rows };
}

/** The newest checkpoint of each given tree that the witness has cosigned. */
export async function latestWitnessedCheckpoints(
  db: Kysely<GatewayDb>,
  trees: readonly string[],
): Promise<Map<string, Selectable<CheckpointTable>>> {
  const result = new Map<string, Selectable<CheckpointTable>>();
  if (trees.length === 0) return result;
  const rows = await db
    .selectFrom('checkpoint')
    .selectAll()
    .distinctOn('tree')
    .where('tree', 'in', [...trees])
    .where('cosignature', 'is not', null)
    .orderBy('tree')
    .orderBy('size', 'desc')
    .execute();
  for (const row of rows) result.set(row.tree, { ...row, size: Number(row.size) });
  return result;
}

/** The record a row stores, decoded from its canonical bytes (what the leaf hash covers). */
export function storedRecord(row: Pick<AuditRecordRow, 'canonical'>): AuditRecord {
  return JSON.parse(Buffer.from(row.canonical).toString('utf8')) as AuditRecord;
}

/** The canonical JSON text of a row's record, exactly as hashed into the log. */
export function canonicalText(row: Pick<AuditRecordRow, 'canonical'>): string {
  return Buffer.from(row.canonical).toString('utf8');
}
