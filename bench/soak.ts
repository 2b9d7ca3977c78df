/**
 * `npm run bench:soak`: the gateway pair held at half its maximum for a long time (docs/architecture.md
 * §6: 30 minutes, flat memory, descriptors and latency). Starts the benchmark federation on a fresh
 * database, measures the pair's maximum with a short closed-loop run (or takes `--rate`), then offers
 * half of it at a fixed rate, window after window, and records per window the exchange p50/p99 and
 * errors, and for each gateway its resident memory, open file descriptors and event-loop delay. Prints
 * the windows and a flatness verdict (late third against early third), writes
 * bench-results/soak-<timestamp>.json.
 *
 *   npm run bench:soak -- [--minutes 30] [--rate N] [--connections 64]
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createLogger } from '../core/index.ts';
import { createBenchDatabase } from './bench-database.ts';
import {
  type BenchFederation,
  citizenTokens,
  gatewayTarget,
  startBenchFederation,
} from './bench-federation.ts';
import { databaseActivity } from './database-activity.ts';
import { fixedRateClient, runLoad } from './load.ts';
import { formatSoak, judgeSoak, type ProcessWindow, type SoakWindow } from './soak-report.ts';

const settingsSchema = z.object({
  minutes: z.coerce
    .number()
    .min(1)
    .max(24 * 60)
    .default(30),
  rate: z.coerce.number().int().min(1).optional(),
  connections: z.coerce.number().int().min(1).max(1024).default(64),
  out: z.string().min(1).default('bench-results'),
  databaseUrl: z.string().url().default('postgres://postgres@127.0.0.1:5432/postgres'),
});

/** Citizen tokens are renewed this often: well within the eID provider's 10-minute token lifetime. */
const TOKEN_RENEWAL_MS = 4 * 60_000;
/** How often a window samples each gateway's open descriptors. */
const DESCRIPTOR_SAMPLE_MS = 2_000;

/** Samples each process's open descriptors every `everyMs` until stopped: the fewest and the most seen. */
function sampleDescriptors(
  processes: Record<string, { openFiles(): Promise<number | undefined> }>,
  everyMs: number,
) {
  const seen: Record<string, { fewest: number; most: number }> = {};
  const sample = async () => {
    for (const [name, process] of Object.entries(processes)) {
      const count = await process.openFiles();
      if (count === undefined) continue;
      const known = seen[name];
      seen[name] = known
        ? { fewest: Math.min(known.fewest, count), most: Math.max(known.most, count) }
        : { fewest: count, most: count };
    }
  };
  const timer = setInterval(() => void sample(), everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      return seen;
    },
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      rate: { type: 'string' },
      connections: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const parsed = settingsSchema.safeParse({ ...values, databaseUrl: process.env.DATABASE_URL || undefined });
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      console.error(`soak: --${issue.path.join('.')}: ${issue.message}`);
    process.exit(2);
  }
  const settings = parsed.data;
  const startedAt = new Date();
  const dir = await mkdtemp(join(tmpdir(), 'einmal-soak-'));
  const log = createLogger({
    name: 'soak',
    level: 'warn',
    destination: createWriteStream(join(dir, 'soak.log')),
  });
  const database = await createBenchDatabase(settings.databaseUrl);
  console.log(`${availableParallelism()} CPUs, load average ${loadavg()[0]?.toFixed(1)} at start`);
  console.log(
    `PostgreSQL ${database.server.version} (synchronous_commit=${database.server.synchronousCommit}, fsync=${database.server.fsync}), database ${database.name}`,
  );
  let federation: BenchFederation | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\nsoak: ${signal}, cleaning up`);
      void Promise.allSettled([federation?.stop()])
        .then(() => database.drop())
        .finally(() => process.exit(130));
    });
  }
  try {
    federation = await startBenchFederation({ dir, databaseUrl: database.url, log });
    let target = gatewayTarget(federation, await citizenTokens(federation));
    let tokensAt = performance.now();
    let rate = settings.rate;
    let measuredMax: number | undefined;
    if (rate === undefined) {
      process.stdout.write('gateway maximum: 15 s warm-up + 10 s closed loop … ');
      const max = await runLoad(target, {
        durationSeconds: 10,
        warmupSeconds: 15,
        connections: settings.connections,
      });
      if (max.errors > 0) throw new Error(`the maximum run had ${max.errors} errors`);
      measuredMax = max.exchangesPerSecond;
      rate = Math.max(1, Math.floor(measuredMax / 2));
      console.log(`${measuredMax.toFixed(0)}/s`);
    }
    const totalSeconds = settings.minutes * 60;
    // About 30 windows however long the soak, none shorter than 10 s or longer than a minute.
    const windowSeconds = Math.min(60, Math.max(10, Math.round(totalSeconds / 30)));
    const windowCount = Math.max(3, Math.round(totalSeconds / windowSeconds));
    console.log(`soak: ${rate}/s offered for ${windowCount} windows of ${windowSeconds} s`);
    const gateways = { consumer: federation.consumerGateway, provider: federation.providerGateway };
    // Reset the event-loop histograms so the first window starts clean.
    await Promise.all(Object.values(gateways).map((g) => g.eventLoopDelay()));
    const client = fixedRateClient(target, settings.connections);
    const activity = await databaseActivity(database.url);
    const windows: SoakWindow[] = [];
    const loadStarted = performance.now();
    try {
      for (let i = 0; i < windowCount; i++) {
        // The citizens log in again before their tokens expire, as a permit system's users would.
        let renewed: typeof target.headersPerConnection | undefined;
        if (performance.now() - tokensAt > TOKEN_RENEWAL_MS) {
          target = gatewayTarget(federation, await citizenTokens(federation));
          tokensAt = performance.now();
          renewed = target.headersPerConnection;
        }
        const descriptors = sampleDescriptors(gateways, DESCRIPTOR_SAMPLE_MS);
        const result = await client.run(rate, windowSeconds, renewed);
        const openFiles = await descriptors.stop();
        const processes: Record<string, ProcessWindow> = {};
        for (const [name, gateway] of Object.entries(gateways)) {
          const [rssBytes, loop] = await Promise.all([gateway.rss(), gateway.eventLoopDelay()]);
          processes[`${name} gateway`] = {
            rssBytes,
            openFiles: openFiles[name]?.fewest,
            openFilesMost: openFiles[name]?.most,
            loopDelayP99Ms: loop.p99Ms,
            loopDelayMaxMs: loop.maxMs,
          };
        }
        const window: SoakWindow = {
          atSeconds: (performance.now() - loadStarted) / 1000,
          exchangesPerSecond: result.exchangesPerSecond,
          p50Ms: result.latencyMs.p50,
          p99Ms: result.latencyMs.p99,
          errors: result.errors,
          processes,
          // Every request of the window, answered or refused, wrote to the gateways' logs.
          database: await activity.window(result.requests),
        };
        windows.push(window);
        const line = Object.entries(processes)
          .map(
            ([n, p]) =>
              `${n} ${((p.rssBytes ?? 0) / 2 ** 20).toFixed(0)} MB ${p.openFiles}–${p.openFilesMost} fds loop p99 ${p.loopDelayP99Ms.toFixed(1)} ms`,
          )
          .join(', ');
        const db = window.database!;
        console.log(
          `${(window.atSeconds / 60).toFixed(1)} min: ${result.exchangesPerSecond.toFixed(0)}/s p99 ${result.latencyMs.p99} ms ${result.errors} errors; ${line}; database ${db.sizeMB.toFixed(0)} MB, WAL ${db.walKBPerExchange.toFixed(1)} kB and ${db.fullPageImagesPerExchange.toFixed(2)} page images per exchange, ${db.checkpoints} checkpoints, ${db.autovacuums} autovacuums`,
        );
      }
    } finally {
      await client.close();
      await activity.close();
    }
    const verdict = judgeSoak(windows);
    console.log(`\n${formatSoak(windows, verdict)}`);
    const outDir = resolve(settings.out);
    await mkdir(outDir, { recursive: true });
    const outFile = join(outDir, `soak-${startedAt.toISOString().replaceAll(':', '-')}.json`);
    const report = {
      benchmark: 'soak',
      startedAt: startedAt.toISOString(),
      machine: { cpus: availableParallelism(), node: process.version, loadAverageAtEnd: loadavg()[0] },
      postgres: database.server,
      settings: { ...settings, databaseUrl: undefined, rate, measuredMax, windowSeconds },
      verdict,
      windows,
    };
    await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`results: ${outFile}`);
    process.exitCode = verdict.flat ? 0 : 1;
  } finally {
    await federation?.stop();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (error) {
  console.error(`soak failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
process.exit();
