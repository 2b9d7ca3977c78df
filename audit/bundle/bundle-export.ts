import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import {
  certificateDer,
  certificateFingerprint,
  parseCertificateBundle,
  toPem,
  x509,
} from '../../certs/index.ts';
import { EinmalError } from '../../core/errors/index.ts';
import {
  checkpointCertificates,
  hashToBase64,
  parseCheckpointOrigin,
  toPlainBytes,
} from '../../protocol/index.ts';
import type { AuditLogTables } from '../log-tables.ts';
import { getConsistencyProof, getTreeSize } from '../tree-store.ts';
import {
  BUNDLE_FILES,
  BUNDLE_FORMAT,
  type BundleCheckpoint,
  type BundleManifest,
  bundleManifestSchema,
} from './bundle-format.ts';
import { readCheckpointClaim } from './checkpoint-checks.ts';

/** The tables the exporter reads. */
export type ExportTables = AuditLogTables;

export interface ExportBundleOptions {
  /** The gateway's database, scoped to its schema (`db.withSchema('gw_munich')`). */
  readonly db: Kysely<any>;
  readonly tree: string;
  /** The bundle directory; created, and refused (`Config.FileExists`) when it holds files. */
  readonly out: string;
  /** PEM of the federation CA chain (root and issuing CAs) to include. */
  readonly caPem?: string | undefined;
  /** Export only the first `upTo` records (a prefix of the log, with the checkpoints it covers). */
  readonly upTo?: number | undefined;
  /**
   * Also export the records past the last witnessed checkpoint and the checkpoints the witness has
   * not cosigned (a verifier accepts them only as unverified). By default the bundle ends at the
   * latest witnessed checkpoint, so that an honest export verifies cleanly.
   */
  readonly includeUnwitnessed?: boolean | undefined;
  /** Records per query (keyset pages on the leaf index). */
  readonly pageSize?: number;
  readonly now?: Date;
  /** Called after each page with the number of records written so far. */
  readonly onProgress?: (written: number) => void;
}

/** What an export wrote, and how far the log went beyond it. */
export interface ExportedBundle {
  readonly manifest: BundleManifest;
  /** The log's size in the database; records past `manifest.treeSize` were left out. */
  readonly storedSize: number;
}

/**
 * Writes the audit bundle of one log tree: every record up to the latest witnessed checkpoint (or,
 * with `includeUnwitnessed`, up to the tree's current size), read in keyset pages and streamed to
 * `records.ndjson` (never the whole log in memory), each with the leaf hash the tree store holds
 * for it; every witnessed checkpoint (or every checkpoint) with its cosignature and the consistency
 * proof from the previous one; every certificate the signatures carry.
 *
 * @example
 * const { manifest } = await exportBundle({ db: db.withSchema('gw_munich'), tree: node, out: 'bundle' });
 */
export async function exportBundle(options: ExportBundleOptions): Promise<ExportedBundle> {
  const db = options.db as Kysely<ExportTables>;
  const pageSize = options.pageSize ?? 10_000;
  const witnessedOnly = !options.includeUnwitnessed;
  await prepareDirectory(options.out);
  const storedSize = await getTreeSize(db, options.tree);
  const limit = options.upTo === undefined ? storedSize : Math.min(options.upTo, storedSize);
  const treeSize = witnessedOnly ? await lastWitnessedSize(db, options.tree, limit) : limit;
  const certificates = createCertificateCollector();
  if (options.caPem)
    for (const certificate of parseCertificateBundle(options.caPem)) certificates.add(certificate);

  const stream = createWriteStream(join(options.out, BUNDLE_FILES.records));
  let written = 0;
  let gateway: string | null = null;
  /** The next leaf index to write. */
  let next = 0;
  const writeChunk = async (chunk: string, lines: number) => {
    if (!stream.write(chunk)) await once(stream, 'drain');
    written += lines;
    options.onProgress?.(written);
  };
  /**
   * Records pruned past the retention period are gone from `audit_record`; their leaf hashes stay
   * in the tree store and are written as `{index, canonical: null, leaf}` lines.
   */
  const writePruned = async (until: number) => {
    while (next < until) {
      const leaves = await db
        .selectFrom('merkle_node')
        .select(['idx', 'hash'])
        .where('tree', '=', options.tree)
        .where('level', '=', 0)
        .where('idx', '>=', next)
        .where('idx', '<', until)
        .orderBy('idx')
        .limit(pageSize)
        .execute();
      // A leaf missing from the tree store too cannot be written; the verifier names the gap.
      if (leaves.length === 0 || Number(leaves[0]!.idx) !== next) return;
      let chunk = '';
      let lines = 0;
      for (const leaf of leaves) {
        if (Number(leaf.idx) !== next) break;
        chunk += `${JSON.stringify({ index: next, canonical: null, leaf: hashToBase64(toPlainBytes(leaf.hash)) })}\n`;
        next += 1;
        lines += 1;
      }
      await writeChunk(chunk, lines);
      if (lines < leaves.length) return;
    }
  };
  try {
    let after = -1;
    for (;;) {
      const rows = await db
        .selectFrom('audit_record as r')
        .leftJoin('merkle_node as n', (join) =>
          join.onRef('n.tree', '=', 'r.tree').on('n.level', '=', 0).onRef('n.idx', '=', 'r.idx'),
        )
        .select(['r.idx', 'r.canonical', 'n.hash'])
        .where('r.tree', '=', options.tree)
        .where('r.idx', '>', after)
        .where('r.idx', '<', treeSize)
        .orderBy('r.idx')
        .limit(pageSize)
        .execute();
      if (rows.length === 0) break;
      let chunk = '';
      let lines = 0;
      for (const row of rows) {
        const index = Number(row.idx);
        if (index > next) {
          await writeChunk(chunk, lines);
          chunk = '';
          lines = 0;
          await writePruned(index);
          next = index;
        }
        const canonical = Buffer.from(row.canonical).toString('utf8');
        const leaf = row.hash ? hashToBase64(toPlainBytes(row.hash)) : null;
        chunk += `${JSON.stringify({ index, canonical, leaf })}\n`;
        lines += 1;
        next = index + 1;
        gateway ??= readGateway(canonical);
        certificates.addFromRecord(canonical);
      }
      await writeChunk(chunk, lines);
      after = Number(rows[rows.length - 1]!.idx);
    }
    await writePruned(treeSize);
  } finally {
    stream.end();
    await once(stream, 'close');
  }

  const checkpoints = await readCheckpoints(db, options.tree, treeSize, witnessedOnly);
  gateway = gatewayOfCheckpoints(checkpoints) ?? gateway;
  for (const checkpoint of checkpoints) {
    certificates.addFromJws(checkpoint.jws);
    if (checkpoint.cosignature) certificates.addFromJws(checkpoint.cosignature);
  }
  await writeFile(join(options.out, BUNDLE_FILES.checkpoints), `${JSON.stringify(checkpoints, null, 1)}\n`);
  await writeFile(join(options.out, BUNDLE_FILES.certificates), certificates.pem());
  const manifest = bundleManifestSchema.parse({
    format: BUNDLE_FORMAT,
    gateway,
    tree: options.tree,
    records: written,
    treeSize,
    created: (options.now ?? new Date()).toISOString(),
  });
  await writeFile(join(options.out, BUNDLE_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, storedSize };
}

/** The size of the latest cosigned checkpoint of `tree` up to `limit` (0 when there is none). */
async function lastWitnessedSize(db: Kysely<ExportTables>, tree: string, limit: number): Promise<number> {
  const row = await db
    .selectFrom('checkpoint')
    .select('size')
    .where('tree', '=', tree)
    .where('size', '<=', limit)
    .where('cosignature', 'is not', null)
    .orderBy('size', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.size) : 0;
}

/** The gateway named by the checkpoints' origin: what a verifier expects them to sign for. */
function gatewayOfCheckpoints(checkpoints: readonly BundleCheckpoint[]): string | null {
  const first = checkpoints[0];
  const origin = first ? readCheckpointClaim(first.jws)?.origin : undefined;
  return (origin && parseCheckpointOrigin(origin)?.gatewayId) ?? null;
}

async function prepareDirectory(out: string): Promise<void> {
  await mkdir(out, { recursive: true });
  if ((await readdir(out)).length > 0) {
    throw new EinmalError('Config.FileExists', { message: `The bundle directory '${out}' is not empty` });
  }
}

async function readCheckpoints(
  db: Kysely<ExportTables>,
  tree: string,
  treeSize: number,
  witnessedOnly: boolean,
): Promise<BundleCheckpoint[]> {
  let query = db
    .selectFrom('checkpoint')
    .select(['size', 'root', 'time', 'jws', 'cosignature'])
    .where('tree', '=', tree)
    .where('size', '<=', treeSize);
  // Checkpoints signed while the witness was away were never cosigned; the next one that was
  // covers their records, with a consistency proof from the one before.
  if (witnessedOnly) query = query.where('cosignature', 'is not', null);
  const rows = await query.orderBy('size').execute();
  const checkpoints: BundleCheckpoint[] = [];
  let previous = 0;
  for (const row of rows) {
    const size = Number(row.size);
    let consistency: string[] | null = null;
    try {
      consistency = (await getConsistencyProof(db, tree, previous, size)).map(hashToBase64);
    } catch {
      // A tree store without the nodes for this proof: the verifier recomputes roots from the leaves anyway.
    }
    checkpoints.push({
      size,
      root: row.root,
      time: new Date(row.time).toISOString(),
      jws: row.jws,
      cosignature: row.cosignature,
      consistency,
    });
    previous = size;
  }
  return checkpoints;
}

function readGateway(canonical: string): string | null {
  try {
    const gateway = (JSON.parse(canonical) as { gateway?: unknown }).gateway;
    return typeof gateway === 'string' ? gateway : null;
  } catch {
    return null;
  }
}

/** Collects distinct certificates; a JWS header seen once is not decoded again. */
function createCertificateCollector() {
  const byFingerprint = new Map<string, x509.X509Certificate>();
  const seenHeaders = new Set<string>();
  const add = (certificate: x509.X509Certificate) => {
    const fingerprint = certificateFingerprint(certificateDer(certificate));
    if (!byFingerprint.has(fingerprint)) byFingerprint.set(fingerprint, certificate);
  };
  const addFromJws = (jws: unknown) => {
    if (typeof jws !== 'string') return;
    const header = jws.slice(0, jws.indexOf('.'));
    if (seenHeaders.has(header)) return;
    seenHeaders.add(header);
    let chain: string[];
    try {
      chain = checkpointCertificates(jws);
    } catch {
      return; // the verifier names a malformed signature; the exporter copies what is stored
    }
    for (const der of chain) {
      try {
        add(new x509.X509Certificate(Buffer.from(der, 'base64')));
      } catch {}
    }
  };
  return {
    add,
    addFromJws,
    addFromRecord(canonical: string) {
      try {
        const record = JSON.parse(canonical) as { requestSignature?: unknown; responseSignature?: unknown };
        addFromJws(record.requestSignature);
        addFromJws(record.responseSignature);
      } catch {}
    },
    pem(): string {
      return [...byFingerprint.values()].map((c) => `${toPem(c).trim()}\n`).join('');
    },
  };
}
