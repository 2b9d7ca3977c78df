import type { Kysely } from 'kysely';
import { appendLeaves, canonicalRecord, leafHash } from '../../audit/index.ts';
import { EinmalError, type Logger } from '../../core/index.ts';
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
 * transaction, and each `append` resolves only once the commit holding its record is durable. While
 * one batch commits, the next one gathers, so throughput grows with load instead of costing one
 * commit per exchange. A failed commit rejects every record of its batch with `AuditUnavailable`;
 * callers then answer 503 and release no data (fail closed, DESIGN.md §5).
 *
 * Only one transaction appends at a time per node, which is what the Merkle tree store requires.
 */
export function createAuditLog(options: AuditLogOptions) {
  const maxBatch = options.maxBatch ?? 512;
  let queue: Pending[] = [];
  let flushing: Promise<void> | undefined;

  async function writeBatch(batch: Pending[]): Promise<void> {
    try {
      const firstIndex = await options.db.transaction().execute(async (trx) => {
        const { firstIndex } = await appendLeaves(
          trx,
          options.tree,
          batch.map((p) => leafHash(p.canonical)),
        );
        await trx
          .insertInto('audit_record')
          .values(
            batch.map((p, i) => ({
              tree: options.tree,
              idx: firstIndex + i,
              log_time: new Date(p.record.logTime),
              message_id: p.record.messageId,
              side: p.record.side,
              client: p.record.client || null,
              service: p.record.service || null,
              subject: p.record.subject,
              status: p.record.status,
              outcome: p.record.outcome,
              error_code: p.record.errorCode,
              hidden_until: p.record.hiddenUntil ? new Date(p.record.hiddenUntil) : null,
              canonical: p.canonical,
            })),
          )
          .execute();
        return firstIndex;
      });
      batch.forEach((p, i) => {
        p.resolve({ index: firstIndex + i });
      });
    } catch (error) {
      if (batch.length > 1 && isUniqueViolation(error)) {
        // One record of the batch was a replay caught by the served-once index; write the others
        // one by one so only the replay fails.
        for (const p of batch) await writeBatch([p]);
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

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '23505';
}
