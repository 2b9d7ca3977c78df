import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { PoolUse } from '../database/index.ts';

/**
 * prom-client's default Node.js metrics that are gauges named like counters (`..._total`); the
 * Prometheus linter (`promtool check metrics`) refuses such names, so they are left out.
 */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * A service's own metric registry (never prom-client's global one, so several services in one
 * process, as in the demo and the tests, keep apart), with the process and Node.js runtime metrics.
 *
 * @example
 * const metrics = createMetricsRegistry();
 * new Counter({ name: 'einmal_gateway_exchanges_total', help: '...', registers: [metrics] });
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  return registry;
}

/**
 * `einmal_database_connections{state}` (in use, idle, waiting for a connection) and
 * `einmal_database_connections_max`, sampled at each scrape: a pool that stays full with clients
 * waiting is the alert.
 */
export function observeDatabasePool(registry: Registry, pool: () => PoolUse): void {
  new Gauge({
    name: 'einmal_database_connections',
    help: 'Database connections of this process by state: in_use, idle, and waiting (callers queued for one).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const use = pool();
      this.set({ state: 'in_use' }, use.total - use.idle);
      this.set({ state: 'idle' }, use.idle);
      this.set({ state: 'waiting' }, use.waiting);
    },
  });
  new Gauge({
    name: 'einmal_database_connections_max',
    help: 'Size of the database connection pool.',
    registers: [registry],
    collect() {
      this.set(pool().max);
    },
  });
}

/** A certificate (or other credential) whose end of validity an operator must act on in time. */
export interface ExpiringCredential {
  /** What it is, e.g. `tls`, `signing`, `directory`; a label value. */
  readonly name: string;
  readonly notAfter: Date;
}

/**
 * `einmal_certificate_expiry_seconds{certificate}`: seconds until each of the service's own
 * certificates expires (negative once expired), sampled at each scrape from `credentials()`, so a
 * renewed certificate shows at once. Alert well before zero (e.g. below 30 days, 2592000 s).
 */
export function observeCertificates(
  registry: Registry,
  credentials: () => readonly ExpiringCredential[],
  clock: () => number,
): void {
  new Gauge({
    name: 'einmal_certificate_expiry_seconds',
    help: "Seconds until each of this service's certificates expires (negative once expired).",
    labelNames: ['certificate'],
    registers: [registry],
    collect() {
      this.reset();
      for (const credential of credentials()) {
        this.set({ certificate: credential.name }, (credential.notAfter.getTime() - clock()) / 1000);
      }
    },
  });
}

/**
 * `einmal_directory_age_seconds` and `einmal_directory_expiry_seconds`: how old the signed
 * directory this service holds (or serves) is, and how long until it expires. A directory that
 * stops being renewed shows as a growing age long before it expires.
 */
export function observeDirectory(
  registry: Registry,
  directory: () => { readonly issuedAt: string | Date; readonly expiresAt: string | Date } | undefined,
  clock: () => number,
): void {
  new Gauge({
    name: 'einmal_directory_age_seconds',
    help: 'Seconds since the held directory was issued (absent while none is held).',
    registers: [registry],
    collect() {
      this.reset();
      const held = directory();
      if (held) this.set((clock() - new Date(held.issuedAt).getTime()) / 1000);
    },
  });
  new Gauge({
    name: 'einmal_directory_expiry_seconds',
    help: 'Seconds until the held directory expires (negative once expired; absent while none is held).',
    registers: [registry],
    collect() {
      this.reset();
      const held = directory();
      if (held) this.set((new Date(held.expiresAt).getTime() - clock()) / 1000);
    },
  });
}
