import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { answerParserRefusal } from '../errors/index.ts';
import type { Logger } from '../logger.ts';

/**
 * What "can serve" means for one service, by name: each check resolves to whether that part is
 * ready (directory fresh, database reachable, keys loaded, log writable). A check that throws counts
 * as failing.
 */
export type ReadinessChecks = Readonly<Record<string, () => boolean | Promise<boolean>>>;

/** The outcome of all readiness checks: `failing` names each check that did not pass. */
export interface Readiness {
  readonly ready: boolean;
  readonly failing: readonly string[];
}

/** Runs every readiness check at once; a check that throws or hangs past `timeoutMs` fails. */
export async function checkReadiness(checks: ReadinessChecks, timeoutMs = 2_000): Promise<Readiness> {
  const names = Object.keys(checks);
  const results = await Promise.all(
    names.map(async (name) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        return await Promise.race([Promise.resolve().then(checks[name]!), timeout]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const failing = names.filter((_, i) => results[i] !== true);
  return { ready: failing.length === 0, failing };
}

export interface OpsAppOptions {
  readonly metrics: Registry;
  readonly checks: ReadinessChecks;
}

/**
 * The operations app every long-running service serves on its own plain-HTTP listener:
 * `GET /healthz` (the process is up and answers), `GET /readyz` (200 when every readiness check
 * passes, else 503 with the failing checks) and `GET /metrics` (Prometheus text format).
 *
 * @example
 * const app = createOpsApp({ metrics, checks: { database: () => isDatabaseReachable(db) } });
 */
export function createOpsApp(options: OpsAppOptions): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const { ready, failing } = await checkReadiness(options.checks);
    return c.json({ status: ready ? 'ready' : 'not ready', failing }, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    const body = await options.metrics.metrics();
    return c.body(body, 200, { 'Content-Type': options.metrics.contentType });
  });
  app.notFound((c) => c.json({ status: 'not found' }, 404));
  app.onError((_error, c) => c.json({ status: 'failed' }, 500));
  return app;
}

/** Where a service's operations listener is bound. */
export interface OpsListenerSettings {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface RunningOpsListener {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves the operations app on plain HTTP, meant for a loopback or cluster-internal address: it
 * carries no personal data and no key, only health, readiness and metrics.
 *
 * @example
 * const ops = await startOpsListener({ host: '127.0.0.1', port: 9464 }, { metrics, checks }, log);
 */
export async function startOpsListener(
  settings: OpsListenerSettings,
  options: OpsAppOptions,
  log: Logger,
): Promise<RunningOpsListener> {
  const listener = getRequestListener(createOpsApp(options).fetch);
  // Load balancers' health checks (HAProxy's `option httpchk`) speak HTTP/1.0 without a Host header,
  // which the request listener would refuse: the listener names itself.
  const server: Server = createServer((request, response) => {
    request.headers.host ??= `${settings.host}:${settings.port}`;
    return listener(request, response);
  });
  server.on('clientError', answerParserRefusal(log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  log.info({ host: settings.host, port }, 'operations listener (healthz, readyz, metrics)');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
