/**
 * Audit log scale benchmark (docs/architecture.md §6, `npm run bench:audit`): fills one gateway
 * node's log tree in a fresh PostgreSQL database to N records (default 10 million), then measures
 *   (a) a citizen's page of 50 records with inclusion proofs, through the citizen API's own query
 *       path (findRecords + proveRecords: getInclusionProofs against the latest witnessed
 *       checkpoint), p50/p95 over 500 random citizens;
 *   (b) offline verification of an exported bundle (records/s), on a prefix of the log
 *       (`--verify-records`, default 1,000,000), and separately on a log of really signed
 *       exchanges (two ES256 JWS per record).
 * Prints a table against the targets and writes JSON to bench-results/. The database is dropped
 * at the end, also on failure or Ctrl-C.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench:audit -- --records 1000000
 *
 * `--keep` leaves the filled database (its name printed) for looking into it further.
 */
import { randomBytes, verify, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Kysely, sql } from 'kysely';
import { exportBundle } from '../audit/bundle/bundle-export.ts';
import { verifyBundles } from '../audit/bundle/bundle-verify.ts';
import { createProofCache, getRoot, type ProofCache } from '../audit/index.ts';
import { migrateToLatest, openDatabase } from '../core/database/index.ts';
import { findRecords } from '../gateway/audit/record-query.ts';
import { proveRecords } from '../gateway/citizen/citizen-record.ts';
import { gatewayMigrations } from '../gateway/index.ts';
import { cosignCheckpoint, createCheckpoint, hashToBase64, signCheckpoint } from '../protocol/index.ts';
import type { AuditRecord } from '../schemas/index.ts';
import { createBulkLoader } from './audit-bulk-load.ts';
import { createBenchDatabase } from './bench-database.ts';
import { createBenchPki } from './bench-pki.ts';
import { syntheticAuditRecord } from './sample-audit-record.ts';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '10000000' },
    'verify-records': { type: 'string', default: '1000000' },
    'signed-records': { type: 'string', default: '20000' },
    citizens: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '50000' },
    pages: { type: 'string', default: '500' },
    workers: { type: 'string', default: '0,1,2' },
    /** Leave the filled database in place (its name is printed) instead of dropping it. */
    keep: { type: 'boolean', default: false },
  },
});
/** Worker threads to verify with, one run each: the scaling curve. */
const WORKERS = args.workers.split(',').map(Number);
const RECORDS = Number(args.records);
const VERIFY_RECORDS = Math.min(Number(args['verify-records']), RECORDS);
const SIGNED_RECORDS = Number(args['signed-records']);
const CITIZENS = Number(args.citizens);
const BATCH = Number(args.batch);
const PAGES = Number(args.pages);
const SCHEMA = 'gw_bench';
const TREE = 'DEMO/GOV/residents-office/gw1';
// Checkpoints count only when signed by the gateway's own member: the bench PKI's one member.
const SIGNED_TREE = 'DEMO/GOV/residents-office/gw2';
const CHECKPOINT_EVERY = Math.min(1_000_000, VERIFY_RECORDS);

const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) {
  console.error(
    'bench:audit needs DATABASE_URL (a PostgreSQL server; a fresh database is created and dropped)',
  );
  process.exit(2);
}

const citizenId = (n: number) => `DE${String(n).padStart(8, '0')}`;
/** Unique per run, so message ids never collide with another run's. */
const RUN = randomBytes(4).toString('hex');
const messageId = (n: number) => `${RUN}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

const createPki = () => createBenchPki('DEMO/GOV/residents-office', 'DEMO/GOV/munich');
type Pki = Awaited<ReturnType<typeof createPki>>;

/**
 * Record `n` of the residents' office's log: a refused request, or with `pki` a successful
 * exchange signed by both members.
 */
function syntheticRecord(n: number, start: number, pki?: Pki): AuditRecord {
  return syntheticAuditRecord(n, {
    logTime: new Date(start + n * 10).toISOString(),
    messageId: messageId(n),
    side: 'provider',
    gateway: pki ? SIGNED_TREE : TREE,
    citizen: n % CITIZENS,
    signers: pki ? { client: pki.peer!, service: pki.member } : undefined,
  });
}

/** Signs and witnesses the checkpoint at `size`, its root read from the store and checked against `expected`. */
async function signCheckpointAt(
  db: Kysely<any>,
  pki: Pki,
  tree: string,
  size: number,
  expected: Uint8Array,
): Promise<void> {
  const root = await getRoot(db, tree, size);
  if (hashToBase64(root) !== hashToBase64(expected))
    throw new Error(`the stored tree's root at ${size} is not the loader's`);
  const checkpoint = createCheckpoint({ origin: tree, size, root, now: new Date() });
  const jws = await signCheckpoint({
    checkpoint,
    privateKey: pki.member.keys.privateKey,
    certificateChain: pki.member.chain,
  });
  const cosignature = await cosignCheckpoint({
    checkpoint,
    privateKey: pki.witness.keys.privateKey,
    certificateChain: pki.witness.chain,
  });
  await db
    .insertInto('checkpoint')
    .values({ tree, size, root: checkpoint.root, time: new Date(checkpoint.time), jws, cosignature })
    .execute();
}

async function fill(db: Kysely<any>, pki: Pki): Promise<{ seconds: number; recordsPerSecond: number }> {
  const started = performance.now();
  const start = Date.now() - RECORDS * 10;
  const loader = createBulkLoader(db, SCHEMA, TREE);
  let written = 0;
  let pending: Promise<void> = Promise.resolve();
  let lastReport = started;
  while (written < RECORDS) {
    const count = Math.min(BATCH, RECORDS - written);
    const records = Array.from({ length: count }, (_, i) => syntheticRecord(written + i, start));
    // Build the next batch while the previous one commits.
    await pending;
    pending = loader.append(records);
    written += count;
    if (written % CHECKPOINT_EVERY === 0 || written === RECORDS) {
      await pending;
      await signCheckpointAt(db, pki, TREE, written, loader.root());
    }
    const now = performance.now();
    if (now - lastReport > 10_000) {
      lastReport = now;
      const rate = written / ((now - started) / 1000);
      process.stderr.write(`fill: ${written}/${RECORDS} records, ${Math.round(rate)} records/s\n`);
    }
  }
  await pending;
  const seconds = (performance.now() - started) / 1000;
  return { seconds, recordsPerSecond: RECORDS / seconds };
}

async function fillSigned(db: Kysely<any>, pki: Pki): Promise<void> {
  const start = Date.now() - SIGNED_RECORDS * 10;
  const records = Array.from({ length: SIGNED_RECORDS }, (_, n) => syntheticRecord(n, start, pki));
  const loader = createBulkLoader(db, SCHEMA, SIGNED_TREE);
  for (let i = 0; i < records.length; i += BATCH) await loader.append(records.slice(i, i + BATCH));
  await signCheckpointAt(db, pki, SIGNED_TREE, SIGNED_RECORDS, loader.root());
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/**
 * A citizen's page of 50 with proofs, as the citizen API serves it, for PAGES random citizens: once
 * with the store alone and once with the API's proof cache (warm after the first pages), the two
 * alternating on the same citizens so machine noise hits both alike. Each cached page's proofs are
 * checked equal to the plain page's.
 */
async function measureCitizenPages(db: Kysely<any>) {
  const cache: ProofCache = createProofCache();
  const plainTimes: number[] = [];
  const cachedTimes: number[] = [];
  let proofs = 0;
  for (let i = 0; i < PAGES; i++) {
    const subject = citizenId(Math.floor(Math.random() * Math.min(CITIZENS, RECORDS)));
    const page = async (withCache: ProofCache | undefined, times: number[]) => {
      const started = performance.now();
      const found = await findRecords(db, { subject, visibleAt: new Date() }, { limit: 50 });
      const proved = await proveRecords(db, found.rows, withCache);
      times.push(performance.now() - started);
      return proved;
    };
    // Alternately first, so neither gains from the other having warmed PostgreSQL's cache.
    let plain: Awaited<ReturnType<typeof page>>;
    let cached: Awaited<ReturnType<typeof page>>;
    if (i % 2 === 0) {
      plain = await page(undefined, plainTimes);
      cached = await page(cache, cachedTimes);
    } else {
      cached = await page(cache, cachedTimes);
      plain = await page(undefined, plainTimes);
    }
    if (JSON.stringify(plain.proofs) !== JSON.stringify(cached.proofs))
      throw new Error(`the cached proofs of ${subject} differ from the store's`);
    proofs += cached.proofs.filter((p) => p !== null).length;
  }
  const stats = (times: number[]) => {
    times.sort((x, y) => x - y);
    return { p50: percentile(times, 0.5), p95: percentile(times, 0.95), max: times.at(-1)! };
  };
  return { plain: stats(plainTimes), cached: stats(cachedTimes), proofsPerPage: proofs / PAGES };
}

/** ES256 verifications per second on one core (node:crypto on a cached KeyObject): the machine's limit. */
function es256VerifyRate(pki: Pki): number {
  const record = syntheticRecord(0, Date.now(), pki);
  const [header, payload, signature] = record.requestSignature!.split('.') as [string, string, string];
  const input = Buffer.from(`${header}.${payload}`);
  const sig = Buffer.from(signature, 'base64url');
  const certificateKey = new X509Certificate(Buffer.from(pki.peer!.chain[0]!, 'base64')).publicKey;
  let count = 0;
  const started = performance.now();
  while (performance.now() - started < 2_000) {
    for (let i = 0; i < 100; i++) {
      if (!verify('sha256', input, { key: certificateKey, dsaEncoding: 'ieee-p1363' }, sig))
        throw new Error('the benchmark signature does not verify');
    }
    count += 100;
  }
  return count / ((performance.now() - started) / 1000);
}

async function measureVerification(db: Kysely<any>, pki: Pki, tree: string, upTo: number, workers: number) {
  const dir = await mkdtemp(join(tmpdir(), 'einmal-audit-bench-'));
  try {
    const out = join(dir, 'bundle');
    const exportStarted = performance.now();
    // The bundle ends at the last witnessed checkpoint up to `upTo`.
    const { records } = (await exportBundle({ db, tree, out, caPem: pki.anchorPem, upTo })).manifest;
    const exportSeconds = (performance.now() - exportStarted) / 1000;
    const cpuBefore = process.cpuUsage();
    const report = await verifyBundles({
      bundles: [out],
      anchorPem: pki.anchorPem,
      workers,
      onProgress: (p) =>
        process.stderr.write(
          `verify (${workers} workers): ${p.records}/${p.total}, ${Math.round(p.recordsPerSecond)} records/s\n`,
        ),
    });
    if (!report.ok)
      throw new Error(`the benchmark bundle does not verify: ${JSON.stringify(report.failures.slice(0, 3))}`);
    const cpu = process.cpuUsage(cpuBefore);
    return {
      workers,
      records,
      // All threads of this process, so CPU time per record does not depend on how busy the machine is.
      cpuSecondsPerMillion: ((cpu.user + cpu.system) / 1e6 / records) * 1e6,
      exportSeconds,
      exportRecordsPerSecond: records / exportSeconds,
      verifySeconds: report.seconds,
      verifyRecordsPerSecond: records / report.seconds,
      signatures: report.bundles[0]!.signatures,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const bench = await createBenchDatabase(serverUrl!);
  const database = await openDatabase({ url: bench.url, poolSize: 4 });
  const dropOnSignal = () => {
    void database.close().finally(() => bench.drop().finally(() => process.exit(130)));
  };
  process.once('SIGINT', dropOnSignal);
  try {
    await migrateToLatest(database.db, { schema: SCHEMA, migrations: gatewayMigrations });
    const db = database.db.withSchema(SCHEMA);
    const pki = await createPki();
    console.error(
      `PostgreSQL ${bench.server.version}, database ${bench.name}; filling ${RECORDS} records for ${CITIZENS} citizens`,
    );
    const filled = await fill(db, pki);
    await sql`analyze`.execute(db);
    const size = await sql<{ bytes: string }>`select pg_database_size(current_database()) as bytes`.execute(
      db,
    );
    const pages = await measureCitizenPages(db);
    const es256PerCore = es256VerifyRate(pki);
    const verify = [];
    for (const workers of WORKERS)
      verify.push(await measureVerification(db, pki, TREE, VERIFY_RECORDS, workers));
    await fillSigned(db, pki);
    const signed = [];
    for (const workers of WORKERS)
      signed.push(await measureVerification(db, pki, SIGNED_TREE, SIGNED_RECORDS, workers));
    // The machine's limit for signed records: two ES256 verifications each, on the cores used.
    const signedLimit = (workers: number) =>
      (es256PerCore * Math.min(Math.max(1, workers), availableParallelism())) / 2;
    const bestUnsigned = Math.max(...verify.map((v) => v.verifyRecordsPerSecond));
    const bestSigned = signed.reduce((a, b) =>
      b.verifyRecordsPerSecond / signedLimit(b.workers) > a.verifyRecordsPerSecond / signedLimit(a.workers)
        ? b
        : a,
    );

    const rows: [string, string, string, string][] = [
      [
        'fill (bulk loader: precomputed leaves and nodes)',
        `${Math.round(filled.recordsPerSecond)} records/s`,
        '',
        `${filled.seconds.toFixed(0)} s`,
      ],
      [`citizen page of 50 with proofs, p95, store alone`, `${pages.plain.p95.toFixed(1)} ms`, '', ''],
      [
        `citizen page of 50 with proofs, p95, proof cache (${RECORDS} records)`,
        `${pages.cached.p95.toFixed(1)} ms`,
        '≤ 30 ms',
        pages.cached.p95 <= 30 ? 'met' : 'missed',
      ],
      [
        'citizen page, p50 (store alone / proof cache)',
        `${pages.plain.p50.toFixed(1)} / ${pages.cached.p50.toFixed(1)} ms`,
        '',
        '',
      ],
      ...verify.map((v): [string, string, string, string] => [
        `offline verify, hashes (${v.records}), ${v.workers} workers`,
        `${Math.round(v.verifyRecordsPerSecond)} records/s`,
        '≥ 300,000/s',
        `${v.verifyRecordsPerSecond >= 300_000 ? 'met' : 'missed'}, ${v.cpuSecondsPerMillion.toFixed(1)} CPU s per million`,
      ]),
      ['ES256 verifications on one core (node:crypto)', `${Math.round(es256PerCore)}/s`, '', ''],
      ...signed.map((v): [string, string, string, string] => [
        `offline verify, 2 ES256 JWS each (${v.records}), ${v.workers} workers`,
        `${Math.round(v.verifyRecordsPerSecond)} records/s`,
        `≥ ${Math.round(signedLimit(v.workers) / 1.5)}/s`,
        `${v.verifyRecordsPerSecond >= signedLimit(v.workers) / 1.5 ? 'met' : 'missed'} (${(signedLimit(v.workers) / v.verifyRecordsPerSecond).toFixed(2)}× below the limit)`,
      ]),
      [`export (${VERIFY_RECORDS})`, `${Math.round(verify[0]!.exportRecordsPerSecond)} records/s`, '', ''],
    ];
    console.log('\naudit scale benchmark');
    for (const [what, value, target, verdict] of rows) {
      console.log(`${what.padEnd(66)}${value.padStart(20)}  ${target.padEnd(13)}${verdict}`);
    }
    const result = {
      date: new Date().toISOString(),
      machine: { cpus: availableParallelism(), loadAverage: loadavg()[0] },
      postgres: bench.server,
      records: RECORDS,
      citizens: CITIZENS,
      databaseBytes: Number(size.rows[0]!.bytes),
      fill: filled,
      citizenPage: { ...pages, pages: PAGES, targetP95Ms: 30 },
      es256VerificationsPerSecondPerCore: es256PerCore,
      verifyUnsigned: verify,
      verifySigned: signed.map((v) => ({ ...v, limitRecordsPerSecond: signedLimit(v.workers) })),
      targets: {
        verifyHashesPerSecond: { limit: 300_000, best: bestUnsigned, met: bestUnsigned >= 300_000 },
        verifySignedWithin: {
          limit: 1.5,
          best: signedLimit(bestSigned.workers) / bestSigned.verifyRecordsPerSecond,
          met: bestSigned.verifyRecordsPerSecond >= signedLimit(bestSigned.workers) / 1.5,
        },
        citizenPageP95Ms: { limit: 30, measured: pages.cached.p95, met: pages.cached.p95 <= 30 },
      },
    };
    await mkdir('bench-results', { recursive: true });
    const path = join('bench-results', `audit-scale-${result.date.replace(/[:.]/g, '-')}.json`);
    await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote ${path}`);
  } finally {
    process.off('SIGINT', dropOnSignal);
    await database.close();
    if (args.keep) console.error(`kept database ${bench.name} (schema ${SCHEMA}); drop it when done`);
    else await bench.drop();
  }
}

await main();
