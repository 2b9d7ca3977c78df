import { type Kysely, sql } from 'kysely';
import { type AppendPlan, appendLeaves, leafHash, planAppend, type TreeTip } from '../../audit/index.ts';
import type { AuditRecord } from '../../schemas/index.ts';
import type { GatewayDb } from '../db/tables.ts';

/** A record ready to store: the record and its canonical bytes (what its leaf hashes). */
export interface CanonicalRecord {
  readonly record: AuditRecord;
  readonly canonical: Uint8Array;
}

/**
 * The typed store of one node's log: appends records to the node's Merkle tree (RFC 9162) and its
 * `audit_record` table in one commit. While it knows the tree's tip, a batch is one statement (no
 * transaction round trips); it forgets the tip whenever a write fails or finds the tree moved, and
 * the next batch reads the tree again under its lock. Only one append may run at a time per node.
 */
export function createAuditRecordStore(options: { readonly db: Kysely<GatewayDb>; readonly tree: string }) {
  const { db, tree } = options;
  let tip: TreeTip | undefined;

  return {
    /** Appends the batch in one commit; resolves to the leaf index of its first record. */
    async append(batch: readonly CanonicalRecord[]): Promise<number> {
      const leaves = batch.map((p) => leafHash(p.canonical));
      if (tip !== undefined) {
        const plan = planAppend(tree, tip, leaves);
        if (await appendInOneStatement(db, tree, tip.size, plan, batch)) {
          const firstIndex = tip.size;
          tip = plan.tip;
          return firstIndex;
        }
        tip = undefined;
      }
      const result = await db.transaction().execute(async (trx) => {
        const appended = await appendLeaves(trx, tree, leaves);
        await trx
          .insertInto('audit_record')
          .values(batch.map((p, i) => recordRow(tree, appended.firstIndex + i, p.record, p.canonical)))
          .execute();
        return appended;
      });
      tip = result.tip;
      return result.firstIndex;
    },
    /** Forgets the tip: whether a failed write committed is unknown (a connection lost at commit). */
    forgetTip(): void {
      tip = undefined;
    },
  };
}

export type AuditRecordStore = ReturnType<typeof createAuditRecordStore>;

/** The `audit_record` row of `record` at leaf `idx` of `tree`. */
function recordRow(tree: string, idx: number, record: AuditRecord, canonical: Uint8Array) {
  return {
    tree,
    idx,
    log_time: new Date(record.logTime),
    message_id: record.messageId,
    side: record.side,
    client: record.client || null,
    service: record.service || null,
    subject: record.subject,
    status: record.status,
    outcome: record.outcome,
    error_code: record.errorCode,
    hidden_until: record.hiddenUntil ? new Date(record.hiddenUntil) : null,
    canonical,
  };
}

/**
 * Stores a planned append and its records in one statement, which PostgreSQL commits atomically:
 * the tree head moves from `oldSize` only if it is still there, and the nodes and records are
 * inserted only if it moved. False when the tree was not at `oldSize` (nothing is written then).
 * Arrays travel as text (hex for bytes) so both drivers pass them the same way.
 */
async function appendInOneStatement(
  db: Kysely<GatewayDb>,
  tree: string,
  oldSize: number,
  plan: AppendPlan,
  batch: readonly CanonicalRecord[],
): Promise<boolean> {
  const hex = (bytes: Uint8Array) =>
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  const records = batch.map((p, i) => recordRow(tree, oldSize + i, p.record, p.canonical));
  const column = <T>(pick: (row: (typeof records)[number]) => T) => records.map(pick);
  const moved = await db
    .with('head', (qb) =>
      qb
        .updateTable('tree_head')
        .set({ size: plan.tip.size })
        .where('tree', '=', tree)
        .where('size', '=', oldSize)
        .returning('size'),
    )
    .with('nodes', (qb) =>
      qb
        .insertInto('merkle_node')
        .columns(['tree', 'level', 'idx', 'hash'])
        .expression(
          qb
            .selectFrom('head')
            .select([
              sql<string>`${tree}::text`.as('tree'),
              sql<number>`unnest(${plan.rows.map((r) => r.level)}::int2[])`.as('level'),
              sql<number>`unnest(${plan.rows.map((r) => r.idx)}::int8[])`.as('idx'),
              sql<Uint8Array>`decode(unnest(${plan.rows.map((r) => hex(r.hash))}::text[]), 'hex')`.as('hash'),
            ]),
        ),
    )
    .with('records', (qb) =>
      qb
        .insertInto('audit_record')
        .columns([
          'tree',
          'idx',
          'log_time',
          'message_id',
          'side',
          'client',
          'service',
          'subject',
          'status',
          'outcome',
          'error_code',
          'hidden_until',
          'canonical',
        ])
        .expression(
          qb
            .selectFrom('head')
            .select([
              sql<string>`${tree}::text`.as('tree'),
              sql<number>`unnest(${column((r) => r.idx)}::int8[])`.as('idx'),
              sql<Date>`unnest(${column((r) => r.log_time.toISOString())}::timestamptz[])`.as('log_time'),
              sql<string>`unnest(${column((r) => r.message_id)}::text[])`.as('message_id'),
              sql<string>`unnest(${column((r) => r.side)}::text[])`.as('side'),
              sql<string | null>`unnest(${column((r) => r.client)}::text[])`.as('client'),
              sql<string | null>`unnest(${column((r) => r.service)}::text[])`.as('service'),
              sql<string | null>`unnest(${column((r) => r.subject)}::text[])`.as('subject'),
              sql<number>`unnest(${column((r) => r.status)}::int4[])`.as('status'),
              sql<string>`unnest(${column((r) => r.outcome)}::text[])`.as('outcome'),
              sql<string | null>`unnest(${column((r) => r.error_code)}::text[])`.as('error_code'),
              sql<Date | null>`unnest(${column((r) => r.hidden_until?.toISOString() ?? null)}::timestamptz[])`.as(
                'hidden_until',
              ),
              sql<Uint8Array>`decode(unnest(${column((r) => hex(r.canonical))}::text[]), 'hex')`.as(
                'canonical',
              ),
            ]),
        ),
    )
    .selectFrom('head')
    .select('size')
    .executeTakeFirst();
  return moved !== undefined;
}
