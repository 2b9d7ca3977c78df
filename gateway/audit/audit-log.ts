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
  /** Told of each committed batch (size, seconds), e.g. for the metrics. */
  readonly onCommit?: (batchSize: number, seconds: number) => void;
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
  /** Whether the last batch failed because the database could not be written. */
  let unwritable = false;
  const queue = createGroupCommitQueue<CanonicalRecord, AppendedRecord>({
    maxBatch: options.maxBatch ?? 512,
    async commit(batch) {
      try {
        const firstIndex = await store.append(batch);
        unwritable = false;
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
    onCommit: options.onCommit,
    onFailure(error, records) {
      if (isDatabaseUnavailable(error)) unwritable = true;
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
    /** Records waiting to be committed (the audit queue depth). */
    pending: () => queue.pending(),
    /** False after a batch failed for want of the database, until the next batch commits. */
    writable: () => !unwritable,
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '23505';
}
