import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { z } from 'zod';
import { parseCertificateBundle, toPem } from '../certs/index.ts';
import {
  BUNDLE_FILES,
  type BundleManifest,
  bundleCheckpointsSchema,
  bundleManifestSchema,
  bundleRecordLineSchema,
  MAX_RECORD_LINE,
} from './bundle-format.ts';
import { checkCheckpoints } from './checkpoint-checks.ts';
import { createExchangePairing, type ExchangePairing, type UnpairedRecord } from './exchange-pairing.ts';
import { equalHashes, hashToBase64 } from './hash-codec.ts';
import { createTreeBuilder, emptyRootHash } from './merkle.ts';
import { checkRecord } from './record-checks.ts';
import { createSignatureTrust, type SignatureTrust } from './signature-trust.ts';

/**
 * One failure, named precisely: the bundle, and the record (leaf index, line, field) or the
 * checkpoint (size) it concerns.
 */
export interface BundleFailure {
  readonly bundle: string;
  readonly check: 'bundle' | 'record' | 'checkpoint' | 'pairing';
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
  /** PEM of the trust anchor(s); without one, the bundles' own self-signed CAs are used (weaker). */
  readonly anchorPem?: string | undefined;
  readonly allowUnwitnessed?: boolean;
  readonly progressEvery?: number;
  readonly onProgress?: (progress: VerifyProgress) => void;
  /** Failures kept in the report (the count is always exact). */
  readonly maxFailures?: number;
}

export interface BundleSummary {
  readonly bundle: string;
  readonly tree: string | null;
  readonly records: number;
  readonly checkpoints: number;
  readonly witnessed: number;
  readonly signatures: number;
  /** Leaf indices from which records are not yet covered by any checkpoint. */
  readonly uncoveredFrom: number | null;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly bundles: BundleSummary[];
  readonly failures: BundleFailure[];
  readonly failureCount: number;
  /** Checked only when more than one bundle was given. */
  readonly pairing: { readonly paired: number; readonly unpaired: UnpairedRecord[] } | null;
  readonly anchorFromBundle: boolean;
  readonly seconds: number;
}

/**
 * Verifies audit bundles offline (DESIGN §9): every record canonical, valid and hashing to its
 * leaf; the Merkle root at each checkpoint's size equal to the signed root (one streaming pass, one
 * incremental tree); every checkpoint and witness signature with its chain; consistency proofs
 * between checkpoints; the request and response JWS of each successful exchange; and, with several
 * bundles, the consumer↔provider pairing. It never stops at the first failure.
 *
 * @example
 * const report = await verifyBundles({ bundles: ['munich-bundle'], anchorPem: rootPem });
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
  let anchorFromBundle = false;
  for (const dir of options.bundles) {
    const result = await verifyOne(dir, options, fail, pairing);
    anchorFromBundle ||= result.anchorFromBundle;
    summaries.push(result.summary);
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
    anchorFromBundle,
    seconds: (performance.now() - started) / 1000,
  };
}

async function verifyOne(
  dir: string,
  options: VerifyBundlesOptions,
  fail: (failure: BundleFailure) => void,
  pairing: ExchangePairing | undefined,
): Promise<{ summary: BundleSummary; anchorFromBundle: boolean }> {
  const bundle = basename(dir);
  const summary: BundleSummary = {
    bundle,
    tree: null,
    records: 0,
    checkpoints: 0,
    witnessed: 0,
    signatures: 0,
    uncoveredFrom: null,
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
  if (!manifest || !checkpoints) return { summary, anchorFromBundle: false };

  let trust: SignatureTrust;
  let anchorFromBundle = false;
  try {
    let anchorsPem = options.anchorPem;
    if (!anchorsPem) {
      anchorFromBundle = true;
      anchorsPem = parseCertificateBundle(certificatesPem)
        .filter((c) => c.subject === c.issuer)
        .map((c) => toPem(c))
        .join('\n');
    }
    trust = createSignatureTrust({ anchorsPem, intermediatesPem: certificatesPem });
  } catch {
    bundleFail(`${BUNDLE_FILES.certificates} or the anchor is not a valid PEM certificate bundle`);
    return { summary, anchorFromBundle };
  }

  const checked = await checkCheckpoints({
    checkpoints,
    tree: manifest.tree,
    trust,
    allowUnwitnessed: options.allowUnwitnessed ?? false,
  });
  for (const p of checked.problems) fail({ bundle, check: 'checkpoint', size: p.size, message: p.message });

  const streamed = await streamRecords(dir, bundle, manifest, checked.signed, trust, options, fail, pairing);
  const lastSigned = checked.signed.at(-1)?.size ?? 0;
  return {
    summary: {
      bundle,
      tree: manifest.tree,
      records: streamed.records,
      checkpoints: checkpoints.length,
      witnessed: checked.witnessed,
      signatures: streamed.signatures,
      uncoveredFrom: streamed.records > lastSigned ? lastSigned : null,
    },
    anchorFromBundle,
  };
}

async function streamRecords(
  dir: string,
  bundle: string,
  manifest: BundleManifest,
  signed: readonly { size: number; root: Uint8Array }[],
  trust: SignatureTrust,
  options: VerifyBundlesOptions,
  fail: (failure: BundleFailure) => void,
  pairing: ExchangePairing | undefined,
): Promise<{ records: number; signatures: number }> {
  const tree = createTreeBuilder();
  const progressEvery = options.progressEvery ?? 100_000;
  const started = performance.now();
  let pending = 0; // next checkpoint to compare
  const compareRoots = () => {
    while (pending < signed.length && signed[pending]!.size === tree.size) {
      const { size, root } = signed[pending]!;
      const actual = size === 0 ? emptyRootHash() : tree.root();
      if (!equalHashes(actual, root)) {
        fail({
          bundle,
          check: 'checkpoint',
          size,
          message: `the records 0..${size - 1} have root ${hashToBase64(actual)}, not the signed root (a record was changed, removed, reordered or inserted before index ${size})`,
        });
      }
      pending += 1;
    }
  };
  compareRoots();

  let line = 0;
  let next = 0; // the leaf index the next line must hold
  let signatures = 0;
  const input = createReadStream(join(dir, BUNDLE_FILES.records), { encoding: 'utf8' });
  let opened = true;
  input.on('error', () => {
    opened = false;
  });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const text of lines) {
      line += 1;
      const at = { bundle, check: 'record' as const, line };
      if (text.length > MAX_RECORD_LINE) {
        fail({ ...at, message: 'the line is too long' });
        continue;
      }
      let entry: z.infer<typeof bundleRecordLineSchema>;
      try {
        entry = bundleRecordLineSchema.parse(JSON.parse(text));
      } catch {
        fail({ ...at, message: 'not a record line ({index, canonical, leaf})' });
        continue;
      }
      const { index } = entry;
      if (index > next) {
        const missing = index - next === 1 ? `record ${next} is` : `records ${next}..${index - 1} are`;
        fail({ ...at, index, field: 'index', message: `${missing} missing before this record (removed)` });
        next = index + 1;
      } else if (index < next) {
        fail({
          ...at,
          index,
          field: 'index',
          message: `index ${index} where ${next} was expected (reordered or inserted)`,
        });
      } else {
        next += 1;
      }
      const checked = checkRecord({ canonical: entry.canonical, storedLeaf: entry.leaf, trust });
      for (const p of checked.problems) fail({ ...at, index, field: p.field, message: p.message });
      signatures += checked.signatures;
      if (checked.record) pairing?.add(bundle, index, checked.record);
      tree.append(checked.leaf);
      compareRoots();
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
  } catch {
    if (opened) fail({ bundle, check: 'bundle', message: `${BUNDLE_FILES.records} cannot be read` });
  }
  if (!opened) fail({ bundle, check: 'bundle', message: `${BUNDLE_FILES.records} is missing` });
  if (line !== manifest.records) {
    fail({
      bundle,
      check: 'bundle',
      message: `the manifest lists ${manifest.records} records, the bundle holds ${line}`,
    });
  }
  for (const { size } of signed.slice(pending)) {
    fail({
      bundle,
      check: 'checkpoint',
      size,
      message: `the bundle ends after ${tree.size} records, before this checkpoint's size (records removed at the end)`,
    });
  }
  return { records: line, signatures };
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
      : failure.check === 'bundle'
        ? 'bundle'
        : failure.index !== undefined
          ? `record ${failure.index}${failure.line !== undefined ? ` (line ${failure.line})` : ''}`
          : `line ${failure.line}`;
  const field = failure.field ? ` ${failure.field}` : '';
  return `${failure.bundle}: ${failure.check === 'pairing' ? 'pairing ' : ''}${where}${field}: ${failure.message}`;
}
