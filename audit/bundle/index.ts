export {
  type ExportBundleOptions,
  type ExportedBundle,
  type ExportTables,
  exportBundle,
} from './bundle-export.ts';
export {
  BUNDLE_FILES,
  BUNDLE_FORMAT,
  type BundleCheckpoint,
  type BundleManifest,
  type BundleRecordLine,
  MAX_RECORD_LINE,
} from './bundle-format.ts';
export {
  type BundleFailure,
  type BundleSummary,
  describeFailure,
  type VerifyBundlesOptions,
  type VerifyProgress,
  type VerifyReport,
  verifyBundles,
} from './bundle-verify.ts';
export type { TrustedCheckpoint } from './checkpoint-checks.ts';
export { createWitnessReader, readTrustedCheckpointFile } from './trusted-checkpoint.ts';
