export { extractBundleArchive, writeBundleArchive } from './bundle-archive.ts';
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
export {
  checkCosignedCheckpoint,
  type TrustedCheckpoint,
  type WitnessedCheckpoint,
} from './checkpoint-checks.ts';
export {
  type CheckpointCache,
  EVIDENCE_FORMAT,
  type Evidence,
  type EvidenceItem,
  evidenceItemSchema,
  evidenceSchema,
  parseEvidence,
  readCanonicalRecord,
  type VerifiedEvidence,
  verifyEvidenceItem,
} from './evidence.ts';
export { type CheckedRecord, checkRecord, type RecordProblem } from './record-checks.ts';
export { createSignatureTrust, type SignatureTrust } from './signature-trust.ts';
export { createWitnessReader, readTrustedCheckpointFile } from './trusted-checkpoint.ts';
