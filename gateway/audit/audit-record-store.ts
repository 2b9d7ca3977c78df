import { type Kysely, sql } from 'kysely';
import { type AppendPlan, appendLeaves, leafHash, planAppend, type TreeTip } from '../../audit/index.ts';
import type { AuditRecord } from '../../schemas/index.ts';
import { compileStatement } from '../db/compiled-statement.ts';
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
  const appendBatch = compiledAppend(db);

  return {
    /** Appends the batch in one commit; resolves to the leaf index of its first record. */
    async append(batch: readonly CanonicalRecord[]): Promise<number> {
      const leaves = batch.map((p) => leafHash(p.canonical));
      if (tip !== undefined) {
        const plan = planAppend(tree, tip, leaves);
        if (await appendInOneStatement(appendBatch, tree, tip.size, plan, batch)) {
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

/** The values of one append statement, each an array of one column (or one scalar). */
const APPEND_VALUES = [
  'tree',
  'oldSize',
  'newSize',
  'nodeLevel',
  'nodeIdx',
  'nodeHashes',
  'nodeHashStarts',
  'nodeHashLengths',
  'idx',
  'logTime',
  'messageId',
  'side',
  'client',
  'service',
  'subject',
  'status',
  'outcome',
  'errorCode',
  'hiddenUntil',
  'canonicals',
  'canonicalStarts',
  'canonicalLengths',
] as const;

type AppendValues = Readonly<Record<(typeof APPEND_VALUES)[number], unknown>>;

/**
 * The byte strings of one column packed into one `bytea` value with their 1-based starts and
 * lengths: PostgreSQL takes a `bytea` parameter as the bytes themselves, where an array of them
 * would travel as hex text in an array literal, escaped and parsed on both sides.
 */
function packed(values: readonly Uint8Array[]): { bytes: Buffer; starts: number[]; lengths: number[] } {
  const starts: number[] = [];
  const lengths: number[] = [];
  let start = 1;
  for (const value of values) {
    starts.push(start);
    lengths.push(value.byteLength);
    start += value.byteLength;
  }
  return { bytes: Buffer.concat(values), starts, lengths };
}

/** The `i`-th byte string of a value {@link packed} into `bytes`, `starts` and `lengths`. */
const unpacked = (bytes: unknown, starts: unknown, lengths: unknown) =>
  sql<Uint8Array>`substring(${bytes}::bytea from unnest(${starts}::int4[]) for unnest(${lengths}::int4[]))`;

/**
 * The one statement of an append: the tree head moves from `oldSize` only if it is still there,
 * and the nodes and records are inserted only if it moved.
 */
function appendStatement(db: Kysely<GatewayDb>, v: AppendValues) {
  return db
    .with('head', (qb) =>
      qb
        .updateTable('tree_head')
        .set({ size: sql<number>`${v.newSize}` })
        .where('tree', '=', sql<string>`${v.tree}`)
        .where('size', '=', sql<number>`${v.oldSize}`)
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
              sql<string>`${v.tree}::text`.as('tree'),
              sql<number>`unnest(${v.nodeLevel}::int2[])`.as('level'),
              sql<number>`unnest(${v.nodeIdx}::int8[])`.as('idx'),
              unpacked(v.nodeHashes, v.nodeHashStarts, v.nodeHashLengths).as('hash'),
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
              sql<string>`${v.tree}::text`.as('tree'),
              sql<number>`unnest(${v.idx}::int8[])`.as('idx'),
              sql<Date>`unnest(${v.logTime}::timestamptz[])`.as('log_time'),
              sql<string>`unnest(${v.messageId}::text[])`.as('message_id'),
              sql<string>`unnest(${v.side}::text[])`.as('side'),
              sql<string | null>`unnest(${v.client}::text[])`.as('client'),
              sql<string | null>`unnest(${v.service}::text[])`.as('service'),
              sql<string | null>`unnest(${v.subject}::text[])`.as('subject'),
              sql<number>`unnest(${v.status}::int4[])`.as('status'),
              sql<string>`unnest(${v.outcome}::text[])`.as('outcome'),
              sql<string | null>`unnest(${v.errorCode}::text[])`.as('error_code'),
              sql<Date | null>`unnest(${v.hiddenUntil}::timestamptz[])`.as('hidden_until'),
              unpacked(v.canonicals, v.canonicalStarts, v.canonicalLengths).as('canonical'),
            ]),
        ),
    )
    .selectFrom('head')
    .select('size');
}

/** The append statement, compiled once per store (each batch only supplies its values). */
const compiledAppend = (db: Kysely<GatewayDb>) =>
  compileStatement(db, APPEND_VALUES, (markers) => appendStatement(db, markers));

/**
 * Stores a planned append and its records in one statement, which PostgreSQL commits atomically.
 * False when the tree was not at `oldSize` (nothing is written then).
 */
async function appendInOneStatement(
  execute: ReturnType<typeof compiledAppend>,
  tree: string,
  oldSize: number,
  plan: AppendPlan,
  batch: readonly CanonicalRecord[],
): Promise<boolean> {
  const records = batch.map((p, i) => recordRow(tree, oldSize + i, p.record, p.canonical));
  const column = <T>(pick: (row: (typeof records)[number]) => T) => records.map(pick);
  const hashes = packed(plan.rows.map((r) => r.hash));
  const canonicals = packed(batch.map((p) => p.canonical));
  const result = await execute({
    tree,
    oldSize,
    newSize: plan.tip.size,
    nodeLevel: plan.rows.map((r) => r.level),
    nodeIdx: plan.rows.map((r) => r.idx),
    nodeHashes: hashes.bytes,
    nodeHashStarts: hashes.starts,
    nodeHashLengths: hashes.lengths,
    idx: column((r) => r.idx),
    logTime: column((r) => r.log_time.toISOString()),
    messageId: column((r) => r.message_id),
    side: column((r) => r.side),
    client: column((r) => r.client),
    service: column((r) => r.service),
    subject: column((r) => r.subject),
    status: column((r) => r.status),
    outcome: column((r) => r.outcome),
    errorCode: column((r) => r.error_code),
    hiddenUntil: column((r) => r.hidden_until?.toISOString() ?? null),
    canonicals: canonicals.bytes,
    canonicalStarts: canonicals.starts,
    canonicalLengths: canonicals.lengths,
  });
  return result.rows.length > 0;
}
