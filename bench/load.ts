import autocannon from 'autocannon';
import { Pool } from 'undici';
import type { TlsCredentials } from './mtls-forwarder.ts';

export interface LoadSettings {
  /** Seconds of load that are measured. */
  readonly durationSeconds: number;
  /** Seconds of load before the measurement (connections, JIT, pools), discarded. */
  readonly warmupSeconds: number;
  readonly connections: number;
  /** Called when the warm-up is over and the measured load starts (to sample CPU over it alone). */
  readonly onMeasuring?: () => void | Promise<void>;
}

export interface LoadTarget {
  /** Full URL of the request every connection repeats. */
  readonly url: string;
  /** Client certificate the load generator presents (the IS's), for https URLs. */
  readonly tls?: TlsCredentials;
  /** Headers of each connection; connection i uses entry i mod length (e.g. one citizen each). */
  readonly headersPerConnection: readonly Record<string, string>[];
  /** Whether a body is the expected answer (an error body must never pass); others count as errors. */
  readonly isExpectedBody: (body: string) => boolean;
}

/** What one measured load run produced. */
export interface LoadResult {
  /** Completed 2xx answers with the expected body per second of measurement. */
  readonly exchangesPerSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
  };
  readonly requests: number;
  /** Non-2xx answers, socket errors, timeouts and unexpected bodies, added up. */
  readonly errors: number;
  readonly errorBreakdown: {
    readonly non2xx: number;
    readonly socketErrors: number;
    readonly timeouts: number;
    readonly mismatches: number;
    readonly statusCodes: Record<string, number>;
  };
  readonly durationSeconds: number;
}

/**
 * Puts closed-loop load on one target with autocannon (mutual TLS via `tlsOptions`): a warm-up
 * run whose numbers are dropped, then the measured run.
 */
export async function runLoad(target: LoadTarget, settings: LoadSettings): Promise<LoadResult> {
  const options = (duration: number) => {
    let connection = 0;
    return {
      url: target.url,
      connections: settings.connections,
      duration,
      timeout: 10,
      ...(target.tls ? { tlsOptions: { ...target.tls } } : {}),
      setupClient(client: { setHeaders(headers: Record<string, string>): void }) {
        const headers = target.headersPerConnection[connection++ % target.headersPerConnection.length]!;
        client.setHeaders({ ...headers });
      },
      verifyBody: target.isExpectedBody,
    };
  };
  if (settings.warmupSeconds > 0) await autocannon(options(settings.warmupSeconds));
  await settings.onMeasuring?.();
  const result = await autocannon(options(settings.durationSeconds));
  // autocannon checks every body, error answers included, and counts timeouts among `errors`.
  const wrongBodies = Math.max(0, result.mismatches - result.non2xx);
  const good = result['2xx'] - wrongBodies;
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count]),
  );
  return {
    exchangesPerSecond: good / result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    requests: result.requests.total,
    errors: result.non2xx + result.errors + wrongBodies,
    errorBreakdown: {
      non2xx: result.non2xx,
      socketErrors: result.errors - result.timeouts,
      timeouts: result.timeouts,
      mismatches: wrongBodies,
      statusCodes,
    },
    durationSeconds: result.duration,
  };
}

export interface FixedRateSettings {
  /** Requests started per second, evenly spaced, whether or not earlier ones have answered. */
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  /** Keep-alive connections the requests share; a request waits for a free one (that wait counts). */
  readonly connections: number;
  /** Called when the warm-up is over and the measured load starts. */
  readonly onMeasuring?: () => void | Promise<void>;
}

/** What a fixed offered load produced; latency counts from when each request was due. */
export interface FixedRateResult extends LoadResult {
  readonly offeredPerSecond: number;
}

const percentileOf = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

/**
 * Open-loop load at a fixed rate: request k is due at start + k / rate and its latency runs from
 * then, so a slow answer never delays (and hides) the requests behind it (no coordinated omission).
 * Each request takes the next entry of `headersPerConnection` in turn. (autocannon's own rate option
 * sends each connection's quota for a second in a burst at the start of the second, which measures
 * bursts, not a steady load.)
 */
export async function runFixedRate(
  target: LoadTarget,
  settings: FixedRateSettings,
): Promise<FixedRateResult> {
  const client = fixedRateClient(target, settings.connections);
  try {
    if (settings.warmupSeconds > 0) await client.run(settings.ratePerSecond, settings.warmupSeconds);
    await settings.onMeasuring?.();
    return await client.run(settings.ratePerSecond, settings.durationSeconds);
  } finally {
    await client.close();
  }
}

/** Fixed-rate load over one set of keep-alive connections, phase after phase (a soak's windows). */
export interface FixedRateClient {
  /**
   * One phase. `headersPerConnection` replaces the target's for this phase and later ones (fresh
   * credentials for a long run: eID tokens expire).
   */
  run(
    ratePerSecond: number,
    seconds: number,
    headersPerConnection?: LoadTarget['headersPerConnection'],
  ): Promise<FixedRateResult>;
  close(): Promise<void>;
}

export function fixedRateClient(target: LoadTarget, connections: number): FixedRateClient {
  const url = new URL(target.url);
  const pool = new Pool(url.origin, {
    connections,
    keepAliveTimeout: 30_000,
    ...(target.tls ? { connect: { ...target.tls } } : {}),
  });
  let current = target;
  return {
    run: (ratePerSecond, seconds, headersPerConnection) => {
      if (headersPerConnection) current = { ...current, headersPerConnection };
      return fixedRatePhase(pool, url, current, ratePerSecond, seconds);
    },
    close: () => pool.close(),
  };
}

async function fixedRatePhase(
  pool: Pool,
  url: URL,
  target: LoadTarget,
  ratePerSecond: number,
  seconds: number,
): Promise<FixedRateResult> {
  const total = Math.max(1, Math.round(ratePerSecond * seconds));
  const intervalMs = 1000 / ratePerSecond;
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let non2xx = 0;
  let socketErrors = 0;
  let timeouts = 0;
  let mismatches = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (k: number, dueAt: number) => {
    const headers = target.headersPerConnection[k % target.headersPerConnection.length]!;
    const exchange = (async () => {
      try {
        const response = await pool.request({
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          headers,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        const body = await response.body.text();
        const took = performance.now() - dueAt;
        statusCodes[response.statusCode] = (statusCodes[response.statusCode] ?? 0) + 1;
        if (response.statusCode < 200 || response.statusCode > 299) non2xx++;
        else if (!target.isExpectedBody(body)) mismatches++;
        else latencies.push(took);
      } catch (error) {
        if ((error as { code?: string }).code?.includes('TIMEOUT')) timeouts++;
        else socketErrors++;
      }
    })();
    inFlight.add(exchange);
    void exchange.finally(() => inFlight.delete(exchange));
  };
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    // Every request that is due by now goes out, at its due time's place in the schedule.
    while (sent < total && start + sent * intervalMs <= now) {
      send(sent, start + sent * intervalMs);
      sent++;
    }
    const next = start + sent * intervalMs - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(next, 5))));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const errors = non2xx + socketErrors + timeouts + mismatches;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    offeredPerSecond: ratePerSecond,
    exchangesPerSecond: latencies.length / elapsed,
    latencyMs: {
      p50: round(percentileOf(latencies, 0.5)),
      p90: round(percentileOf(latencies, 0.9)),
      p99: round(percentileOf(latencies, 0.99)),
      max: round(latencies.at(-1) ?? 0),
    },
    requests: total,
    errors,
    errorBreakdown: { non2xx, socketErrors, timeouts, mismatches, statusCodes },
    durationSeconds: elapsed,
  };
}
