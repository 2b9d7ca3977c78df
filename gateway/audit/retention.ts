import { type Kysely, sql } from 'kysely';
import type { Logger } from '../../core/index.ts';
import {
  ensureAuditPartitions,
  listAuditPartitions,
  monthStart,
  partitionRange,
} from './audit-partitions.ts';

/** What one prune removed. */
export interface PruneResult {
  /** Records before this instant lost their content. */
  readonly cutoff: string;
  /** Whole months dropped (partitions entirely before the cutoff). */
  readonly partitionsDropped: readonly string[];
  /** Records deleted row by row (the cutoff's own month, and the default partition). */
  readonly recordsDeleted: number;
  /** Served-message ids and sent-message claims forgotten with them. */
  readonly messageIdsForgotten: number;
}

/**
 * Applies the retention period (docs/operations/scaling-retention-keys.md): every audit record
 * logged before `cutoff` loses its content. Whole months before the cutoff are dropped as
 * partitions (cheap at any size), the rest of the records before it are deleted; the served-once
 * ids and the consumer's message-id claims of that time go with them. The Merkle tree (`merkle_node`,
 * whose level 0 holds every record's leaf hash), the tree heads and the checkpoints are never
 * touched, so every checkpoint, consistency proof and inclusion proof still verifies, and an export
 * carries the pruned records as their leaf hashes. Safe to run on several nodes at once.
 *
 * @example
 * await pruneAuditLog(database.db, 'gateway', new Date(Date.now() - 730 * 86_400_000));
 */
export async function pruneAuditLog(db: Kysely<any>, schema: string, cutoff: Date): Promise<PruneResult> {
  const table = (name: string) => sql.id(schema, name);
  const partitionsDropped: string[] = [];
  for (const name of await listAuditPartitions(db, schema)) {
    const range = partitionRange(name);
    if (!range || range.end > cutoff) continue;
    await sql`drop table if exists ${table(name)}`.execute(db);
    partitionsDropped.push(name);
  }
  const records = await sql`delete from ${table('audit_record')} where log_time < ${cutoff}`.execute(db);
  const served = await sql`delete from ${table('served_message')} where served_at < ${cutoff}`.execute(db);
  const claims = await sql`delete from ${table('message_id_claim')} where claimed_at < ${cutoff}`.execute(db);
  return {
    cutoff: cutoff.toISOString(),
    partitionsDropped,
    recordsDeleted: Number(records.numAffectedRows ?? 0),
    messageIdsForgotten: Number(served.numAffectedRows ?? 0) + Number(claims.numAffectedRows ?? 0),
  };
}

/**
 * The gateway's daily log housekeeping: partitions for the coming months, and with a retention
 * period, the prune of what is older. Runs at start and then every `intervalMs`; failures are
 * logged and tried again next time.
 *
 * @example
 * const housekeeping = startLogHousekeeping({ db, schema, retentionDays: 730, monthsAhead: 3, clock, log });
 * housekeeping.stop();
 */
export function startLogHousekeeping(options: {
  readonly db: Kysely<any>;
  readonly schema: string;
  /** Days a record keeps its content; none: records are kept for good. */
  readonly retentionDays: number | undefined;
  readonly monthsAhead: number;
  readonly clock: () => number;
  readonly log: Logger;
  readonly intervalMs?: number | undefined;
}) {
  let running: Promise<void> | undefined;
  const round = async () => {
    const now = new Date(options.clock());
    try {
      const created = await ensureAuditPartitions(
        options.db,
        options.schema,
        now,
        monthStart(now, options.monthsAhead),
      );
      if (created.length > 0) options.log.info({ partitions: created }, 'audit partitions created');
      if (options.retentionDays !== undefined) {
        const cutoff = new Date(now.getTime() - options.retentionDays * 86_400_000);
        const pruned = await pruneAuditLog(options.db, options.schema, cutoff);
        if (pruned.partitionsDropped.length > 0 || pruned.recordsDeleted > 0) {
          options.log.info(pruned, 'audit records past retention pruned (leaf hashes kept)');
        }
      }
    } catch (error) {
      options.log.error({ err: error }, 'audit log housekeeping failed; retrying at the next round');
    }
  };
  const runRound = () => {
    running ??= round().finally(() => {
      running = undefined;
    });
    return running;
  };
  const first = runRound();
  const timer = setInterval(() => void runRound(), options.intervalMs ?? 86_400_000);
  timer.unref();
  return {
    /** Resolves after the first round (partitions for this month exist then). */
    ready: first,
    async stop(): Promise<void> {
      clearInterval(timer);
      await running;
    },
  };
}
