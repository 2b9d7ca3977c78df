import type { LoadResult } from './load.ts';

/** One measured scenario: what was loaded, what came back, and the memory of its processes. */
export interface ScenarioResult {
  readonly name: 'direct' | 'bare' | 'gateway';
  readonly description: string;
  readonly load: LoadResult;
  /** Peak resident set size (bytes) of each of the scenario's own processes, sampled under load. */
  readonly peakRss: Record<string, number | undefined>;
  /**
   * CPU used by each process during the scenario (warm-up included), in percent of one core; the
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

export interface BenchSummary {
  readonly scenarios: readonly ScenarioResult[];
  readonly ratios: { readonly gatewayToBare: number; readonly gatewayToDirect: number };
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

/**
 * Checks the measured scenarios against docs/architecture.md §6: throughput through the gateway pair at least
 * 0.6× the bare chain and 0.33× direct, at least 1,500 exchanges/s with p99 ≤ 50 ms, each gateway
 * at most 200 MB resident, and no errors anywhere (a run with errors is not a result).
 */
export function summarizeBench(scenarios: readonly ScenarioResult[]): BenchSummary {
  const find = (name: ScenarioResult['name']) => {
    const scenario = scenarios.find((s) => s.name === name);
    if (!scenario) throw new TypeError(`scenario ${name} was not measured`);
    return scenario;
  };
  const gateway = find('gateway');
  const bare = find('bare');
  const direct = find('direct');
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
  const ratios = {
    gatewayToBare: ratio(gateway.load.exchangesPerSecond, bare.load.exchangesPerSecond),
    gatewayToDirect: ratio(gateway.load.exchangesPerSecond, direct.load.exchangesPerSecond),
  };
  const gatewayRss = Object.entries(gateway.peakRss)
    .filter(([name]) => name.includes('gateway'))
    .map(([, bytes]) => bytes ?? Number.POSITIVE_INFINITY);
  const targets = [
    atLeast('gateway ÷ bare chain', ratios.gatewayToBare, 0.6, '×'),
    atLeast('gateway ÷ direct', ratios.gatewayToDirect, 0.33, '×'),
    atLeast('gateway exchanges/s', gateway.load.exchangesPerSecond, 1500, '/s'),
    atMost('gateway p99', gateway.load.latencyMs.p99, 50, 'ms'),
    atMost('peak RSS of a gateway', Math.max(0, ...gatewayRss) / MB, 200, 'MB'),
    atMost(
      'errors in any scenario',
      scenarios.reduce((sum, s) => sum + s.load.errors, 0),
      0,
      '',
    ),
  ];
  return { scenarios, ratios, targets, pass: targets.every((t) => t.pass) };
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

/** The human-readable result: one row per scenario, the ratios, and each target with pass/miss. */
export function formatBenchSummary(summary: BenchSummary): string {
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
    summary.scenarios.map((s) => [
      `${s.name} (${s.description})`,
      number(s.load.exchangesPerSecond),
      number(s.load.latencyMs.p50, 1),
      number(s.load.latencyMs.p99, 1),
      String(s.load.requests),
      String(s.load.errors),
      rssText(s.peakRss),
      Object.entries(s.cpuPercent)
        .map(([name, percent]) => {
          if (percent === undefined) return `${name} ?`;
          const perExchange = cpuMsPerExchange(percent, s.load.exchangesPerSecond);
          return `${name} ${percent.toFixed(0)} (${perExchange === undefined ? '?' : perExchange.toFixed(2)})`;
        })
        .join(', '),
    ]),
  );
  const targets = table(
    ['target (docs/architecture.md §6)', 'measured', 'limit', 'result'],
    summary.targets.map((t) => [
      t.target,
      `${number(t.measured, t.unit === '×' ? 2 : 0)}${t.unit === '×' ? '×' : ` ${t.unit}`}`.trim(),
      `${t.unit === 'ms' || t.unit === 'MB' || t.unit === '' ? '≤' : '≥'} ${t.limit}${t.unit === '×' ? '×' : ` ${t.unit}`}`.trim(),
      t.pass ? 'pass' : 'MISS',
    ]),
  );
  return `${scenarios}\n\n${targets}\n`;
}
