/**
 * `npm run bench:portal`: how fast a citizen with 1,000 log records spread over four gateways gets
 * the first page of the merged timeline (target: p95 ≤ 300 ms). A whole federation runs on a fresh
 * database on the PostgreSQL server named by DATABASE_URL; the records (500 exchanges, each logged
 * by its consumer's and its provider's gateway, 250 records per gateway) go through the gateways'
 * own audit writers and are witnessed; the citizen logs in through the portal and the eID
 * provider. The first page is cold: every gateway's citizen API is asked again and the proof of every
 * record read is checked (it is shown once each gateway's newest records are in); the whole
 * timeline (a later page) waits for all 1,000 records; a warm page comes from the session's
 * timeline. Prints the figures and writes JSON to bench-results/.
 *
 *   npm run bench:portal -- [--samples 40]
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { storyCitizen } from '../adapters/index.ts';
import { openDatabase } from '../core/database/index.ts';
import { silentLogger } from '../core/index.ts';
import { writeDevelopmentFederation } from '../dev/federation-files.ts';
import { startFederation } from '../dev/federation-runtime.ts';
import { createPortalBrowser } from '../dev/portal-browser.ts';
import { createAuditLog } from '../gateway/index.ts';
import type { AuditRecord } from '../schemas/index.ts';
import { createBenchDatabase } from './bench-database.ts';

const settingsSchema = z.object({
  samples: z.coerce.number().int().min(5).max(1000).default(40),
  databaseUrl: z.string().url().default('postgres://postgres@127.0.0.1:5432/postgres'),
});

/** The exchanges of the benchmark: who asks whom, 250 each, so every gateway logs 250 records. */
const ROUTES = [
  {
    consumer: 'DEMO/GOV/munich/gw1',
    provider: 'DEMO/GOV/residents-office/gw1',
    client: 'DEMO/GOV/munich/parking-permits',
    service: 'DEMO/GOV/residents-office/register/address-v1',
  },
  {
    consumer: 'DEMO/GOV/business-register/gw1',
    provider: 'DEMO/GOV/vehicle-authority/gw1',
    client: 'DEMO/GOV/business-register/companies',
    service: 'DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1',
  },
] as const;
const EXCHANGES_PER_ROUTE = 250;

/** One side's record of an exchange, the size of a real one (digests and signatures filled in). */
function record(
  side: 'consumer' | 'provider',
  gateway: string,
  route: (typeof ROUTES)[number],
  id: string,
  at: Date,
): AuditRecord {
  return {
    logTime: at.toISOString(),
    messageId: id,
    side,
    gateway,
    client: route.client,
    service: route.service,
    method: 'GET',
    path: `/r1/${route.service}`,
    subject: storyCitizen.id,
    userId: null,
    issue: 'PP-2026-0815',
    purpose: 'parking-permit',
    legalBasis: null,
    consentRef: null,
    hiddenUntil: null,
    hiddenReason: null,
    status: 200,
    outcome: 'ok',
    errorCode: null,
    requestDigest: 'a'.repeat(43),
    responseDigest: 'b'.repeat(43),
    requestSignature: `${'h'.repeat(600)}.${'c'.repeat(300)}.${'s'.repeat(86)}`,
    responseSignature: `${'h'.repeat(600)}.${'d'.repeat(200)}.${'s'.repeat(86)}`,
    eidDigest: 'e'.repeat(43),
  };
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Times `run` `samples` times; `settle` runs untimed after each, so no sample's leftovers slow the next. */
async function timed(
  samples: number,
  run: () => Promise<void>,
  settle: () => Promise<void> = async () => {},
): Promise<{ p50: number; p95: number; max: number }> {
  const times: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
    await settle();
  }
  times.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { p50: round(percentile(times, 50)), p95: round(percentile(times, 95)), max: round(times.at(-1)!) };
}

async function main() {
  const { values } = parseArgs({ options: { samples: { type: 'string' } } });
  const parsed = settingsSchema.safeParse({ ...values, databaseUrl: process.env.DATABASE_URL || undefined });
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      console.error(`bench: --${issue.path.join('.')}: ${issue.message}`);
    process.exit(2);
  }
  const { samples, databaseUrl } = parsed.data;
  const bench = await createBenchDatabase(databaseUrl);
  const database = await openDatabase({ url: bench.url, poolSize: 20 });
  const dir = await mkdtemp(join(tmpdir(), 'einmal-bench-portal-'));
  try {
    await writeDevelopmentFederation({ dir, force: false });
    const federation = await startFederation({ dir, database, log: silentLogger, ports: 'ephemeral' });
    try {
      console.log(`PostgreSQL ${bench.server.version}; logging 1000 records for ${storyCitizen.id} ...`);
      const start = Date.now() - 365 * 24 * 3600_000;
      for (const route of ROUTES) {
        const consumer = createAuditLog({
          db: federation.gatewayDb(route.consumer),
          tree: route.consumer,
          log: silentLogger,
        });
        const provider = createAuditLog({
          db: federation.gatewayDb(route.provider),
          tree: route.provider,
          log: silentLogger,
        });
        for (let i = 0; i < EXCHANGES_PER_ROUTE; i += 1) {
          const id = randomUUID();
          const at = new Date(start + i * 3600_000 * 35);
          await Promise.all([
            provider.append(record('provider', route.provider, route, id, at)),
            consumer.append(record('consumer', route.consumer, route, id, new Date(at.getTime() + 40))),
          ]);
        }
        await Promise.all([consumer.drain(), provider.drain()]);
      }
      // Wait until every gateway's witness-cosigned checkpoint covers its 250 records.
      for (;;) {
        const witnessed = await Promise.all(
          ROUTES.flatMap((r) => [r.consumer, r.provider]).map(async (gateway) => {
            const row = await federation
              .gatewayDb(gateway)
              .selectFrom('checkpoint')
              .select((eb) => eb.fn.max('size').as('size'))
              .where('cosignature', 'is not', null)
              .executeTakeFirst();
            return Number(row?.size ?? 0) >= EXCHANGES_PER_ROUTE;
          }),
        );
        if (witnessed.every(Boolean)) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }

      const browser = createPortalBrowser(federation.endpoints.portal);
      await browser.login(storyCitizen.id);
      const listed = JSON.parse((await browser.get('/timeline/export.json')).body) as {
        entries: { check: string }[];
      };
      const verified = listed.entries.filter((entry) => entry.check === 'verified').length;
      console.log(
        `the portal lists ${listed.entries.length} entries (${verified} verified) from 1000 records`,
      );
      if (
        listed.entries.length !== ROUTES.length * EXCHANGES_PER_ROUTE ||
        verified !== listed.entries.length
      ) {
        throw new Error('the timeline is not what was logged');
      }

      const firstPage = async (path: string) => {
        const page = await browser.get(path);
        if (page.status !== 200) throw new Error(`${path} answered ${page.status}`);
      };
      await firstPage('/timeline?reload=1');
      // After each first page the older records are still being read: wait for them untimed.
      const cold = await timed(
        samples,
        () => firstPage('/timeline?reload=1'),
        () => firstPage('/timeline?page=2'),
      );
      const whole = await timed(samples, () => firstPage('/timeline?page=2&reload=1'));
      const warm = await timed(samples, () => firstPage('/timeline?page=3'));
      const result = {
        date: new Date().toISOString(),
        records: 1000,
        gateways: 4,
        entries: listed.entries.length,
        samples,
        coldFirstPageMs: cold,
        coldWholeTimelineMs: whole,
        warmPageMs: warm,
        targetP95Ms: 300,
        meetsTarget: cold.p95 <= 300,
      };
      console.log(
        `first page, every gateway asked and every proof read checked: p50 ${cold.p50} ms, p95 ${cold.p95} ms, max ${cold.max} ms (target p95 ≤ 300 ms: ${result.meetsTarget ? 'met' : 'MISSED'})`,
      );
      console.log(
        `whole timeline, all 1000 records read and checked: p50 ${whole.p50} ms, p95 ${whole.p95} ms`,
      );
      console.log(`a page from the session's timeline: p50 ${warm.p50} ms, p95 ${warm.p95} ms`);
      await mkdir('bench-results', { recursive: true });
      const path = join('bench-results', `portal-timeline-${result.date.replace(/[:.]/g, '-')}.json`);
      await writeFile(path, `${JSON.stringify(result, null, 2)}\n`);
      console.log(`wrote ${path}`);
    } finally {
      await federation.stop();
    }
  } finally {
    await database.close();
    await bench.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
