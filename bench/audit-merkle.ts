/**
 * Micro-benchmark of the audit tree (not a test): appends BENCH_LEAVES leaves (default 1,000,000)
 * in batches of BENCH_BATCH (default 1,000) to the PostgreSQL server at DATABASE_URL, then measures
 * proof and root reads from the store and in-memory verification. Works in a throw-away schema that
 * it drops at the end.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/audit-merkle.ts
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import {
  appendLeaves,
  auditTreeMigrations,
  createTreeBuilder,
  getConsistencyProof,
  getInclusionProof,
  getInclusionProofs,
  getRoot,
  leafHash,
  verifyConsistency,
  verifyInclusion,
} from '../audit/index.ts';
import { migrateToLatest, openDatabase } from '../core/database/index.ts';
import { loadConfig } from '../core/index.ts';
import { canonicalRecord } from '../protocol/index.ts';

const config = loadConfig(
  z.object({
    DATABASE_URL: z.string().startsWith('postgres'),
    BENCH_LEAVES: z.coerce.number().int().min(1_000).default(1_000_000),
    BENCH_BATCH: z.coerce.number().int().min(1).default(1_000),
    BENCH_SAMPLES: z.coerce.number().int().min(10).default(2_000),
  }),
  process.env,
);

const schema = `audit_bench_${randomBytes(4).toString('hex')}`;
const tree = 'bench-node';
const database = await openDatabase({ url: config.DATABASE_URL, poolSize: 4 });
const randomIndex = (below: number): number => Math.floor(Math.random() * below);

try {
  await migrateToLatest(database.db, { schema, migrations: auditTreeMigrations });
  const db = database.db.withSchema(schema);

  // A realistic leaf: the canonical bytes of a record-shaped object.
  const record = (i: number) => ({
    logTime: '2026-03-01T12:00:00.000Z',
    messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    side: i % 2 ? 'consumer' : 'provider',
    client: 'DE/GOV/05315000/permits',
    service: 'DE/GOV/09162000/residents/getAddress-v1',
    subject: 'DE12345678901',
    purpose: 'resident-parking-permit',
    legalBasis: 'BayMeldDV §3',
    status: 200,
    requestDigest: 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:',
  });

  console.log(
    `appending ${config.BENCH_LEAVES.toLocaleString('en')} leaves in batches of ${config.BENCH_BATCH}`,
  );
  const builder = createTreeBuilder();
  const appendStart = performance.now();
  const appendTimes: number[] = [];
  for (let first = 0; first < config.BENCH_LEAVES; first += config.BENCH_BATCH) {
    const count = Math.min(config.BENCH_BATCH, config.BENCH_LEAVES - first);
    const leaves = Array.from({ length: count }, (_, i) => leafHash(canonicalRecord(record(first + i))));
    for (const leaf of leaves) builder.append(leaf);
    const t = performance.now();
    await db.transaction().execute((trx) => appendLeaves(trx, tree, leaves));
    appendTimes.push(performance.now() - t);
    if ((first / config.BENCH_BATCH) % 100 === 99) process.stdout.write('.');
  }
  const appendSeconds = (performance.now() - appendStart) / 1000;
  const size = config.BENCH_LEAVES;
  console.log(
    `\nappend: ${rate(size, appendSeconds)} leaves/s; per batch p50 ${ms(quantile(appendTimes, 0.5))}, ` +
      `p95 ${ms(quantile(appendTimes, 0.95))}`,
  );
  await sql`analyze ${sql.table(`${schema}.merkle_node`)}`.execute(database.db);

  const root = await getRoot(db, tree, size);
  if (Buffer.compare(root, builder.root()) !== 0)
    throw new Error('stored root differs from the in-memory root');

  const samples = config.BENCH_SAMPLES;
  const inclusion = await timeEach(samples, () => getInclusionProof(db, tree, randomIndex(size), size));
  const consistency = await timeEach(samples, () => {
    const newSize = 1 + randomIndex(size);
    return getConsistencyProof(db, tree, 1 + randomIndex(newSize), newSize);
  });
  const roots = await timeEach(samples, () => getRoot(db, tree, 1 + randomIndex(size)));
  const pages = await timeEach(samples / 10, () =>
    getInclusionProofs(
      db,
      tree,
      Array.from({ length: 20 }, () => randomIndex(size)),
      size,
    ),
  );
  for (const [name, times] of Object.entries({
    'inclusion proof': inclusion,
    'consistency proof': consistency,
    'root at a size': roots,
    'page of 20 inclusion proofs': pages,
  })) {
    console.log(
      `${name}: p50 ${ms(quantile(times, 0.5))}, p95 ${ms(quantile(times, 0.95))}, max ${ms(Math.max(...times))}`,
    );
  }

  // In-memory verification: proofs fetched once, then verified in a tight loop.
  const claims = await Promise.all(
    Array.from({ length: 1_000 }, async () => ({
      ...(await getInclusionProof(db, tree, randomIndex(size), size)),
      root,
    })),
  );
  const inclusionRounds = 20;
  let t = performance.now();
  for (let round = 0; round < inclusionRounds; round++) {
    for (const c of claims)
      verifyInclusion({
        leafIndex: c.leafIndex,
        treeSize: c.treeSize,
        leafHash: c.leafHash,
        proof: c.proof,
        root,
      });
  }
  console.log(
    `verifyInclusion: ${rate(claims.length * inclusionRounds, (performance.now() - t) / 1000)} proofs/s (tree of ${size.toLocaleString('en')})`,
  );

  const oldSize = 1 + randomIndex(size - 1);
  const consistencyClaim = {
    oldSize,
    newSize: size,
    oldRoot: await getRoot(db, tree, oldSize),
    newRoot: root,
    proof: await getConsistencyProof(db, tree, oldSize, size),
  };
  t = performance.now();
  for (let i = 0; i < 10_000; i++) verifyConsistency(consistencyClaim);
  console.log(`verifyConsistency: ${rate(10_000, (performance.now() - t) / 1000)} proofs/s`);

  // What the offline verifier does per record: canonical bytes, leaf hash, tree root.
  const recordCount = 200_000;
  const records = Array.from({ length: recordCount }, (_, i) => record(i));
  const offline = createTreeBuilder();
  t = performance.now();
  for (const r of records) offline.append(leafHash(canonicalRecord(r)));
  offline.root();
  console.log(
    `canonicalise + leaf hash + tree root: ${rate(recordCount, (performance.now() - t) / 1000)} records/s`,
  );
} finally {
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
  await database.close();
}

async function timeEach(count: number, run: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return times;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

function rate(count: number, seconds: number): string {
  return Math.round(count / seconds).toLocaleString('en');
}
