import autocannon from 'autocannon';
import type { TlsCredentials } from './mtls-forwarder.ts';

export interface LoadSettings {
  /** Seconds of load that are measured. */
  readonly durationSeconds: number;
  /** Seconds of load before the measurement (connections, JIT, pools), discarded. */
  readonly warmupSeconds: number;
  readonly connections: number;
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
