export {
  createMetricsRegistry,
  type ExpiringCredential,
  observeCertificates,
  observeDatabasePool,
  observeDirectory,
} from './metrics.ts';
export { opsListenerConfig } from './ops-config.ts';
export {
  checkReadiness,
  createOpsApp,
  type OpsAppOptions,
  type OpsListenerSettings,
  type Readiness,
  type ReadinessChecks,
  type RunningOpsListener,
  startOpsListener,
} from './ops-listener.ts';
