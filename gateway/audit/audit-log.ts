import { type Kysely, sql } from 'kysely';
import {
  type AppendPlan,
  appendLeaves,
  canonicalRecord,
  leafHash,
  planAppend,
  type TreeTip,
} from '../../audit/index.ts';
import { EinmalError, isDatabaseUnavailable, type Logger } from '../../core/index.ts';
import type { AuditRecord } from '../../schemas/index.ts';
import type { GatewayDb } from '../db/tables.ts';

export interface AuditLogOptions {
  readonly db: Kysely<GatewayDb>;
  /** This node's log tree, e.g. the printed gateway id with a node suffix. */
  readonly tree: string;
  readonly log: Logger;
  /** Most records in one transaction. */
  readonly maxBatch?: number;
}

export interface AppendedRecord {
  /** The record's leaf index in this node's Merkle tree. */
  readonly index: number;
}

interface Pending {
  readonly record: AuditRecord;
  readonly canonical: Uint8Array;
  readonly resolve: (value: AppendedRecord) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The gateway's audit log writer with group commit (DESIGN.md §8): concurrent exchanges share one
 * commit, and each `append` resolves only once the commit holding its record is durable. While
 * one batch commits, the next one gathers, so throughput grows with load instead of costing one
 * commit per exchange. When the database is unreachable, every record of the batch is rejected
 * with `AuditUnavailable`; callers then answer 503 and release no data (fail closed, DESIGN.md §5).
 * When the database refuses a record's data, the batch is split so only that record fails.
 *
 * Only one write appends at a time per node, which is what the Merkle tree store requires.
 */
export function createAuditLog(options: AuditLogOptions) {
  const maxBatch = options.maxBatch ?? 512;
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;

  /**
   * The tree as this writer last committed it. While it is known, a batch is one statement (no
   * transaction round trips); it is forgotten whenever a write fails or finds the tree moved, and
   * the next batch reads the tree again under its lock.
   */
  let tip: TreeTip | undefined;

  async function append(batch: Pending[]): Promise<number> {
    const leaves = batch.map((p) => leafHash(p.canonical));
    if (tip !== undefined) {
      const plan = planAppend(options.tree, tip, leaves);
      if (await appendInOneStatement(options.db, options.tree, tip.size, plan, batch)) {
        const firstIndex = tip.size;
        tip = plan.tip;
        return firstIndex;
      }
      tip = undefined;
    }
    const result = await options.db.transaction().execute(async (trx) => {
      const appended = await appendLeaves(trx, options.tree, leaves);
      await trx
        .insertInto('audit_record')
        .values(batch.map((p, i) => recordRow(options.tree, appended.firstIndex + i, p.record, p.canonical)))
        .execute();
      return appended;
    });
    tip = result.tip;
    return result.firstIndex;
  }

  async function writeBatch(batch: Pending[]): Promise<void> {
    try {
      const firstIndex = await append(batch);
      batch.forEach((p, i) => {
        p.resolve({ index: firstIndex + i });
      });
    } catch (error) {
      // Whether the failed write committed is unknown (a connection lost at commit): read again.
      tip = undefined;
      if (batch.length > 1 && !isDatabaseUnavailable(error)) {
        // The database refused the data, not the connection: one record (a replay caught by the
        // served-once index, a value the store will not take) must not fail the others that share
        // its commit. Halve the batch until the records that fail stand alone.
        const half = Math.ceil(batch.length / 2);
        await writeBatch(batch.slice(0, half));
        await writeBatch(batch.slice(half));
        return;
      }
      options.log.error({ err: error, records: batch.length }, 'audit log write failed');
      for (const p of batch) {
        const code = isUniqueViolation(error)
          ? 'Server.ServerProxy.Replay'
          : p.record.side === 'consumer'
            ? 'Server.ClientProxy.AuditUnavailable'
            : 'Server.ServerProxy.AuditUnavailable';
        p.reject(new EinmalError(code, { cause: error }));
      }
    }
  }

  async function flush(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      await writeBatch(batch);
    }
    flushing = undefined;
  }

  return {
    /** Appends one record; resolves when it is durably committed, rejects if it could not be. */
    append(record: AuditRecord): Promise<AppendedRecord> {
      return new Promise<AppendedRecord>((resolve, reject) => {
        queue.push({ record, canonical: canonicalRecord(record), resolve, reject });
        flushing ??= flush();
      });
    },
    /** Waits until everything appended so far is written (or failed). */
    async drain(): Promise<void> {
      while (flushing) await flushing;
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;

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
  batch: readonly Pending[],
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

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '23505';
}
