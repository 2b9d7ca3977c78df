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
 */
import { createHash, KeyObject, randomBytes, sign } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Kysely, sql } from 'kysely';
import { exportBundle } from '../audit/bundle/bundle-export.ts';
import { verifyBundles } from '../audit/bundle/bundle-verify.ts';
import { appendLeaves, getRoot, leafHash } from '../audit/index.ts';
import { migrateToLatest, openDatabase } from '../core/database/index.ts';
import { findRecords } from '../gateway/audit/record-query.ts';
import { proveRecords } from '../gateway/citizen/citizen-record.ts';
import { gatewayMigrations } from '../gateway/index.ts';
import { canonicalJson, cosignCheckpoint, createCheckpoint, signCheckpoint } from '../protocol/index.ts';
import type { AuditRecord } from '../schemas/index.ts';
import { createBenchDatabase } from './bench-database.ts';
import { createBenchPki } from './bench-pki.ts';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '10000000' },
    'verify-records': { type: 'string', default: '1000000' },
    'signed-records': { type: 'string', default: '20000' },
    citizens: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '50000' },
    pages: { type: 'string', default: '500' },
  },
});
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

const digest = (text: string) => createHash('sha256').update(text).digest('base64url');
const citizenId = (n: number) => `DE${String(n).padStart(8, '0')}`;
/** Unique per run, so message ids never collide with another run's. */
const RUN = randomBytes(4).toString('hex');
const messageId = (n: number) => `${RUN}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

const createPki = () => createBenchPki('DEMO/GOV/residents-office');
type Pki = Awaited<ReturnType<typeof createPki>>;

function syntheticRecord(n: number, start: number, jws?: { request: string; response: string }): AuditRecord {
  const citizen = n % CITIZENS;
  return {
    logTime: new Date(start + n * 10).toISOString(),
    messageId: messageId(n),
    side: jws ? 'consumer' : 'provider',
    gateway: jws ? SIGNED_TREE : TREE,
    client: 'DEMO/GOV/munich/parking-permits',
    service: 'DEMO/GOV/residents-office/register/address-v1',
    method: 'GET',
    path: '/address',
    subject: citizenId(citizen),
    userId: `clerk-${n % 97}`,
    issue: `permit-${n}`,
    purpose: 'parking-permit',
    legalBasis: 'StVO-45',
    consentRef: null,
    hiddenUntil: null,
    hiddenReason: null,
    status: 200,
    outcome: 'ok',
    errorCode: null,
    requestDigest: jws ? digest(jws.request) : digest(`request ${n}`),
    responseDigest: jws ? digest(jws.response) : digest(`response ${n}`),
    requestSignature: jws?.request ?? null,
    responseSignature: jws?.response ?? null,
    eidDigest: digest(`eid ${citizen}`),
  };
}

/** Appends records in one transaction: appendLeaves for the tree, one multi-row unnest insert for the rows. */
async function appendBatch(db: Kysely<any>, tree: string, records: readonly AuditRecord[]): Promise<void> {
  const canonical = records.map((r) => Buffer.from(canonicalJson(r)));
  const leaves = canonical.map((c) => leafHash(c));
  await db.transaction().execute(async (trx) => {
    const { firstIndex } = await appendLeaves(trx, tree, leaves);
    const column = <T>(f: (r: AuditRecord, i: number) => T) => records.map(f);
    await sql`insert into ${sql.id(SCHEMA, 'audit_record')} (tree, idx, log_time, message_id, side, client, service, subject, status, outcome, canonical)
      select ${tree}, * from unnest(
        ${column((_, i) => firstIndex + i)}::int8[], ${column((r) => r.logTime)}::timestamptz[],
        ${column((r) => r.messageId)}::text[], ${column((r) => r.side)}::text[], ${column((r) => r.client)}::text[],
        ${column((r) => r.service)}::text[], ${column((r) => r.subject)}::text[], ${column((r) => r.status)}::int4[],
        ${column((r) => r.outcome)}::text[], ${canonical}::bytea[])`.execute(trx);
  });
}

async function signCheckpointAt(db: Kysely<any>, pki: Pki, tree: string, size: number): Promise<void> {
  const checkpoint = createCheckpoint({
    origin: tree,
    size,
    root: await getRoot(db, tree, size),
    now: new Date(),
  });
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
  let written = 0;
  let pending: Promise<void> = Promise.resolve();
  let lastReport = started;
  while (written < RECORDS) {
    const count = Math.min(BATCH, RECORDS - written);
    const records = Array.from({ length: count }, (_, i) => syntheticRecord(written + i, start));
    // Build the next batch while the previous one commits.
    await pending;
    pending = appendBatch(db, TREE, records);
    written += count;
    if (written % CHECKPOINT_EVERY === 0 || written === RECORDS) {
      await pending;
      await signCheckpointAt(db, pki, TREE, written);
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
  const key = KeyObject.from(pki.member.keys.privateKey);
  const es256 = (typ: string, payload: unknown) => {
    const input = `${Buffer.from(JSON.stringify({ alg: 'ES256', typ, x5c: pki.member.chain })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
  const start = Date.now() - SIGNED_RECORDS * 10;
  const records = Array.from({ length: SIGNED_RECORDS }, (_, n) => {
    const template = syntheticRecord(n, start);
    const request = es256('einmal-req+jws', {
      v: 2,
      id: template.messageId,
      client: template.client,
      service: template.service,
    });
    const response = es256('einmal-res+jws', {
      v: 1,
      id: template.messageId,
      req: digest(request),
      status: 200,
    });
    return syntheticRecord(n, start, { request, response });
  });
  for (let i = 0; i < records.length; i += BATCH)
    await appendBatch(db, SIGNED_TREE, records.slice(i, i + BATCH));
  await signCheckpointAt(db, pki, SIGNED_TREE, SIGNED_RECORDS);
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function measureCitizenPages(db: Kysely<any>) {
  const times: number[] = [];
  let proofs = 0;
  for (let i = 0; i < PAGES; i++) {
    const subject = citizenId(Math.floor(Math.random() * Math.min(CITIZENS, RECORDS)));
    const started = performance.now();
    const page = await findRecords(db, { subject, visibleAt: new Date() }, { limit: 50 });
    const proved = await proveRecords(db, page.rows);
    times.push(performance.now() - started);
    proofs += proved.proofs.filter((p) => p !== null).length;
  }
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 0.5),
    p95: percentile(times, 0.95),
    max: times.at(-1)!,
    proofsPerPage: proofs / PAGES,
  };
}

async function measureVerification(db: Kysely<any>, pki: Pki, tree: string, upTo: number) {
  const dir = await mkdtemp(join(tmpdir(), 'einmal-audit-bench-'));
  try {
    const out = join(dir, 'bundle');
    const exportStarted = performance.now();
    // The bundle ends at the last witnessed checkpoint up to `upTo`.
    const { records } = (await exportBundle({ db, tree, out, caPem: pki.anchorPem, upTo })).manifest;
    const exportSeconds = (performance.now() - exportStarted) / 1000;
    const report = await verifyBundles({
      bundles: [out],
      anchorPem: pki.anchorPem,
      onProgress: (p) =>
        process.stderr.write(
          `verify: ${p.records}/${p.total}, ${Math.round(p.recordsPerSecond)} records/s\n`,
        ),
    });
    if (!report.ok)
      throw new Error(`the benchmark bundle does not verify: ${JSON.stringify(report.failures.slice(0, 3))}`);
    return {
      records,
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
    const verify = await measureVerification(db, pki, TREE, VERIFY_RECORDS);
    await fillSigned(db, pki);
    const signed = await measureVerification(db, pki, SIGNED_TREE, SIGNED_RECORDS);

    const rows: [string, string, string, string][] = [
      [
        'fill (appendLeaves + unnest insert)',
        `${Math.round(filled.recordsPerSecond)} records/s`,
        '',
        `${filled.seconds.toFixed(0)} s`,
      ],
      [
        `citizen page of 50 with proofs, p95 (${RECORDS} records)`,
        `${pages.p95.toFixed(1)} ms`,
        '≤ 50 ms',
        pages.p95 <= 50 ? 'met' : 'missed',
      ],
      ['citizen page, p50', `${pages.p50.toFixed(1)} ms`, '', ''],
      [
        `offline verify, unsigned records (${VERIFY_RECORDS})`,
        `${Math.round(verify.verifyRecordsPerSecond)} records/s`,
        '≥ 100,000/s',
        verify.verifyRecordsPerSecond >= 100_000 ? 'met' : 'missed',
      ],
      [
        `offline verify, 2 ES256 JWS each (${SIGNED_RECORDS})`,
        `${Math.round(signed.verifyRecordsPerSecond)} records/s`,
        '≥ 100,000/s',
        signed.verifyRecordsPerSecond >= 100_000 ? 'met' : 'missed',
      ],
      [`export (${VERIFY_RECORDS})`, `${Math.round(verify.exportRecordsPerSecond)} records/s`, '', ''],
    ];
    console.log('\naudit scale benchmark');
    for (const [what, value, target, verdict] of rows) {
      console.log(`${what.padEnd(56)}${value.padStart(20)}  ${target.padEnd(12)}${verdict}`);
    }
    const result = {
      date: new Date().toISOString(),
      postgres: bench.server,
      records: RECORDS,
      citizens: CITIZENS,
      databaseBytes: Number(size.rows[0]!.bytes),
      fill: filled,
      citizenPage: { ...pages, pages: PAGES, targetP95Ms: 50 },
      verifyUnsigned: verify,
      verifySigned: signed,
      targetVerifyRecordsPerSecond: 100_000,
    };
    await mkdir('bench-results', { recursive: true });
    const path = join('bench-results', `audit-scale-${result.date.replace(/[:.]/g, '-')}.json`);
    await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote ${path}`);
  } finally {
    process.off('SIGINT', dropOnSignal);
    await database.close();
    await bench.drop();
  }
}

await main();
