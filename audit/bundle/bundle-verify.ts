import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import type { z } from 'zod';
import { parseCertificateDer, toPem } from '../../certs/index.ts';
import {
  type CosignedCheckpoint,
  checkpointCertificates,
  equalHashes,
  hashToBase64,
  logOrigin,
  parseCheckpointOrigin,
} from '../../protocol/index.ts';
import { createTreeBuilder, emptyRootHash } from '../merkle.ts';
import {
  BUNDLE_FILES,
  type BundleManifest,
  bundleCheckpointsSchema,
  bundleManifestSchema,
  MAX_RECORD_LINE,
} from './bundle-format.ts';
import {
  checkCheckpoints,
  readCheckpointClaim,
  type SignedRoot,
  type TrustedCheckpoint,
} from './checkpoint-checks.ts';
import { createExchangePairing, type ExchangePairing, type UnpairedRecord } from './exchange-pairing.ts';
import { readLineChunks } from './line-chunks.ts';
import {
  type ChunkResult,
  checkRecordChunk,
  decodeRecordText,
  LINE_TOO_LONG,
  NOT_A_RECORD_LINE,
} from './record-chunk.ts';
import { createRecordCheckPool } from './record-pool.ts';
import { createSignatureTrust, type SignatureTrust } from './signature-trust.ts';

/**
 * One failure, named precisely: the bundle, and the record (leaf index, line, field) or the
 * checkpoint (size) it concerns.
 */
export interface BundleFailure {
  readonly bundle: string;
  /** `trusted`: the checkpoint the auditor trusts (its `size`), not one of the bundle's. */
  readonly check: 'bundle' | 'record' | 'checkpoint' | 'trusted' | 'pairing';
  readonly message: string;
  readonly index?: number;
  readonly line?: number;
  readonly field?: string;
  readonly size?: number;
}

/** Progress of a long verification, reported every `progressEvery` records. */
export interface VerifyProgress {
  readonly bundle: string;
  readonly records: number;
  readonly total: number;
  readonly recordsPerSecond: number;
}

export interface VerifyBundlesOptions {
  /** The bundle to verify, then its peers (other gateways' bundles, for pairing). */
  readonly bundles: readonly string[];
  /**
   * PEM of the trust anchor(s), the federation root the auditor holds: every signature must chain
   * to it. Without one nothing is trusted and the report is never `ok`.
   */
  readonly anchorPem: string | undefined;
  /**
   * Checkpoints the auditor trusts from outside the bundles (e.g. the witness's latest, saved as a
   * file); each applies to the bundle of its origin.
   */
  readonly trustedCheckpoints?: readonly TrustedCheckpoint[];
  /**
   * The witness to ask for the latest cosigned checkpoint of each bundle's log (e.g. over HTTPS);
   * `undefined` when it has none. A failure to ask is a failure of the bundle.
   */
  readonly witness?: {
    readonly source: string;
    latest(origin: string): Promise<CosignedCheckpoint | undefined>;
  };
  /**
   * Accept checkpoints without a witness cosignature and records past the last witnessed
   * checkpoint; those records are reported as unverified (`unwitnessedFrom`), not as failures.
   */
  readonly allowUnwitnessed?: boolean;
  readonly progressEvery?: number;
  readonly onProgress?: (progress: VerifyProgress) => void;
  /** Failures kept in the report (the count is always exact). */
  readonly maxFailures?: number;
  /**
   * Worker threads that check records (parsing, hashing, ES256 signatures); 0 checks them on the
   * calling thread. By default one per {@link RECORDS_PER_WORKER} records the manifest lists, at
   * most one per core: starting a worker loads the module graph (about 0.4 s of CPU), which only a
   * bundle that large repays. The report is the same for every value.
   */
  readonly workers?: number;
}

/**
 * Records that repay starting one worker thread: checking them costs a few times the worker's
 * start on the calling thread, and the workers check them in parallel.
 */
const RECORDS_PER_WORKER = 200_000;

/** Bytes of `records.ndjson` read at a time and handed to a worker as whole lines. */
const CHUNK_BYTES = 1 << 20;
/**
 * The most bytes of one line the reader holds: a longer line is cut there, still too long for the
 * checker (UTF-8 takes at most 3 bytes per UTF-16 unit), so a line of gigabytes costs no memory.
 */
const LONGEST_LINE_BYTES = 3 * MAX_RECORD_LINE;

export interface BundleSummary {
  readonly bundle: string;
  readonly tree: string | null;
  /** The log's checkpoint origin (`GATEWAY` or `GATEWAY#NODE`), from the manifest. */
  readonly origin: string | null;
  readonly records: number;
  /**
   * Records pruned past the gateway's retention period: their leaf hashes count in every root, so
   * the checkpoints still verify, but their content is gone.
   */
  readonly pruned: number;
  readonly checkpoints: number;
  /** Bundle checkpoints that count: the owner's signature and the witness's cosignature hold. */
  readonly witnessed: number;
  readonly signatures: number;
  /** The trusted checkpoints that held for this log. */
  readonly trusted: readonly { readonly size: number; readonly source: string }[];
  /**
   * The first leaf index not covered by a checkpoint that counts (bundle or trusted), when records
   * go past it: those records are unverified.
   */
  readonly unwitnessedFrom: number | null;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly bundles: BundleSummary[];
  readonly failures: BundleFailure[];
  readonly failureCount: number;
  /** Checked only when more than one bundle was given. */
  readonly pairing: { readonly paired: number; readonly unpaired: UnpairedRecord[] } | null;
  readonly seconds: number;
}

/**
 * Verifies audit bundles offline (docs/protocol.md §12.3): every record canonical, valid and hashing to its
 * leaf; the Merkle root at each checkpoint's size equal to the signed root (one streaming pass, one
 * incremental tree); every checkpoint and cosignature by the trust rules of `checkCheckpoints`
 * (the log owner's signing certificate, the registry's witness certificate, both chained to the
 * auditor's anchor); consistency proofs between checkpoints; the trusted checkpoints (reached, same
 * root); no records past the last witnessed checkpoint unless allowed; the request and response JWS
 * of each successful exchange; and, with several bundles, the consumer↔provider pairing. It never
 * stops at the first failure. Without an anchor it refuses to report success.
 *
 * @example
 * const report = await verifyBundles({ bundles: ['munich-bundle'], anchorPem: rootPem, witness });
 * if (!report.ok) for (const f of report.failures) console.error(describeFailure(f));
 */
export async function verifyBundles(options: VerifyBundlesOptions): Promise<VerifyReport> {
  const started = performance.now();
  const maxFailures = options.maxFailures ?? 1000;
  const failures: BundleFailure[] = [];
  let failureCount = 0;
  const fail = (failure: BundleFailure) => {
    failureCount += 1;
    if (failures.length < maxFailures) failures.push(failure);
  };
  const pairing = options.bundles.length > 1 ? createExchangePairing() : undefined;
  const summaries: BundleSummary[] = [];
  const usedTrusted = new Set<TrustedCheckpoint>();
  for (const dir of options.bundles) {
    summaries.push(await verifyOne(dir, options, fail, pairing, usedTrusted));
  }
  for (const trusted of options.trustedCheckpoints ?? []) {
    if (usedTrusted.has(trusted)) continue;
    const origin = readCheckpointClaim(trusted.checkpoint)?.origin;
    fail({
      bundle: trusted.source,
      check: 'trusted',
      size: 0,
      message: origin
        ? `it is a checkpoint of log '${origin}', and no bundle holds that log`
        : 'it is not a checkpoint statement',
    });
  }
  let pairingReport: VerifyReport['pairing'] = null;
  if (pairing) {
    const unpaired = pairing.unpaired();
    for (const u of unpaired) {
      fail({
        bundle: u.bundle,
        check: 'pairing',
        index: u.index,
        field: 'messageId',
        message: `${u.messageId}: ${u.reason}`,
      });
    }
    pairingReport = { paired: pairing.paired, unpaired };
  }
  return {
    ok: failureCount === 0,
    bundles: summaries,
    failures,
    failureCount,
    pairing: pairingReport,
    seconds: (performance.now() - started) / 1000,
  };
}

async function verifyOne(
  dir: string,
  options: VerifyBundlesOptions,
  fail: (failure: BundleFailure) => void,
  pairing: ExchangePairing | undefined,
  usedTrusted: Set<TrustedCheckpoint>,
): Promise<BundleSummary> {
  const bundle = basename(dir);
  const summary: BundleSummary = {
    bundle,
    tree: null,
    origin: null,
    records: 0,
    pruned: 0,
    checkpoints: 0,
    witnessed: 0,
    signatures: 0,
    trusted: [],
    unwitnessedFrom: null,
  };
  const bundleFail = (message: string) => fail({ bundle, check: 'bundle', message });

  const manifest = await readJson(join(dir, BUNDLE_FILES.manifest), bundleManifestSchema, bundleFail);
  const checkpoints = await readJson(
    join(dir, BUNDLE_FILES.checkpoints),
    bundleCheckpointsSchema,
    bundleFail,
  );
  const certificatesPem = await readFile(join(dir, BUNDLE_FILES.certificates), 'utf8').catch(() => {
    bundleFail(`${BUNDLE_FILES.certificates} is missing`);
    return '';
  });
  if (!options.anchorPem?.trim()) {
    bundleFail('no trust anchor given: without the federation root certificate no signature can be trusted');
    return summary;
  }
  if (!manifest || !checkpoints) return summary;
  const origin = logOrigin(manifest.gateway ?? manifest.tree, manifest.tree);
  if (!parseCheckpointOrigin(origin)) {
    bundleFail(
      `the manifest's log '${manifest.tree}' (gateway ${manifest.gateway ?? 'not named'}) is not a gateway's log: its checkpoints' origin cannot be known`,
    );
    return { ...summary, tree: manifest.tree };
  }

  const trusted = (options.trustedCheckpoints ?? []).filter(
    (t) => readCheckpointClaim(t.checkpoint)?.origin === origin,
  );
  for (const t of trusted) usedTrusted.add(t);
  if (options.witness) {
    try {
      const latest = await options.witness.latest(origin);
      if (latest) trusted.push({ ...latest, source: options.witness.source });
      else bundleFail(`${options.witness.source} has witnessed no checkpoint of log '${origin}'`);
    } catch (error) {
      bundleFail(
        `${options.witness.source} cannot be asked for the latest checkpoint of '${origin}': ${(error as Error).message}`,
      );
    }
  }

  let trust: SignatureTrust;
  let trustPem: TrustPem;
  try {
    // The trusted checkpoints' own chains may link their signers too; every link must reach the anchor.
    const intermediatesPem = [certificatesPem, ...trusted.flatMap((t) => chainPem(t))].join('\n');
    trust = createSignatureTrust({ anchorsPem: options.anchorPem, intermediatesPem });
    trustPem = { anchorsPem: options.anchorPem, intermediatesPem };
  } catch {
    bundleFail(`${BUNDLE_FILES.certificates} or the anchor is not a valid PEM certificate bundle`);
    return { ...summary, tree: manifest.tree, origin };
  }

  const checked = checkCheckpoints({
    checkpoints,
    origin,
    trust,
    allowUnwitnessed: options.allowUnwitnessed ?? false,
    trusted,
  });
  for (const p of checked.problems) {
    fail({ bundle, check: p.trusted ? 'trusted' : 'checkpoint', size: p.size, message: p.message });
  }

  const streamed = await streamRecords(
    dir,
    bundle,
    manifest,
    checked.signed,
    { trust, ...trustPem },
    options,
    fail,
    pairing,
  );
  const unwitnessedFrom = streamed.records > checked.witnessedSize ? checked.witnessedSize : null;
  if (unwitnessedFrom !== null && !options.allowUnwitnessed) {
    fail({
      bundle,
      check: 'bundle',
      message: `records ${unwitnessedFrom}..${streamed.records - 1} are past the last witnessed checkpoint (${unwitnessedFrom === 0 ? 'there is none' : `size ${unwitnessedFrom}`}): nothing shows they are the records the log held; export up to the last witnessed checkpoint, give a newer trusted checkpoint, or allow them as unverified`,
    });
  }
  return {
    bundle,
    tree: manifest.tree,
    origin,
    records: streamed.records,
    pruned: streamed.pruned,
    checkpoints: checkpoints.length,
    witnessed: checked.witnessed,
    signatures: streamed.signatures,
    trusted: checked.trusted,
    unwitnessedFrom,
  };
}

/** The certificates of a cosigned checkpoint's two `x5c` chains, as PEM. */
function chainPem(cosigned: CosignedCheckpoint): string[] {
  const pem: string[] = [];
  for (const jws of [cosigned.checkpoint, cosigned.cosignature]) {
    try {
      for (const der of checkpointCertificates(jws))
        pem.push(toPem(parseCertificateDer(Buffer.from(der, 'base64'))));
    } catch {
      // A malformed chain is named when the checkpoint is checked.
    }
  }
  return pem;
}

/** The PEM a signature trust is built from, so worker threads can build their own. */
interface TrustPem {
  readonly anchorsPem: string;
  readonly intermediatesPem: string;
}

async function streamRecords(
  dir: string,
  bundle: string,
  manifest: BundleManifest,
  signed: readonly SignedRoot[],
  { trust, ...trustPem }: { trust: SignatureTrust } & TrustPem,
  options: VerifyBundlesOptions,
  fail: (failure: BundleFailure) => void,
  pairing: ExchangePairing | undefined,
): Promise<{ records: number; signatures: number; pruned: number }> {
  const tree = createTreeBuilder();
  const progressEvery = options.progressEvery ?? 100_000;
  const started = performance.now();
  let pending = 0; // next checkpoint to compare
  const compareRoots = () => {
    while (pending < signed.length && signed[pending]!.size === tree.size) {
      const { size, root, trusted } = signed[pending]!;
      const actual = size === 0 ? emptyRootHash() : tree.root();
      if (!equalHashes(actual, root)) {
        fail({
          bundle,
          check: trusted ? 'trusted' : 'checkpoint',
          size,
          message: `the records 0..${size - 1} have root ${hashToBase64(actual)}, not the ${trusted ? "trusted checkpoint's" : 'signed'} root (a record was changed, removed, reordered or inserted before index ${size})`,
        });
      }
      pending += 1;
    }
  };
  compareRoots();

  let line = 0;
  let next = 0; // the leaf index the next line must hold
  let signatures = 0;
  let pruned = 0;
  /** Where a failure of the current line is. */
  const at = (): Pick<BundleFailure, 'bundle' | 'check' | 'line'> => ({ bundle, check: 'record', line });
  const fold = (result: ChunkResult) => {
    let problem = 0;
    let pair = 0;
    // The chunk's subtrees, hashed where it was checked, join the tree whole when they start at its
    // size and no checkpoint falls inside them (its root must be compared at its exact size).
    const subtrees = result.subtrees;
    const whole =
      subtrees !== null &&
      subtrees.first === tree.size &&
      subtrees.first === next &&
      !signed.slice(pending).some((s) => s.size > tree.size && s.size < tree.size + result.lines);
    if (whole) {
      for (let k = 0; k < subtrees.widths.length; k++)
        tree.appendSubtree(subtrees.hashes.subarray(k * 32, k * 32 + 32), subtrees.widths[k]!);
    }
    for (let i = 0; i < result.lines; i++) {
      line += 1;
      const index = result.indices[i]!;
      if (index === LINE_TOO_LONG) fail({ ...at(), message: 'the line is too long' });
      else if (index === NOT_A_RECORD_LINE)
        fail({ ...at(), message: 'not a record line ({index, canonical, leaf})' });
      else {
        if (index > next) {
          const missing = index - next === 1 ? `record ${next} is` : `records ${next}..${index - 1} are`;
          fail({
            ...at(),
            index,
            field: 'index',
            message: `${missing} missing before this record (removed)`,
          });
          next = index + 1;
        } else if (index < next) {
          fail({
            ...at(),
            index,
            field: 'index',
            message: `index ${index} where ${next} was expected (reordered or inserted)`,
          });
        } else {
          next += 1;
        }
        for (; problem < result.problems.length && result.problems[problem]!.line === i; problem++) {
          const p = result.problems[problem]!;
          fail({ ...at(), index, field: p.field, message: p.message });
        }
        if (pairing && result.pairs) {
          for (; pair < result.pairs.length && result.pairs[pair]!.line === i; pair++) {
            pairing.add(bundle, index, result.pairs[pair]!.record);
          }
        }
        if (!whole) {
          tree.append(result.leaves.subarray(i * 32, i * 32 + 32));
          compareRoots();
        }
      }
      if (options.onProgress && line % progressEvery === 0) {
        const seconds = (performance.now() - started) / 1000;
        options.onProgress({
          bundle,
          records: line,
          total: manifest.records,
          recordsPerSecond: line / seconds,
        });
      }
    }
    if (whole) compareRoots();
    signatures += result.signatures;
    pruned += result.pruned;
  };

  const workers =
    options.workers ?? Math.min(availableParallelism(), Math.floor(manifest.records / RECORDS_PER_WORKER));
  const pool =
    workers > 0
      ? createRecordCheckPool({
          size: workers,
          anchorsPem: trustPem.anchorsPem,
          intermediatesPem: trustPem.intermediatesPem,
          withPairs: pairing !== undefined,
        })
      : undefined;
  // Chunks in flight, oldest first: results are folded strictly in file order.
  const inFlight: Promise<ChunkResult>[] = [];
  const maxInFlight = 2 * workers + 2;
  const submit = async (bytes: Uint8Array) => {
    if (!pool) {
      fold(checkRecordChunk(decodeRecordText(bytes), trust, pairing !== undefined));
      return;
    }
    const checked = pool.check(bytes);
    // A worker that dies rejects every chunk it holds; the first one awaited ends the reading, and
    // the others must not go unobserved (an unhandled rejection would end the process).
    checked.catch(() => {});
    inFlight.push(checked);
    while (inFlight.length >= maxInFlight) fold(await inFlight.shift()!);
  };
  let opened = true;
  try {
    try {
      for await (const bytes of readLineChunks(
        join(dir, BUNDLE_FILES.records),
        CHUNK_BYTES,
        LONGEST_LINE_BYTES,
      )) {
        await submit(bytes);
      }
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') opened = false;
      else throw error;
    }
    while (inFlight.length > 0) fold(await inFlight.shift()!);
  } catch {
    if (opened) fail({ bundle, check: 'bundle', message: `${BUNDLE_FILES.records} cannot be read` });
  } finally {
    await pool?.close();
  }
  if (!opened) fail({ bundle, check: 'bundle', message: `${BUNDLE_FILES.records} is missing` });
  if (line !== manifest.records) {
    fail({
      bundle,
      check: 'bundle',
      message: `the manifest lists ${manifest.records} records, the bundle holds ${line}`,
    });
  }
  for (const { size, trusted } of signed.slice(pending)) {
    fail({
      bundle,
      check: trusted ? 'trusted' : 'checkpoint',
      size,
      message: trusted
        ? `the bundle ends after ${tree.size} records, before the trusted checkpoint's size ${size}: records were removed at the end, or the bundle was cut at an earlier checkpoint (a rollback, or an export older than the trusted checkpoint)`
        : `the bundle ends after ${tree.size} records, before this checkpoint's size (records removed at the end)`,
    });
  }
  return { records: line, signatures, pruned };
}

async function readJson<T>(
  path: string,
  schema: z.ZodType<T>,
  fail: (message: string) => void,
): Promise<T | undefined> {
  const name = basename(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    fail(`${name} is missing`);
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    fail(`${name} is not JSON`);
    return undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(`${name}: ${issue?.path.join('.') || '(top)'}: ${issue?.message}`);
    return undefined;
  }
  return parsed.data;
}

/**
 * One line naming a failure, e.g. `munich: record 17 (line 18) requestSignature: the signature does not verify`.
 */
export function describeFailure(failure: BundleFailure): string {
  const where =
    failure.check === 'checkpoint'
      ? `checkpoint size ${failure.size}`
      : failure.check === 'trusted'
        ? `trusted checkpoint${failure.size ? ` size ${failure.size}` : ''}`
        : failure.check === 'bundle'
          ? 'bundle'
          : failure.index !== undefined
            ? `record ${failure.index}${failure.line !== undefined ? ` (line ${failure.line})` : ''}`
            : `line ${failure.line}`;
  const field = failure.field ? ` ${failure.field}` : '';
  return `${failure.bundle}: ${failure.check === 'pairing' ? 'pairing ' : ''}${where}${field}: ${failure.message}`;
}
