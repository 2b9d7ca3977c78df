/**
 * Micro-benchmark of offline bundle verification (not a test, no database): writes a bundle of
 * BENCH_RECORDS synthetic records (default 200,000, unsigned) and one of BENCH_SIGNED records
 * (default 20,000, two ES256 JWS each) to a temporary directory, with signed and witnessed
 * checkpoints, then times `verifyBundles` on each. Add `node --cpu-prof` to see where time goes.
 *
 *   npx tsx bench/audit-verify.ts
 *   BENCH_RECORDS=1000000 BENCH_WORKERS=0,1,2 node --import tsx bench/audit-verify.ts
 *   BENCH_DIR=bench-results/bundles npx tsx bench/audit-verify.ts  # keeps the bundles and anchor.pem
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { BUNDLE_FILES, BUNDLE_FORMAT, verifyBundles } from '../audit/bundle/index.ts';
import { createTreeBuilder, leafHash } from '../audit/index.ts';
import { loadConfig } from '../core/index.ts';
import {
  canonicalJson,
  cosignCheckpoint,
  createCheckpoint,
  hashToBase64,
  signCheckpoint,
} from '../protocol/index.ts';
import type { AuditRecord } from '../schemas/index.ts';
import { createBenchPki } from './bench-pki.ts';
import { syntheticAuditRecord } from './sample-audit-record.ts';

const config = loadConfig(
  z.object({
    BENCH_RECORDS: z.coerce.number().int().min(1).default(200_000),
    BENCH_SIGNED: z.coerce.number().int().min(0).default(20_000),
    /** Worker counts to verify with, one run each (e.g. `0,1,2`); unset: the verifier's default. */
    BENCH_WORKERS: z
      .string()
      .regex(/^\d+(,\d+)*$/)
      .transform((list) => list.split(',').map(Number))
      .optional(),
    /** Keep the bundles in this (new) directory, e.g. to run `einmal audit verify` on them. */
    BENCH_DIR: z.string().min(1).optional(),
  }),
  process.env,
);

const createPki = () => createBenchPki('DEMO/GOV/munich', 'DEMO/GOV/residents-office');
type Pki = Awaited<ReturnType<typeof createPki>>;

/**
 * Record `n` of Munich's log: a refused request, or with `pki` a successful exchange signed by both
 * members.
 */
function syntheticRecord(n: number, start: number, pki?: Pki): AuditRecord {
  return syntheticAuditRecord(n, {
    logTime: new Date(start + Math.floor(n / 1000)).toISOString(),
    messageId: `0badcafe-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    side: 'consumer',
    gateway: 'DEMO/GOV/munich/gw1',
    citizen: n % 50_000,
    signers: pki ? { client: pki.member, service: pki.peer! } : undefined,
  });
}

async function writeBundle(dir: string, pki: Pki, count: number, signed: boolean): Promise<void> {
  await mkdir(dir, { recursive: true });
  // After the certificates were issued, so every signer is valid at its records' time.
  const start = Date.now();
  const tree = createTreeBuilder();
  const out = createWriteStream(join(dir, BUNDLE_FILES.records));
  const checkpointSizes = new Set([Math.floor(count / 2), count]);
  const roots = new Map<number, Uint8Array>();
  let chunk = '';
  for (let n = 0; n < count; n++) {
    const canonical = canonicalJson(syntheticRecord(n, start, signed ? pki : undefined));
    const leaf = leafHash(Buffer.from(canonical));
    tree.append(leaf);
    chunk += `${JSON.stringify({ index: n, canonical, leaf: hashToBase64(leaf) })}\n`;
    if (checkpointSizes.has(tree.size)) roots.set(tree.size, tree.root());
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'close');
  const checkpoints = [];
  for (const [i, size] of [...roots.keys()].sort((a, b) => a - b).entries()) {
    const checkpoint = createCheckpoint({
      origin: 'DEMO/GOV/munich/gw1',
      size,
      root: roots.get(size)!,
      now: new Date(start + Math.ceil(count / 1000) + i * 1000),
    });
    checkpoints.push({
      size,
      root: checkpoint.root,
      time: checkpoint.time,
      jws: await signCheckpoint({
        checkpoint,
        privateKey: pki.member.keys.privateKey,
        certificateChain: pki.member.chain,
      }),
      cosignature: await cosignCheckpoint({
        checkpoint,
        privateKey: pki.witness.keys.privateKey,
        certificateChain: pki.witness.chain,
      }),
      consistency: null,
    });
  }
  await writeFile(join(dir, BUNDLE_FILES.checkpoints), JSON.stringify(checkpoints));
  await writeFile(join(dir, BUNDLE_FILES.certificates), pki.certificatesPem);
  await writeFile(
    join(dir, BUNDLE_FILES.manifest),
    JSON.stringify({
      format: BUNDLE_FORMAT,
      gateway: 'DEMO/GOV/munich/gw1',
      tree: 'DEMO/GOV/munich/gw1',
      records: count,
      treeSize: count,
      created: new Date().toISOString(),
    }),
  );
}

async function measure(dir: string, pki: Pki, count: number, label: string): Promise<void> {
  for (const workers of config.BENCH_WORKERS ?? [undefined]) {
    // All threads of this process: CPU time per record does not depend on how busy the machine is.
    const cpuBefore = process.cpuUsage();
    const report = await verifyBundles({
      bundles: [dir],
      anchorPem: pki.anchorPem,
      ...(workers !== undefined ? { workers } : {}),
    });
    const cpu = process.cpuUsage(cpuBefore);
    if (!report.ok)
      throw new Error(`${label} does not verify: ${JSON.stringify(report.failures.slice(0, 3))}`);
    console.log(
      `${label}, ${workers ?? 'default'} workers: ${count} records in ${report.seconds.toFixed(2)} s = ${Math.round(count / report.seconds)} records/s, ${((cpu.user + cpu.system) / count).toFixed(2)} CPU µs per record (${report.bundles[0]!.signatures} signatures)`,
    );
  }
}

const work = config.BENCH_DIR ?? (await mkdtemp(join(tmpdir(), 'einmal-verify-bench-')));
try {
  const pki = await createPki();
  const unsigned = join(work, 'unsigned');
  await writeBundle(unsigned, pki, config.BENCH_RECORDS, false);
  await measure(unsigned, pki, config.BENCH_RECORDS, 'unsigned');
  if (config.BENCH_SIGNED > 0) {
    const signed = join(work, 'signed');
    await writeBundle(signed, pki, config.BENCH_SIGNED, true);
    await measure(signed, pki, config.BENCH_SIGNED, 'signed (2 ES256 each)');
  }
  if (config.BENCH_DIR) await writeFile(join(work, 'anchor.pem'), pki.anchorPem);
} finally {
  if (!config.BENCH_DIR) await rm(work, { recursive: true, force: true });
}
