import { z } from 'zod';
import { base64HashSchema } from '../../protocol/codec/index.ts';

/**
 * The audit bundle (docs/protocol.md §12.3): a directory an auditor can verify offline with nothing but the
 * federation's root certificate.
 *
 * - `manifest.json`: {@link BundleManifest}.
 * - `records.ndjson`: one {@link BundleRecordLine} per line, in leaf order.
 * - `checkpoints.json`: the node's signed checkpoints, smallest first ({@link BundleCheckpoint}).
 * - `certificates.pem`: every certificate seen in the signatures' `x5c`, the federation CA chain
 *   and the witness's certificate; informative (chains are checked against the caller's anchor).
 */
export const BUNDLE_FILES = {
  manifest: 'manifest.json',
  records: 'records.ndjson',
  checkpoints: 'checkpoints.json',
  certificates: 'certificates.pem',
} as const;

/** Version of the bundle layout; a verifier refuses versions it does not know. */
export const BUNDLE_FORMAT = 'einmal-audit-bundle/1';

/** Longest record line accepted: a record holds two compact JWS with certificate chains. */
export const MAX_RECORD_LINE = 256 * 1024;

export const bundleManifestSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  /** The printed gateway id whose node kept the log, when the exporter knew it. */
  gateway: z.string().max(255).nullable(),
  /** The log tree (gateway node) the records belong to. */
  tree: z.string().min(1).max(255),
  /** Number of lines in `records.ndjson`. */
  records: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** The tree size the bundle covers: the size in the database at export time, or the requested prefix. */
  treeSize: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  created: z.iso.datetime(),
});

/** What `manifest.json` holds. */
export type BundleManifest = z.infer<typeof bundleManifestSchema>;

/**
 * One record: its leaf index, the exact canonical JSON the leaf hash covers, and the leaf hash the
 * node's tree store holds for that index. A record changed after its leaf was stored (in the
 * database or in the bundle) no longer matches `leaf`; a changed `leaf` no longer matches the signed
 * roots. A record pruned past the gateway's retention period has `canonical: null` and only its
 * `leaf`: it still counts in every root, but says nothing more.
 */
export const bundleRecordLineSchema = z
  .strictObject({
    index: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
    canonical: z.string().min(2).nullable(),
    leaf: base64HashSchema.nullable(),
  })
  .refine((line) => line.canonical !== null || line.leaf !== null, {
    message: 'a pruned record (canonical null) keeps its leaf hash',
    path: ['leaf'],
  });

export type BundleRecordLine = z.infer<typeof bundleRecordLineSchema>;

const compactJwsText = z.string().max(64 * 1024);

/** One signed checkpoint as the node stored it, with the witness's cosignature once witnessed. */
export const bundleCheckpointSchema = z.strictObject({
  size: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  root: base64HashSchema,
  time: z.iso.datetime({ offset: true }),
  jws: compactJwsText,
  cosignature: compactJwsText.nullable(),
  /** RFC 9162 consistency proof (base64 hashes) from the previous checkpoint, from the tree store. */
  consistency: z.array(base64HashSchema).max(64).nullable(),
});

export type BundleCheckpoint = z.infer<typeof bundleCheckpointSchema>;

export const bundleCheckpointsSchema = z.array(bundleCheckpointSchema).max(10_000_000);
