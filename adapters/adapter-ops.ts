import type { PoolUse } from '../core/database/index.ts';
import type { Logger } from '../core/index.ts';
import { type OpsListenerSettings, startOpsListener } from '../core/ops/index.ts';
import { createAdapterMetrics } from './adapter-metrics.ts';
import {
  type AdapterDefinition,
  type AdapterListening,
  type RunningAdapter,
  startAdapter,
} from './sdk/index.ts';

/** How `einmal adapter serve`, the demo and the benchmark serve an adapter. */
export type ServeAdapterWithOpsOptions = AdapterListening & {
  readonly log: Logger;
  readonly port: number;
  readonly host?: string | undefined;
  /** The operations listener (`/healthz`, `/readyz`, `/metrics`); none when absent. */
  readonly ops?: OpsListenerSettings | undefined;
  /** How the adapter's database connection pool is used, for the metrics, when einmal opened it. */
  readonly pool?: (() => PoolUse) | undefined;
};

/** A running adapter, with its operations listener's port when it has one. */
export interface RunningAdapterWithOps extends RunningAdapter {
  readonly opsPort: number | undefined;
}

/**
 * Serves any adapter (an integrator's module or the sample registries) with `startAdapter`, its
 * answers counted for the metrics, and, when asked for, the operations listener whose readiness is
 * the adapter's own. Closing stops both, then releases the adapter's resources.
 *
 * @example
 * const running = await startAdapterWithOps(adapter, { log, port: 4420, tls, ops: { host, port: 9464 } });
 */
export async function startAdapterWithOps(
  adapter: AdapterDefinition,
  options: ServeAdapterWithOpsOptions,
): Promise<RunningAdapterWithOps> {
  const { ops, pool, host, ...serving } = options;
  const metrics = createAdapterMetrics(pool);
  const running = await startAdapter(adapter, {
    ...serving,
    ...(host ? { host } : {}),
    observe: metrics.answered,
  });
  const isReady = adapter.isReady;
  const opsListener =
    ops &&
    (await startOpsListener(
      ops,
      { metrics: metrics.registry, checks: isReady ? { adapter: () => isReady() } : {} },
      options.log,
    ).catch(async (error) => {
      await running.close();
      throw error;
    }));
  return {
    url: running.url,
    port: running.port,
    opsPort: opsListener?.port,
    async close() {
      await Promise.all([running.close(), opsListener?.close()]);
    },
  };
}
