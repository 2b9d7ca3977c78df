export { extractBundleArchive, writeBundleArchive } from './bundle-archive.ts';
export { type ExportBundleOptions, exportBundle } from './bundle-export.ts';
export { BUNDLE_FILES, type BundleManifest } from './bundle-format.ts';
export {
  type BundleFailure,
  describeFailure,
  type VerifyProgress,
  type VerifyReport,
  verifyBundles,
} from './bundle-verify.ts';
export { canonicalJson, canonicalRecord, type JsonValue } from './canonical.ts';
export {
  CHECKPOINT_TYPE,
  type Checkpoint,
  COSIGNATURE_TYPE,
  checkpointCertificates,
  checkpointSchema,
  cosignCheckpoint,
  createCheckpoint,
  type SignCheckpointOptions,
  type SigningKey,
  signCheckpoint,
  type VerificationKey,
  verifyCheckpoint,
  verifyCosignature,
} from './checkpoint.ts';
export {
  type CosignedCheckpoint,
  checkCosignedCheckpoint,
  type TrustedCheckpoint,
  type WitnessedCheckpoint,
} from './checkpoint-checks.ts';
export { type CheckpointOrigin, logOrigin, parseCheckpointOrigin } from './checkpoint-origin.ts';
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
export {
  base64HashSchema,
  equalHashes,
  HASH_SIZE,
  hashFromBase64,
  hashFromHex,
  hashToBase64,
  hashToHex,
  hexHashSchema,
  isHash,
} from './hash-codec.ts';
export {
  consistencyProof,
  createTreeBuilder,
  emptyRootHash,
  foldRight,
  inclusionProof,
  leafHash,
  nodeHash,
  rootHash,
  type TreeBuilder,
} from './merkle.ts';
export {
  consistencyRanges,
  frontier,
  inclusionRanges,
  type LeafRange,
  largestPowerOfTwoBelow,
  type NodeId,
  perfectSubtrees,
} from './merkle-plan.ts';
export {
  type ConsistencyClaim,
  type InclusionClaim,
  verifyConsistency,
  verifyInclusion,
} from './merkle-verify.ts';
export { type CheckedRecord, checkRecord, type RecordProblem } from './record-checks.ts';
export { createSignatureTrust, type SignatureTrust } from './signature-trust.ts';
export {
  type AppendPlan,
  type AppendResult,
  type AuditTreeTables,
  appendLeaves,
  auditTreeMigrations,
  getConsistencyProof,
  getInclusionProof,
  getInclusionProofs,
  getRoot,
  getTreeSize,
  type MerkleNodeTable,
  planAppend,
  type StoredInclusionProof,
  type TreeHeadTable,
  type TreeTip,
} from './tree-store.ts';
export { createWitnessReader } from './trusted-checkpoint.ts';
