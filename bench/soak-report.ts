import type { DatabaseWindow } from './database-activity.ts';

/** What one soak window measured for one gateway process. */
export interface ProcessWindow {
  readonly rssBytes: number | undefined;
  /**
   * The fewest open file descriptors sampled during the window. Connections opened for a burst of
   * load close again when it passes; a leaked descriptor never does, so a leak raises this floor.
   */
  readonly openFiles: number | undefined;
  /** The most open file descriptors sampled during the window (follows the load's bursts). */
  readonly openFilesMost?: number | undefined;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

/** One window of the soak: the load's latency and errors, and each gateway's state at its end. */
export interface SoakWindow {
  /** Seconds since the soak's load started, at the end of the window. */
  readonly atSeconds: number;
  readonly exchangesPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly processes: Record<string, ProcessWindow>;
  /** What the database server did in the window (a soak's report only: the verdict does not judge it). */
  readonly database?: DatabaseWindow;
}

/** One flatness check: a metric early in the soak against late, and whether it stayed flat. */
export interface FlatnessCheck {
  readonly metric: string;
  readonly early: number;
  readonly late: number;
  readonly allowed: number;
  readonly flat: boolean;
}

export interface SoakVerdict {
  readonly flat: boolean;
  readonly checks: readonly FlatnessCheck[];
}

const MB = 1024 * 1024;

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!;
};

/**
 * Whether the soak stayed flat: the windows after the first tenth (start-up, JIT, pools filling)
 * are split in thirds, and the median of the last third is compared with the first third's.
 * Allowed: resident memory +10% (at least +10 MB), open descriptors (each window's fewest) +10% (at
 * least +10), event-loop
 * p99 and exchange p99 twice the early value (at least +20 ms), and no errors at all. A leak or a
 * growing queue shows as a late third above the early one; noise of a shared machine mostly does not.
 */
export function judgeSoak(windows: readonly SoakWindow[]): SoakVerdict {
  const settled = windows.slice(Math.max(1, Math.floor(windows.length / 10)));
  const third = Math.max(1, Math.floor(settled.length / 3));
  const early = settled.slice(0, third);
  const late = settled.slice(-third);
  const checks: FlatnessCheck[] = [];
  const check = (
    metric: string,
    value: (w: SoakWindow) => number | undefined,
    allowance: (early: number) => number,
  ) => {
    const earlyValues = early.map(value);
    const lateValues = late.map(value);
    if ([...earlyValues, ...lateValues].some((v) => v === undefined)) {
      checks.push({ metric, early: Number.NaN, late: Number.NaN, allowed: Number.NaN, flat: false });
      return;
    }
    const e = median(earlyValues as number[]);
    const l = median(lateValues as number[]);
    const allowed = e + allowance(e);
    checks.push({ metric, early: e, late: l, allowed, flat: l <= allowed });
  };
  check(
    'exchange p99 ms',
    (w) => w.p99Ms,
    (e) => Math.max(e, 20),
  );
  for (const name of Object.keys(windows[0]?.processes ?? {})) {
    const of = (w: SoakWindow) => w.processes[name];
    check(
      `${name} RSS MB`,
      (w) => (of(w)?.rssBytes === undefined ? undefined : of(w)!.rssBytes! / MB),
      (e) => Math.max(e * 0.1, 10),
    );
    check(
      `${name} open files (fewest)`,
      (w) => of(w)?.openFiles,
      (e) => Math.max(e * 0.1, 10),
    );
    check(
      `${name} event-loop p99 ms`,
      (w) => of(w)?.loopDelayP99Ms,
      (e) => Math.max(e, 20),
    );
  }
  const errors = windows.reduce((sum, w) => sum + w.errors, 0);
  checks.push({ metric: 'errors', early: 0, late: errors, allowed: 0, flat: errors === 0 });
  return { flat: windows.length >= 3 && checks.every((c) => c.flat), checks };
}

const pad = (cells: readonly string[], widths: readonly number[]) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [
    pad(header, widths),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((r) => pad(r, widths)),
  ].join('\n');
}

/** One line per window (time, rate, latency, errors, each gateway's RSS/fds/loop delay) and the verdict. */
export function formatSoak(windows: readonly SoakWindow[], verdict: SoakVerdict): string {
  const names = Object.keys(windows[0]?.processes ?? {});
  const over = table(
    [
      'min',
      'exchanges/s',
      'p50 ms',
      'p99 ms',
      'errors',
      ...names.map((n) => `${n}: RSS MB, fds, loop p99/max ms`),
      'database: MB, WAL kB/exch, page images/exch, checkpoints, autovacuums',
    ],
    windows.map((w) => [
      (w.atSeconds / 60).toFixed(1),
      w.exchangesPerSecond.toFixed(0),
      w.p50Ms.toFixed(1),
      w.p99Ms.toFixed(1),
      String(w.errors),
      ...names.map((n) => {
        const p = w.processes[n]!;
        const rss = p.rssBytes === undefined ? '?' : (p.rssBytes / MB).toFixed(0);
        const most = p.openFilesMost === undefined ? '' : `–${p.openFilesMost}`;
        return `${rss}, ${p.openFiles ?? '?'}${most}, ${p.loopDelayP99Ms.toFixed(1)}/${p.loopDelayMaxMs.toFixed(0)}`;
      }),
      w.database
        ? `${w.database.sizeMB.toFixed(0)}, ${w.database.walKBPerExchange.toFixed(1)}, ${w.database.fullPageImagesPerExchange.toFixed(2)}, ${w.database.checkpoints}, ${w.database.autovacuums}`
        : '',
    ]),
  );
  const checks = table(
    ['flatness (late third vs early third)', 'early', 'late', 'allowed', 'result'],
    verdict.checks.map((c) => [
      c.metric,
      c.early.toFixed(1),
      c.late.toFixed(1),
      `≤ ${c.allowed.toFixed(1)}`,
      c.flat ? 'flat' : 'GREW',
    ]),
  );
  return `${over}\n\n${checks}\n\nverdict: ${verdict.flat ? 'flat' : 'NOT flat'}\n`;
}
