/**
 * `npm run bench`: the exchange benchmark of docs/architecture.md §6. Loads the gateway pair (IS → consumer
 * gateway → provider gateway → adapter, mutual TLS, citizen eID tokens, signed and durably logged)
 * and, in the same run, the baselines: the IS calling the adapter directly, a bare chain of two
 * mutual-TLS forwarders and, when nginx is installed, two nginx proxies chained over mutual TLS.
 * Then it offers the gateway pair half its measured maximum at a fixed rate and reports the latency
 * there. Everything runs on a fresh database on the PostgreSQL server named by DATABASE_URL. Prints a
 * table and writes bench-results/exchange-<timestamp>.json.
 *
 *   npm run bench -- [--duration 10] [--warmup 15] [--connections 64] [--profile]
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { createLogger, siblingModule } from '../core/index.ts';
import { findFreePorts } from '../dev/free-ports.ts';
import { verifiedContextHeaders } from '../schemas/index.ts';
import { createBenchDatabase } from './bench-database.ts';
import {
  ADAPTER_PATH,
  type BenchFederation,
  CLIENT_ID,
  citizenTokens,
  gatewayTarget,
  isAddressAnswer,
  PURPOSE,
  SERVICE_ID,
  startBenchFederation,
} from './bench-federation.ts';
import { formatProfileSummary, summarizeCpuProfile } from './cpu-profile-summary.ts';
import { type LoadSettings, type LoadTarget, runFixedRate, runLoad } from './load.ts';
import { type NginxChain, nginxVersion, startNginxChain } from './nginx-chain.ts';
import { type CpuSampledProcess, localPostgresServer } from './process-stats.ts';
import { formatBenchSummary, type HalfLoadResult, type ScenarioResult, summarizeBench } from './report.ts';

const settingsSchema = z.object({
  duration: z.coerce.number().int().min(1).max(120).default(10),
  // Long enough for V8 to finish optimising the hot paths: a gateway runs for months, not seconds.
  warmup: z.coerce.number().int().min(0).max(120).default(15),
  connections: z.coerce.number().int().min(1).max(1024).default(64),
  profile: z.boolean().default(false),
  out: z.string().min(1).default('bench-results'),
  databaseUrl: z.string().url().default('postgres://postgres@127.0.0.1:5432/postgres'),
});

async function main() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      profile: { type: 'boolean' },
      out: { type: 'string' },
    },
  });
  const parsed = settingsSchema.safeParse({ ...values, databaseUrl: process.env.DATABASE_URL || undefined });
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      console.error(`bench: --${issue.path.join('.')}: ${issue.message}`);
    process.exit(2);
  }
  const settings = parsed.data;
  const load: LoadSettings = {
    durationSeconds: settings.duration,
    warmupSeconds: settings.warmup,
    connections: settings.connections,
  };
  const startedAt = new Date();
  const loadAverageAtStart = loadavg()[0];
  const dir = await mkdtemp(join(tmpdir(), 'einmal-bench-'));
  const profileDir = settings.profile ? join(dir, 'profiles') : undefined;
  if (profileDir) await mkdir(profileDir);
  const log = createLogger({
    name: 'bench',
    level: 'warn',
    destination: createWriteStream(join(dir, 'bench.log')),
  });

  const database = await createBenchDatabase(settings.databaseUrl);
  const runtime = siblingModule(import.meta.url, 'exchange-bench').compiled
    ? 'compiled JavaScript (npm run build)'
    : 'TypeScript sources through tsx';
  console.log(`${availableParallelism()} CPUs, load average ${loadAverageAtStart?.toFixed(1)} at start`);
  console.log(`components run as ${runtime}`);
  console.log(
    `PostgreSQL ${database.server.version} (synchronous_commit=${database.server.synchronousCommit}, fsync=${database.server.fsync}), database ${database.name}`,
  );
  const nginx = await nginxVersion();
  console.log(
    nginx ? `nginx ${nginx} for the nginx chain` : 'nginx is not installed: the nginx chain is skipped',
  );
  let federation: BenchFederation | undefined;
  let nginxChain: NginxChain | undefined;
  // An interrupted run still stops its processes and drops its database.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\nbench: ${signal}, cleaning up`);
      void Promise.allSettled([federation?.stop(), nginxChain?.stop()])
        .then(() => database.drop())
        .finally(() => process.exit(130));
    });
  }
  try {
    const t0 = performance.now();
    federation = await startBenchFederation({
      dir,
      databaseUrl: database.url,
      log,
    });
    if (nginx) {
      const [frontPort, backPort] = await findFreePorts(2);
      nginxChain = await startNginxChain({
        dir,
        upstream: `http://127.0.0.1:${federation.adapter.port}`,
        frontTls: federation.gatewayTls.consumer,
        backTls: federation.gatewayTls.provider,
        frontPort: frontPort!,
        backPort: backPort!,
      });
    }
    console.log(`federation up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const tokens = await citizenTokens(federation);
    // The database's CPU shows what the audit log costs where the server runs on this machine.
    const databaseHost = new URL(settings.databaseUrl).hostname;
    const postgres = ['127.0.0.1', 'localhost', '[::1]'].includes(databaseHost)
      ? localPostgresServer()
      : undefined;
    const targets = scenarioTargets(federation, tokens, nginxChain, postgres);
    await preflight(targets, federation.informationSystemTls);

    const scenarios: ScenarioResult[] = [];
    for (const scenario of ['direct', 'bare', 'nginx', 'gateway'] as const) {
      const planned = targets[scenario];
      if (!planned) continue;
      const { target, description, hops } = planned;
      process.stdout.write(`${scenario}: ${settings.warmup} s warm-up + ${settings.duration} s … `);
      const profiled = profileDir && scenario === 'gateway' ? gatewaysOf(federation) : [];
      // CPU, memory and profiles cover the measured seconds only, after the warm-up (JIT, pools).
      let sampler: ReturnType<typeof sampleProcesses> | undefined;
      const result = await runLoad(target, {
        ...load,
        onMeasuring: async () => {
          await Promise.all(profiled.map((gateway) => gateway.startProfile()));
          sampler = sampleProcesses(hops);
        },
      });
      await Promise.all(
        profiled.map((gateway) => gateway.stopProfile(join(profileDir!, `${gateway.name}.cpuprofile`))),
      );
      const { peakRss, cpuPercent, machineBusyPercent } = await sampler!.stop();
      console.log(
        `${result.exchangesPerSecond.toFixed(0)}/s, p99 ${result.latencyMs.p99} ms, ${result.errors} errors, machine CPU ${machineBusyPercent?.toFixed(0) ?? '?'}% busy`,
      );
      scenarios.push({ name: scenario, description, load: result, peakRss, cpuPercent, machineBusyPercent });
    }

    // Half the measured maximum, offered at a fixed rate: the latency a client sees below saturation.
    const gatewayMax = scenarios.find((s) => s.name === 'gateway')!.load.exchangesPerSecond;
    const halfRate = Math.max(1, Math.floor(gatewayMax / 2));
    process.stdout.write(
      `gateway at ${halfRate}/s offered: ${settings.warmup} s warm-up + ${settings.duration} s … `,
    );
    let halfSampler: ReturnType<typeof sampleProcesses> | undefined;
    const halfLoadResult = await runFixedRate(targets.gateway!.target, {
      ratePerSecond: halfRate,
      durationSeconds: settings.duration,
      warmupSeconds: settings.warmup,
      connections: settings.connections,
      onMeasuring: () => {
        halfSampler = sampleProcesses(targets.gateway!.hops);
      },
    });
    const halfLoad: HalfLoadResult = {
      load: halfLoadResult,
      cpuPercent: (await halfSampler!.stop()).cpuPercent,
    };
    console.log(
      `${halfLoadResult.exchangesPerSecond.toFixed(0)}/s, p50 ${halfLoadResult.latencyMs.p50} ms, p99 ${halfLoadResult.latencyMs.p99} ms, ${halfLoadResult.errors} errors`,
    );

    const summary = summarizeBench(scenarios, {
      halfLoad,
      ...(nginx ? {} : { nginxSkipped: 'nginx is not installed (Debian: nginx-light)' }),
    });
    console.log(`\n${formatBenchSummary(summary)}`);
    if (!summary.pass) console.log('Some targets were missed (MISS above).');

    let profiles: Record<string, ReturnType<typeof summarizeCpuProfile>> | undefined;
    if (profileDir) {
      profiles = {};
      for (const file of await readdir(profileDir)) {
        const profile = summarizeCpuProfile(await readFile(join(profileDir, file), 'utf8'));
        profiles[file] = profile;
        console.log(`\n${formatProfileSummary(`${file} (gateway scenario, warm-up included)`, profile)}`);
      }
    }

    const outDir = resolve(settings.out);
    await mkdir(outDir, { recursive: true });
    const outFile = join(outDir, `exchange-${startedAt.toISOString().replaceAll(':', '-')}.json`);
    const report = {
      benchmark: 'exchange',
      startedAt: startedAt.toISOString(),
      machine: {
        cpus: availableParallelism(),
        cpuModel: cpus()[0]?.model,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        // Other work on the machine skews every number; the 1-minute load average says how much.
        loadAverageAtStart,
        loadAverageAtEnd: loadavg()[0],
      },
      postgres: database.server,
      settings: { ...load, citizens: tokens.length, profile: settings.profile, runtime },
      nginx: nginx ?? null,
      service: SERVICE_ID,
      ...summary,
      adapterPeakRss: scenarios.map((s) => ({ scenario: s.name, bytes: s.peakRss.adapter })),
      ...(profiles ? { profiles } : {}),
    };
    await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nresults: ${outFile}`);
    process.exitCode = scenarios.some((s) => s.load.errors > 0) || halfLoadResult.errors > 0 ? 1 : 0;
  } finally {
    await nginxChain?.stop();
    await federation?.stop();
    await database.drop();
    if (!profileDir) await rm(dir, { recursive: true, force: true });
    else console.log(`profiles and logs kept in ${dir}`);
  }
}

interface ScenarioTarget {
  readonly description: string;
  readonly target: LoadTarget;
  /** The processes this scenario's requests pass through, sampled for RSS under load. */
  readonly hops: Record<string, CpuSampledProcess>;
}

function scenarioTargets(
  federation: BenchFederation,
  tokens: readonly { citizen: string; token: string }[],
  nginxChain: NginxChain | undefined,
  postgres: CpuSampledProcess | undefined,
): Partial<Record<ScenarioResult['name'], ScenarioTarget>> {
  // What the provider gateway hands the adapter after its checks (docs/protocol.md §5), per citizen.
  const verified = tokens.map(({ citizen }) =>
    verifiedContextHeaders({
      client: CLIENT_ID,
      service: SERVICE_ID,
      messageId: randomUUID(),
      subject: citizen,
      purpose: PURPOSE,
      legalBasis: null,
      userId: null,
      issue: null,
    }),
  );
  const tls = federation.informationSystemTls;
  return {
    direct: {
      description: 'IS → adapter',
      target: {
        url: `http://127.0.0.1:${federation.adapter.port}${ADAPTER_PATH}`,
        headersPerConnection: verified,
        isExpectedBody: isAddressAnswer,
      },
      hops: { adapter: federation.adapter },
    },
    bare: {
      description: 'IS → mTLS fwd → mTLS fwd → adapter',
      target: {
        url: `https://localhost:${federation.forwarderA.port}${ADAPTER_PATH}`,
        tls,
        headersPerConnection: verified,
        isExpectedBody: isAddressAnswer,
      },
      hops: {
        'forwarder A': federation.forwarderA,
        'forwarder B': federation.forwarderB,
        adapter: federation.adapter,
      },
    },
    ...(nginxChain
      ? {
          nginx: {
            description: 'IS → nginx → nginx → adapter',
            target: {
              url: `https://localhost:${nginxChain.front.port}${ADAPTER_PATH}`,
              tls,
              headersPerConnection: verified,
              isExpectedBody: isAddressAnswer,
            },
            hops: { 'nginx A': nginxChain.front, 'nginx B': nginxChain.back, adapter: federation.adapter },
          },
        }
      : {}),
    gateway: {
      description: 'IS → consumer gw → provider gw → adapter',
      target: gatewayTarget(federation, tokens),
      hops: {
        'consumer gateway': federation.consumerGateway,
        'provider gateway': federation.providerGateway,
        adapter: federation.adapter,
        ...(postgres ? { PostgreSQL: postgres } : {}),
      },
    },
  };
}

const gatewaysOf = (federation: BenchFederation) => [federation.consumerGateway, federation.providerGateway];

/** One request per connection profile of every scenario, so a broken setup fails before any load. */
async function preflight(
  targets: Partial<Record<string, ScenarioTarget>>,
  tls: { cert: string; key: string; ca: string },
): Promise<void> {
  const dispatcher = new Agent({ connect: { ...tls } });
  try {
    for (const [name, planned] of Object.entries(targets)) {
      if (!planned) continue;
      const { target } = planned;
      for (const headers of target.headersPerConnection) {
        const response = await request(target.url, { headers, dispatcher });
        const body = await response.body.text();
        if (response.statusCode !== 200 || !target.isExpectedBody(body)) {
          throw new Error(
            `${name}: the first request answered ${response.statusCode}: ${body.slice(0, 300)}`,
          );
        }
      }
    }
  } finally {
    await dispatcher.close();
  }
}

/** Machine-wide CPU ticks (all cores) from /proc/stat: idle (incl. I/O wait) and total. */
async function readMachineCpu(): Promise<{ idle: number; total: number } | undefined> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    return { idle: ticks[3]! + ticks[4]!, total: ticks.reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}

/**
 * Samples each process's RSS every 250 ms until stopped, and measures the CPU each process (and
 * this one, the load generator) used meanwhile.
 */
function sampleProcesses(processes: Record<string, CpuSampledProcess>) {
  const peaks: Record<string, number | undefined> = {};
  const startedAt = performance.now();
  const ownCpuAtStart = process.cpuUsage();
  const cpuAtStart = Promise.all(Object.values(processes).map((p) => p.cpuSeconds()));
  const machineAtStart = readMachineCpu();
  const sample = async () => {
    for (const [name, component] of Object.entries(processes)) {
      if (!component.rss) continue;
      const rss = await component.rss();
      if (rss !== undefined) peaks[name] = Math.max(peaks[name] ?? 0, rss);
    }
  };
  const timer = setInterval(() => void sample(), 250);
  return {
    async stop() {
      clearInterval(timer);
      await sample();
      const seconds = (performance.now() - startedAt) / 1000;
      const before = await cpuAtStart;
      const after = await Promise.all(Object.values(processes).map((p) => p.cpuSeconds()));
      const own = process.cpuUsage(ownCpuAtStart);
      const cpuPercent: Record<string, number | undefined> = {
        'load generator': ((own.user + own.system) / 1e6 / seconds) * 100,
      };
      Object.keys(processes).forEach((name, i) => {
        const used = after[i] !== undefined && before[i] !== undefined ? after[i]! - before[i]! : undefined;
        cpuPercent[name] = used === undefined ? undefined : (used / seconds) * 100;
      });
      const [machineBefore, machineAfter] = await Promise.all([machineAtStart, readMachineCpu()]);
      const machineBusyPercent =
        machineBefore && machineAfter
          ? (1 - (machineAfter.idle - machineBefore.idle) / (machineAfter.total - machineBefore.total)) * 100
          : undefined;
      return {
        peakRss: Object.fromEntries(
          Object.entries(processes)
            .filter(([, component]) => component.rss)
            .map(([name]) => [name, peaks[name]]),
        ),
        cpuPercent,
        machineBusyPercent,
      };
    },
  };
}

try {
  await main();
} catch (error) {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
// Idle keep-alive sockets and timers of the in-process services must not hold the run open.
process.exit();
