import { Counter, Gauge, type Registry } from 'prom-client';
import { createMetricsRegistry, observeDirectory } from '../core/ops/index.ts';
import type { DirectoryPublisher } from './directory-publisher.ts';

/** The registry's metrics on prom-client (served by the operations listener, `REGISTRY_OPS_PORT`). */
export interface RegistryMetrics {
  readonly registry: Registry;
  countRequest(listener: 'public' | 'admin', status: number): void;
}

/**
 * The registry's own metrics: requests by listener and status, the directory served (version, age,
 * time to expiry) and how many directories were signed. The process, certificates and database pool
 * are observed where the registry starts (`server.ts`).
 *
 * @example
 * const metrics = createRegistryMetrics({ publisher, clock });
 * metrics.countRequest('public', 200);
 */
export function createRegistryMetrics(options: {
  readonly publisher: DirectoryPublisher;
  readonly clock: () => number;
  readonly registry?: Registry | undefined;
}): RegistryMetrics {
  const registry = options.registry ?? createMetricsRegistry();
  const registers = [registry];
  const requests = new Counter({
    name: 'einmal_registry_http_requests_total',
    help: 'HTTP requests answered, by listener (public, admin) and status.',
    labelNames: ['listener', 'status'],
    registers,
  });
  new Gauge({
    name: 'einmal_registry_directory_version',
    help: 'Version of the directory served (0 before the first).',
    registers,
    collect() {
      this.set(options.publisher.current()?.version ?? 0);
    },
  });
  new Counter({
    name: 'einmal_registry_directories_signed_total',
    help: 'Directories signed since start.',
    registers,
    collect() {
      this.reset();
      this.inc(options.publisher.signedCount());
    },
  });
  observeDirectory(registry, () => options.publisher.current(), options.clock);
  return {
    registry,
    countRequest(listener, status) {
      requests.inc({ listener, status: String(status) });
    },
  };
}
