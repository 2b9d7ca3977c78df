import { Counter, Histogram, type Registry } from 'prom-client';
import type { PoolUse } from '../core/database/index.ts';
import { createMetricsRegistry, observeDatabasePool } from '../core/ops/index.ts';
import type { AdapterAnswered } from './sdk/index.ts';

/**
 * An adapter's metrics: answers by service code (`address-v1`) and status, answer latency by service,
 * the database pool, beside the process metrics.
 *
 * @example
 * const metrics = createAdapterMetrics(database.poolUse);
 * createAdapterApp({ services, log, observe: metrics.answered });
 */
export function createAdapterMetrics(pool?: () => PoolUse): {
  readonly registry: Registry;
  answered(answer: AdapterAnswered): void;
} {
  const registry = createMetricsRegistry();
  if (pool) observeDatabasePool(registry, pool);
  const answers = new Counter({
    name: 'einmal_adapter_answers_total',
    help: 'Answers of the adapter, by X-Road service code and status.',
    labelNames: ['service', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'einmal_adapter_answer_duration_seconds',
    help: 'Time from request to answer, by X-Road service code.',
    labelNames: ['service'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return {
    registry,
    answered({ service, status, seconds }) {
      answers.inc({ service, status: String(status) });
      latency.observe({ service }, seconds);
    },
  };
}
