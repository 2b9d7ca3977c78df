import type { FixedRateResult, LoadResult } from './load.ts';

/** One measured scenario: what was loaded, what came back, and the memory of its processes. */
export interface ScenarioResult {
  readonly name: 'direct' | 'bare' | 'nginx' | 'gateway';
  readonly description: string;
  readonly load: LoadResult;
  /** Peak resident set size (bytes) of each of the scenario's own processes, sampled under load. */
  readonly peakRss: Record<string, number | undefined>;
  /**
   * CPU used by each process during the measured seconds (after the warm-up), in percent of one core; the
   * load generator is `load generator`. Shows which process saturates the machine.
   */
  readonly cpuPercent: Record<string, number | undefined>;
  /** How busy all cores of the machine were meanwhile, this run and any other work together. */
  readonly machineBusyPercent?: number | undefined;
}

/** A performance target and whether the run met it. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: number;
  readonly limit: number;
  readonly unit: string;
  readonly pass: boolean;
}

/** The gateway pair at a fixed offered load (half its measured maximum), not at saturation. */
export interface HalfLoadResult {
  readonly load: FixedRateResult;
  readonly cpuPercent: Record<string, number | undefined>;
}

/** What the run measured besides the saturating scenarios. */
export interface BenchExtras {
  /** Why the nginx chain was not measured (nginx not installed); undefined when it was. */
  readonly nginxSkipped?: string | undefined;
  readonly halfLoad?: HalfLoadResult | undefined;
}

export interface BenchSummary {
  readonly scenarios: readonly ScenarioResult[];
  readonly ratios: {
    readonly gatewayToBare: number;
    readonly gatewayToDirect: number;
    /** Absent when the nginx chain was skipped. */
    readonly gatewayToNginx?: number;
  };
  readonly nginxSkipped?: string;
  readonly halfLoad?: HalfLoadResult;
  readonly targets: readonly TargetCheck[];
  /** True when every scenario ran without a single error and every target is met. */
  readonly pass: boolean;
}

const MB = 1024 * 1024;

const atLeast = (target: string, measured: number, limit: number, unit: string): TargetCheck => ({
  target,
  measured,
  limit,
  unit,
  pass: measured >= limit,
});
const atMost = (target: string, measured: number, limit: number, unit: string): TargetCheck => ({
  target,
  measured,
  limit,
  unit,
  pass: measured <= limit,
});

/** The gateways' CPU budget per exchange and side (docs/architecture.md §6). */
const GATEWAY_CPU_MS = 1.2;

/**
 * Checks the measured scenarios against docs/architecture.md §6: throughput through the gateway
 * pair at least 0.6× the bare chain, 0.33× direct and 0.5× the nginx chain (when nginx is
 * installed), each gateway's CPU at most 1.2 ms per exchange, p99 at most 50 ms at half the measured
 * maximum, each gateway at most 200 MB resident, and no errors anywhere (a run with errors is not a
 * result). Absolute rates are not judged: a shared machine moves them, ratios within one run hardly.
 */
export function summarizeBench(scenarios: readonly ScenarioResult[], extras: BenchExtras = {}): BenchSummary {
  const find = (name: ScenarioResult['name']) => {
    const scenario = scenarios.find((s) => s.name === name);
    if (!scenario) throw new TypeError(`scenario ${name} was not measured`);
    return scenario;
  };
  const gateway = find('gateway');
  const bare = find('bare');
  const direct = find('direct');
  const nginx = scenarios.find((s) => s.name === 'nginx');
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
  const ratios = {
    gatewayToBare: ratio(gateway.load.exchangesPerSecond, bare.load.exchangesPerSecond),
    gatewayToDirect: ratio(gateway.load.exchangesPerSecond, direct.load.exchangesPerSecond),
    ...(nginx
      ? { gatewayToNginx: ratio(gateway.load.exchangesPerSecond, nginx.load.exchangesPerSecond) }
      : {}),
  };
  const cpuTargets = Object.entries(gateway.cpuPercent)
    .filter(([name]) => name.includes('gateway'))
    .map(([name, percent]) =>
      atMost(
        `CPU per exchange, ${name}`,
        percent === undefined
          ? Number.POSITIVE_INFINITY
          : (cpuMsPerExchange(percent, gateway.load.exchangesPerSecond) ?? Number.POSITIVE_INFINITY),
        GATEWAY_CPU_MS,
        'ms',
      ),
    );
  const halfLoad = extras.halfLoad;
  const gatewayRss = Object.entries(gateway.peakRss)
    .filter(([name]) => name.includes('gateway'))
    .map(([, bytes]) => bytes ?? Number.POSITIVE_INFINITY);
  const targets = [
    atLeast('gateway ÷ bare chain', ratios.gatewayToBare, 0.6, '×'),
    atLeast('gateway ÷ direct', ratios.gatewayToDirect, 0.33, '×'),
    ...(ratios.gatewayToNginx !== undefined
      ? [atLeast('gateway ÷ nginx chain', ratios.gatewayToNginx, 0.5, '×')]
      : []),
    ...cpuTargets,
    ...(halfLoad
      ? [
          atMost(
            `gateway p99 at ${halfLoad.load.offeredPerSecond}/s (half load)`,
            halfLoad.load.latencyMs.p99,
            50,
            'ms',
          ),
        ]
      : []),
    atMost('peak RSS of a gateway', Math.max(0, ...gatewayRss) / MB, 200, 'MB'),
    atMost(
      'errors in any scenario',
      scenarios.reduce((sum, s) => sum + s.load.errors, 0) + (halfLoad?.load.errors ?? 0),
      0,
      '',
    ),
  ];
  return {
    scenarios,
    ratios,
    ...(extras.nginxSkipped !== undefined ? { nginxSkipped: extras.nginxSkipped } : {}),
    ...(halfLoad ? { halfLoad } : {}),
    targets,
    pass: targets.every((t) => t.pass),
  };
}

const pad = (cells: readonly string[], widths: readonly number[]) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [pad(header, widths), rule, ...rows.map((r) => pad(r, widths))].join('\n');
}

const rssText = (peakRss: ScenarioResult['peakRss']) =>
  Object.entries(peakRss)
    .map(([name, bytes]) => `${name} ${bytes === undefined ? '?' : `${(bytes / MB).toFixed(0)} MB`}`)
    .join(', ');

/**
 * CPU milliseconds a process spent per exchange: its share of a core divided by the rate. Unlike
 * exchanges/s this hardly moves when other work shares the machine.
 */
export const cpuMsPerExchange = (cpuPercent: number, exchangesPerSecond: number): number | undefined =>
  exchangesPerSecond > 0 ? (cpuPercent / 100 / exchangesPerSecond) * 1000 : undefined;

const number = (value: number, digits = 0) => value.toFixed(digits);

const cpuText = (cpuPercent: ScenarioResult['cpuPercent'], exchangesPerSecond: number) =>
  Object.entries(cpuPercent)
    .map(([name, percent]) => {
      if (percent === undefined) return `${name} ?`;
      const perExchange = cpuMsPerExchange(percent, exchangesPerSecond);
      return `${name} ${percent.toFixed(0)} (${perExchange === undefined ? '?' : perExchange.toFixed(2)})`;
    })
    .join(', ');

/** The human-readable result: one row per scenario, the ratios, and each target with pass/miss. */
export function formatBenchSummary(summary: BenchSummary): string {
  const half = summary.halfLoad;
  const scenarios = table(
    [
      'scenario',
      'exchanges/s',
      'p50 ms',
      'p99 ms',
      'requests',
      'errors',
      'peak RSS per process',
      'CPU % of a core (ms per exchange)',
    ],
    summary.scenarios
      .map((s) => [
        `${s.name} (${s.description})`,
        number(s.load.exchangesPerSecond),
        number(s.load.latencyMs.p50, 1),
        number(s.load.latencyMs.p99, 1),
        String(s.load.requests),
        String(s.load.errors),
        rssText(s.peakRss),
        cpuText(s.cpuPercent, s.load.exchangesPerSecond),
      ])
      .concat(
        half
          ? [
              [
                `gateway at ${half.load.offeredPerSecond}/s offered (half load)`,
                number(half.load.exchangesPerSecond),
                number(half.load.latencyMs.p50, 1),
                number(half.load.latencyMs.p99, 1),
                String(half.load.requests),
                String(half.load.errors),
                '',
                cpuText(half.cpuPercent, half.load.exchangesPerSecond),
              ],
            ]
          : [],
      ),
  );
  const targets = table(
    ['target (docs/architecture.md §6)', 'measured', 'limit', 'result'],
    summary.targets.map((t) => [
      t.target,
      `${number(t.measured, t.unit === '×' || (t.unit === 'ms' && t.measured < 10) ? 2 : 0)}${t.unit === '×' ? '×' : ` ${t.unit}`}`.trim(),
      `${t.unit === 'ms' || t.unit === 'MB' || t.unit === '' ? '≤' : '≥'} ${t.limit}${t.unit === '×' ? '×' : ` ${t.unit}`}`.trim(),
      t.pass ? 'pass' : 'MISS',
    ]),
  );
  const skipped = summary.nginxSkipped ? `\nnginx chain skipped: ${summary.nginxSkipped}\n` : '';
  return `${scenarios}\n${skipped}\n${targets}\n`;
}
