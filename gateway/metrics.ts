import type { Kysely } from 'kysely';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { getTreeSize } from '../audit/index.ts';
import type { GatewayDb } from './db/tables.ts';
import type { ExchangeEnded } from './exchange/exchange-pipeline.ts';

/** Latency buckets of one exchange side, in seconds: a few milliseconds up to the peer timeout. */
const EXCHANGE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const COMMIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export interface GatewayMetricsOptions {
  readonly registry: Registry;
  readonly db: Kysely<GatewayDb>;
  /** This node's log tree. */
  readonly tree: string;
  /** Whether the held directory names the service (printed id); others count as `unknown`. */
  readonly knownService: (service: string) => boolean;
  /** Records waiting for their commit. */
  readonly auditQueueDepth: () => number;
  /** Message ids the replay guard holds. */
  readonly replayGuardSize: () => number;
  /** Whether the node's log went back behind what the witness cosigned (checkpoints stopped). */
  readonly logBehindWitness: () => boolean;
  readonly clock: () => number;
}

/**
 * The gateway's own metrics (docs/operations/monitoring.md): exchanges by side, service, outcome and
 * error code, exchange latency per side, the audit writer's queue depth, batch size and commit
 * latency, the time since this node's log was last witnessed, and the replay guard's size. The
 * directory, certificates and the database pool are observed by `core/ops`.
 *
 * @example
 * const metrics = createGatewayMetrics({ registry, db, tree, knownService, ... });
 * createAuditLog({ ..., onCommit: metrics.committed });
 */
export function createGatewayMetrics(options: GatewayMetricsOptions) {
  const registers = [options.registry];
  const exchanges = new Counter({
    name: 'einmal_gateway_exchanges_total',
    help: 'Exchanges answered, by side (consumer, provider), service, outcome (answered, refused, failed) and error code (none when answered).',
    labelNames: ['side', 'service', 'outcome', 'error_code'],
    registers,
  });
  const latency = new Histogram({
    name: 'einmal_gateway_exchange_duration_seconds',
    help: 'Time from receiving a request to answering it, records committed, by side.',
    labelNames: ['side'],
    buckets: EXCHANGE_BUCKETS,
    registers,
  });
  const batchSize = new Histogram({
    name: 'einmal_audit_batch_size',
    help: 'Records per audit log commit (group commit).',
    buckets: BATCH_BUCKETS,
    registers,
  });
  const commitLatency = new Histogram({
    name: 'einmal_audit_commit_duration_seconds',
    help: 'Duration of one audit log commit (one batch of records).',
    buckets: COMMIT_BUCKETS,
    registers,
  });
  new Gauge({
    name: 'einmal_audit_queue_depth',
    help: 'Audit records waiting for their commit.',
    registers,
    collect() {
      this.set(options.auditQueueDepth());
    },
  });
  new Gauge({
    name: 'einmal_replay_guard_message_ids',
    help: 'Message ids the replay guard holds (those seen within twice the allowed clock skew).',
    registers,
    collect() {
      this.set(options.replayGuardSize());
    },
  });
  new Gauge({
    name: 'einmal_audit_log_behind_witness',
    help: "1 while this node's log is behind or differs from what the witness cosigned (restored from an older backup): no checkpoint is signed.",
    registers,
    collect() {
      this.set(options.logBehindWitness() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'einmal_audit_log_size',
    help: "Records in this node's audit log (its Merkle tree size).",
    registers,
    async collect() {
      this.set(await getTreeSize(options.db, options.tree));
    },
  });
  new Gauge({
    name: 'einmal_audit_witnessed_checkpoint_age_seconds',
    help: "Seconds since this node's newest checkpoint the witness cosigned was signed (absent before the first).",
    registers,
    async collect() {
      this.reset();
      const row = await options.db
        .selectFrom('checkpoint')
        .select('time')
        .where('tree', '=', options.tree)
        .where('cosignature', 'is not', null)
        .orderBy('size', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (row) this.set((options.clock() - new Date(row.time).getTime()) / 1000);
    },
  });

  return {
    /** Counts an answered exchange (the exchange pipeline's `observe`). */
    exchangeEnded(ended: ExchangeEnded): void {
      const service =
        ended.service !== undefined && options.knownService(ended.service) ? ended.service : 'unknown';
      const outcome = ended.errorCode === undefined ? 'answered' : ended.failed ? 'failed' : 'refused';
      exchanges.inc({ side: ended.side, service, outcome, error_code: ended.errorCode ?? 'none' });
      latency.observe({ side: ended.side }, ended.seconds);
    },
    /** Observes one audit commit (the audit log's `onCommit`). */
    committed(size: number, seconds: number): void {
      batchSize.observe(size);
      commitLatency.observe(seconds);
    },
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
