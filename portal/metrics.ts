import { Gauge, type Registry } from 'prom-client';
import {
  createMetricsRegistry,
  type ExpiringCredential,
  observeCertificates,
  observeDirectory,
} from '../core/ops/index.ts';
import type { DirectoryClient } from '../protocol/index.ts';
import type { SessionStore } from './session/session-store.ts';

/**
 * The portal's metrics: active sessions, the directory it holds (age, time to expiry) and its TLS
 * certificate's expiry when it serves HTTPS itself, beside the process metrics.
 *
 * @example
 * const metrics = createPortalMetrics({ directory, sessions, certificates: [], clock: Date.now });
 */
export function createPortalMetrics(options: {
  readonly directory: Pick<DirectoryClient, 'current'>;
  readonly sessions: Pick<SessionStore, 'size'>;
  readonly certificates: readonly ExpiringCredential[];
  readonly clock: () => number;
}): Registry {
  const registry = createMetricsRegistry();
  new Gauge({
    name: 'einmal_portal_sessions',
    help: 'Active portal sessions (citizens and auditors logged in).',
    registers: [registry],
    collect() {
      this.set(options.sessions.size());
    },
  });
  observeDirectory(registry, () => options.directory.current(), options.clock);
  observeCertificates(registry, () => options.certificates, options.clock);
  return registry;
}
