import { describe, expect, it } from 'vitest';
import type { FixedRateResult, LoadResult } from './load.ts';
import { cpuMsPerExchange, formatBenchSummary, type ScenarioResult, summarizeBench } from './report.ts';

const MB = 1024 * 1024;

const load = (exchangesPerSecond: number, p99: number, errors = 0): LoadResult => ({
  exchangesPerSecond,
  latencyMs: { p50: p99 / 2, p90: p99 * 0.9, p99, max: p99 * 2 },
  requests: exchangesPerSecond * 10 + errors,
  errors,
  errorBreakdown: { non2xx: errors, socketErrors: 0, timeouts: 0, mismatches: 0, statusCodes: {} },
  durationSeconds: 10,
});

const scenario = (
  name: ScenarioResult['name'],
  result: LoadResult,
  peakRss: Record<string, number> = {},
  cpuPercent: Record<string, number | undefined> = { 'load generator': 20 },
): ScenarioResult => ({
  name,
  description: name,
  load: result,
  peakRss,
  cpuPercent,
});

/** A gateway pair at `rate`/s using `percent` of a core on each side. */
const gatewayScenario = (rate: number, p99: number, percent: number, peakRss: Record<string, number>) =>
  scenario('gateway', load(rate, p99), peakRss, {
    'load generator': 20,
    'consumer gateway': percent,
    'provider gateway': percent,
  });

const halfLoad = (offered: number, p99: number, errors = 0) => ({
  load: { ...load(offered, p99, errors), offeredPerSecond: offered } satisfies FixedRateResult,
  cpuPercent: {},
});

describe('the benchmark summary', () => {
  it('passes a run that meets every performance target', () => {
    const summary = summarizeBench(
      [
        scenario('direct', load(4000, 10)),
        scenario('bare', load(2500, 20)),
        scenario('nginx', load(3000, 15)),
        // 160% of a core at 1,600/s: 1 ms per exchange.
        gatewayScenario(1600, 400, 160, { 'consumer gateway': 150 * MB, 'provider gateway': 180 * MB }),
      ],
      { halfLoad: halfLoad(800, 30) },
    );
    expect(summary.ratios.gatewayToBare).toBeCloseTo(0.64);
    expect(summary.ratios.gatewayToDirect).toBeCloseTo(0.4);
    expect(summary.ratios.gatewayToNginx).toBeCloseTo(0.533);
    expect(summary.targets.map((t) => t.target)).toEqual([
      'gateway ÷ bare chain',
      'gateway ÷ direct',
      'gateway ÷ nginx chain',
      'CPU per exchange, consumer gateway',
      'CPU per exchange, provider gateway',
      'gateway p99 at 800/s (half load)',
      'peak RSS of a gateway',
      'errors in any scenario',
    ]);
    expect(summary.targets.every((t) => t.pass)).toBe(true);
    expect(summary.pass).toBe(true);
    expect(formatBenchSummary(summary)).not.toContain('MISS');
  });

  it('marks each missed target, judging memory by the gateways only', () => {
    const summary = summarizeBench(
      [
        scenario('direct', load(4000, 10)),
        scenario('bare', load(2000, 20)),
        scenario('nginx', load(2500, 20)),
        gatewayScenario(1000, 900, 250, {
          'consumer gateway': 150 * MB,
          'provider gateway': 210 * MB,
          adapter: 900 * MB,
        }),
      ],
      { halfLoad: halfLoad(500, 80) },
    );
    const missed = summary.targets.filter((t) => !t.pass).map((t) => t.target);
    expect(missed).toEqual([
      'gateway ÷ bare chain',
      'gateway ÷ direct',
      'gateway ÷ nginx chain',
      'CPU per exchange, consumer gateway',
      'CPU per exchange, provider gateway',
      'gateway p99 at 500/s (half load)',
      'peak RSS of a gateway',
    ]);
    expect(summary.targets.find((t) => t.target === 'peak RSS of a gateway')?.measured).toBeCloseTo(210);
    const text = formatBenchSummary(summary);
    expect(text).toMatch(/gateway p99 at 500\/s \(half load\)\s+80 ms\s+≤ 50 ms\s+MISS/);
    expect(text).toMatch(/CPU per exchange, consumer gateway\s+2\.50 ms\s+≤ 1\.2 ms\s+MISS/);
    expect(text).toMatch(/gateway ÷ bare chain\s+0\.50×\s+≥ 0\.6×\s+MISS/);
    expect(text).toMatch(/gateway at 500\/s offered \(half load\)\s+500\s+40\.0\s+80\.0/);
  });

  it('says when the nginx chain was skipped and judges the rest without it', () => {
    const summary = summarizeBench(
      [
        scenario('direct', load(4000, 10)),
        scenario('bare', load(2500, 20)),
        gatewayScenario(1600, 400, 160, { 'consumer gateway': MB, 'provider gateway': MB }),
      ],
      { nginxSkipped: 'nginx is not installed', halfLoad: halfLoad(800, 30) },
    );
    expect(summary.ratios.gatewayToNginx).toBeUndefined();
    expect(summary.targets.map((t) => t.target)).not.toContain('gateway ÷ nginx chain');
    expect(summary.pass).toBe(true);
    expect(formatBenchSummary(summary)).toContain('nginx chain skipped: nginx is not installed');
  });

  it('counts errors at half load and a gateway whose CPU could not be read as misses', () => {
    const summary = summarizeBench(
      [
        scenario('direct', load(4000, 10)),
        scenario('bare', load(2500, 20)),
        scenario('gateway', load(1600, 400), { 'consumer gateway': MB }, { 'consumer gateway': undefined }),
      ],
      { halfLoad: halfLoad(800, 30, 2) },
    );
    expect(summary.targets.find((t) => t.target === 'errors in any scenario')?.measured).toBe(2);
    expect(summary.targets.find((t) => t.target === 'CPU per exchange, consumer gateway')?.pass).toBe(false);
    expect(summary.pass).toBe(false);
  });

  it('fails a run with errors in any scenario, even a baseline', () => {
    const summary = summarizeBench([
      scenario('direct', load(4000, 10, 3)),
      scenario('bare', load(2500, 20)),
      scenario('gateway', load(2000, 30), { 'consumer gateway': MB, 'provider gateway': MB }),
    ]);
    expect(summary.pass).toBe(false);
    expect(summary.targets.find((t) => t.target === 'errors in any scenario')).toMatchObject({
      measured: 3,
      pass: false,
    });
  });

  it('counts a gateway whose memory could not be read as a miss', () => {
    const summary = summarizeBench([
      scenario('direct', load(4000, 10)),
      scenario('bare', load(2500, 20)),
      { ...scenario('gateway', load(2000, 30)), peakRss: { 'consumer gateway': undefined } },
    ]);
    expect(summary.targets.find((t) => t.target === 'peak RSS of a gateway')?.pass).toBe(false);
  });

  it('refuses to summarize a run that lacks a scenario', () => {
    expect(() => summarizeBench([scenario('gateway', load(1, 1))])).toThrow(TypeError);
  });

  it('derives CPU milliseconds per exchange from a process’s share of a core', () => {
    expect(cpuMsPerExchange(50, 250)).toBeCloseTo(2);
    expect(cpuMsPerExchange(50, 0)).toBeUndefined();
  });
});
