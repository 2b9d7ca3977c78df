export { createGroupCommitQueue, type GroupCommitOptions, type GroupCommitQueue } from './group-commit.ts';
export type { AuditLogTables, AuditRecordTable, CheckpointTable } from './log-tables.ts';
export {
  alignedSubtrees,
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
export {
  type AppendPlan,
  type AppendResult,
  type AuditTreeTables,
  appendLeaves,
  auditTreeMigrations,
  createProofCache,
  getConsistencyProof,
  getInclusionProof,
  getInclusionProofs,
  getRoot,
  getTreeSize,
  type MerkleNodeTable,
  type ProofCache,
  type ProofCacheOptions,
  planAppend,
  type StoredInclusionProof,
  type TreeHeadTable,
  type TreeTip,
} from './tree-store.ts';
