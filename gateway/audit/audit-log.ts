import type { Kysely } from 'kysely';
import { createGroupCommitQueue } from '../../audit/index.ts';
import { EinmalError, isDatabaseUnavailable, type Logger } from '../../core/index.ts';
import { canonicalRecord } from '../../protocol/index.ts';
import type { AuditRecord } from '../../schemas/index.ts';
import type { GatewayDb } from '../db/tables.ts';
import { type CanonicalRecord, createAuditRecordStore } from './audit-record-store.ts';

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

/**
 * The gateway's audit log writer (docs/architecture.md §4): a group-commit queue (audit/) in front
 * of the node's typed record store, which appends by the pure plan of audit/tree-store. Concurrent
 * exchanges share one commit, and each `append` resolves only once the commit holding its record
 * is durable. When the database is unreachable, every record of the batch is rejected with
 * `AuditUnavailable`; callers then answer 503 and release no data (fail closed, docs/protocol.md
 * §8). When the database refuses a record's data (a replay caught by the served-once index, a value
 * the store will not take), the batch is split so only that record fails.
 */
export function createAuditLog(options: AuditLogOptions) {
  const store = createAuditRecordStore({ db: options.db, tree: options.tree });
  const queue = createGroupCommitQueue<CanonicalRecord, AppendedRecord>({
    maxBatch: options.maxBatch ?? 512,
    async commit(batch) {
      try {
        const firstIndex = await store.append(batch);
        return batch.map((_, i) => ({ index: firstIndex + i }));
      } catch (error) {
        store.forgetTip();
        throw error;
      }
    },
    retryInHalves: (error) => !isDatabaseUnavailable(error),
    rejection(error, { record }) {
      const code = isUniqueViolation(error)
        ? 'Server.ServerProxy.Replay'
        : record.side === 'consumer'
          ? 'Server.ClientProxy.AuditUnavailable'
          : 'Server.ServerProxy.AuditUnavailable';
      return new EinmalError(code, { cause: error });
    },
    onFailure(error, records) {
      options.log.error({ err: error, records }, 'audit log write failed');
    },
  });

  return {
    /** Appends one record; resolves when it is durably committed, rejects if it could not be. */
    append(record: AuditRecord): Promise<AppendedRecord> {
      return queue.add({ record, canonical: canonicalRecord(record) });
    },
    /** Waits until everything appended so far is written (or failed). */
    drain: () => queue.drain(),
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '23505';
}
