import { describe, expect, it } from 'vitest';
import { formatSoak, judgeSoak, type SoakWindow } from './soak-report.ts';

const MB = 1024 * 1024;

/** Windows of a soak whose consumer gateway's memory and p99 follow the given curves. */
function soak(
  count: number,
  rssMb: (i: number) => number,
  p99: (i: number) => number,
  errors = 0,
): SoakWindow[] {
  return Array.from({ length: count }, (_, i) => ({
    atSeconds: (i + 1) * 60,
    exchangesPerSecond: 200,
    p50Ms: 10,
    p99Ms: p99(i),
    errors: i === count - 1 ? errors : 0,
    processes: {
      'consumer gateway': { rssBytes: rssMb(i) * MB, openFiles: 40, loopDelayP99Ms: 12, loopDelayMaxMs: 30 },
    },
  }));
}

describe('the soak verdict', () => {
  it('judges descriptors by the fewest of each window: bursts of connections pass, a leak raises the floor', () => {
    const withDescriptors = (fewest: (i: number) => number, most: (i: number) => number) =>
      soak(
        30,
        () => 120,
        () => 20,
      ).map((w, i) => ({
        ...w,
        processes: {
          'consumer gateway': {
            ...w.processes['consumer gateway']!,
            openFiles: fewest(i),
            openFilesMost: most(i),
          },
        },
      }));
    const check = (windows: SoakWindow[]) =>
      judgeSoak(windows).checks.find((c) => c.metric === 'consumer gateway open files (fewest)')!;
    // Late bursts open twice the connections, which close again: flat.
    const bursts = withDescriptors(
      (i) => 80 + (i % 5),
      (i) => (i > 20 ? 160 : 110),
    );
    expect(check(bursts).flat).toBe(true);
    expect(judgeSoak(bursts).flat).toBe(true);
    // Two descriptors leaked per window: the floor climbs from 80 to 140.
    const leak = withDescriptors(
      (i) => 80 + 2 * i,
      (i) => 120 + 2 * i,
    );
    expect(check(leak).flat).toBe(false);
    expect(judgeSoak(leak).flat).toBe(false);
    expect(formatSoak(leak, judgeSoak(leak))).toContain('138–178');
  });

  it('calls a soak flat when memory and latency only wobble after start-up', () => {
    // Memory climbs while the first windows warm up, then wobbles by a few MB.
    const verdict = judgeSoak(
      soak(
        30,
        (i) => (i < 2 ? 60 + i * 30 : 120 + (i % 3)),
        (i) => 20 + (i % 4),
      ),
    );
    expect(verdict.flat).toBe(true);
    expect(
      formatSoak(
        soak(
          3,
          () => 100,
          () => 20,
        ),
        verdict,
      ),
    ).toContain('verdict: flat');
  });

  it('finds a leak: memory that keeps growing', () => {
    const verdict = judgeSoak(
      soak(
        30,
        (i) => 100 + i * 3,
        () => 20,
      ),
    );
    expect(verdict.flat).toBe(false);
    const rss = verdict.checks.find((c) => c.metric === 'consumer gateway RSS MB')!;
    expect(rss.flat).toBe(false);
    expect(rss.late).toBeGreaterThan(rss.early + 40);
    expect(
      formatSoak(
        soak(
          30,
          (i) => 100 + i * 3,
          () => 20,
        ),
        verdict,
      ),
    ).toMatch(/consumer gateway RSS MB\s+.*GREW/);
  });

  it('finds a growing queue: p99 that keeps rising', () => {
    const verdict = judgeSoak(
      soak(
        30,
        () => 100,
        (i) => 20 + i * 5,
      ),
    );
    expect(verdict.checks.find((c) => c.metric === 'exchange p99 ms')?.flat).toBe(false);
    expect(verdict.flat).toBe(false);
  });

  it('fails a soak with any error, and one whose memory could not be read', () => {
    expect(
      judgeSoak(
        soak(
          30,
          () => 100,
          () => 20,
          1,
        ),
      ).flat,
    ).toBe(false);
    const unreadable = soak(
      30,
      () => 100,
      () => 20,
    ).map((w) => ({
      ...w,
      processes: { 'consumer gateway': { ...w.processes['consumer gateway']!, rssBytes: undefined } },
    }));
    expect(judgeSoak(unreadable).flat).toBe(false);
  });
});
