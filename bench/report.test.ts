import { describe, expect, it } from 'vitest';
import type { LoadResult } from './load.ts';
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
): ScenarioResult => ({
  name,
  description: name,
  load: result,
  peakRss,
  cpuPercent: { 'load generator': 20 },
});

describe('the benchmark summary', () => {
  it('passes a run that meets every performance target', () => {
    const summary = summarizeBench([
      scenario('direct', load(4000, 10)),
      scenario('bare', load(2500, 20)),
      scenario('gateway', load(1600, 40), { 'consumer gateway': 150 * MB, 'provider gateway': 180 * MB }),
    ]);
    expect(summary.ratios.gatewayToBare).toBeCloseTo(0.64);
    expect(summary.ratios.gatewayToDirect).toBeCloseTo(0.4);
    expect(summary.targets.every((t) => t.pass)).toBe(true);
    expect(summary.pass).toBe(true);
    expect(formatBenchSummary(summary)).not.toContain('MISS');
  });

  it('marks each missed target, judging memory by the gateways only', () => {
    const summary = summarizeBench([
      scenario('direct', load(4000, 10)),
      scenario('bare', load(2000, 20)),
      scenario('gateway', load(1000, 80), {
        'consumer gateway': 150 * MB,
        'provider gateway': 210 * MB,
        adapter: 900 * MB,
      }),
    ]);
    const missed = summary.targets.filter((t) => !t.pass).map((t) => t.target);
    expect(missed).toEqual([
      'gateway ÷ bare chain',
      'gateway ÷ direct',
      'gateway exchanges/s',
      'gateway p99',
      'peak RSS of a gateway',
    ]);
    expect(summary.targets.find((t) => t.target === 'peak RSS of a gateway')?.measured).toBeCloseTo(210);
    const text = formatBenchSummary(summary);
    expect(text).toMatch(/gateway p99\s+80 ms\s+≤ 50 ms\s+MISS/);
    expect(text).toMatch(/gateway ÷ bare chain\s+0\.50×\s+≥ 0\.6×\s+MISS/);
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
