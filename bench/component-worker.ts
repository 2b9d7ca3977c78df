/**
 * Entry of one benchmark component process (a gateway, the adapter, or a bare-chain forwarder), so
 * each gets its own event loop as in a real deployment. The parent sends one `start` message over
 * IPC; this process answers `ready` with its port, and closes and exits on `stop`.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { z } from 'zod';

const tlsSchema = z.object({ cert: z.string(), key: z.string(), ca: z.string() });

/** What the parent asks a component process to run. */
export const componentSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('gateway'), env: z.record(z.string(), z.string()) }),
  z.object({ kind: z.literal('adapter'), databaseUrl: z.string().url(), port: z.int().min(0) }),
  z.object({
    kind: z.literal('forwarder'),
    port: z.int().min(0),
    tls: tlsSchema,
    upstream: z.string().url(),
    upstreamTls: tlsSchema.optional(),
  }),
]);

export type ComponentSpec = z.infer<typeof componentSpecSchema>;

/** Messages between the parent and a component process. */
export const componentMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), spec: componentSpecSchema }),
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('ready'), port: z.int() }),
  z.object({ type: z.literal('failed'), message: z.string() }),
  z.object({ type: z.literal('profile-start') }),
  z.object({ type: z.literal('profile-stop'), file: z.string().min(1) }),
  z.object({ type: z.literal('profiling') }),
  z.object({ type: z.literal('profiled'), file: z.string() }),
  /** Asks for the event-loop delay since the last ask (the histogram then starts over). */
  z.object({ type: z.literal('loop-delay') }),
  z.object({
    type: z.literal('loop-delayed'),
    p50Ms: z.number(),
    p99Ms: z.number(),
    maxMs: z.number(),
  }),
]);

export type ComponentMessage = z.infer<typeof componentMessageSchema>;

/**
 * Each kind loads only its own modules, so a process's memory is that component's alone (loading
 * the whole project into a forwarder would inflate the bare chain's RSS).
 */
async function start(spec: ComponentSpec): Promise<{ port: number; close: () => Promise<void> }> {
  switch (spec.kind) {
    case 'gateway': {
      const { createLogger } = await import('../core/index.ts');
      const { readGatewayConfig, startGateway } = await import('../gateway/index.ts');
      const log = createLogger({ name: 'gateway', level: spec.env.GATEWAY_LOG_LEVEL ?? 'info' });
      const config = readGatewayConfig(spec.env);
      const gateway = await startGateway(config, log.child({ gateway: config.GATEWAY_ID }));
      return { port: gateway.ports.client, close: () => gateway.close() };
    }
    case 'adapter': {
      const { createLogger } = await import('../core/index.ts');
      const { openDatabase } = await import('../core/database/index.ts');
      const { startSampleAdapter } = await import('../adapters/index.ts');
      const log = createLogger({ name: 'adapter', level: 'warn' });
      const database = await openDatabase({ url: spec.databaseUrl, poolSize: 10 });
      const adapter = await startSampleAdapter({
        registries: ['population'],
        db: database.db,
        log,
        port: spec.port,
        // The benchmark's baselines call the adapter directly over plain HTTP, as before.
        plainHttp: 'development-on-loopback',
      });
      return {
        port: adapter.port,
        async close() {
          await adapter.close();
          await database.close();
        },
      };
    }
    case 'forwarder': {
      const { startMtlsForwarder } = await import('./mtls-forwarder.ts');
      return startMtlsForwarder(spec);
    }
  }
}

if (process.send) {
  const send = (message: ComponentMessage) => process.send!(message);
  let running: { port: number; close: () => Promise<void> } | undefined;
  let profiler: Session | undefined;
  // 10 ms resolution, as Node's own documentation suggests; cheap enough to leave on under load.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  process.on('message', async (raw: unknown) => {
    const message = componentMessageSchema.safeParse(raw);
    if (!message.success) return;
    if (message.data.type === 'start') {
      try {
        running = await start(message.data.spec);
        send({ type: 'ready', port: running.port });
      } catch (error) {
        send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      }
    } else if (message.data.type === 'profile-start') {
      // Profiles only the window the parent asks for (the load), not start-up and module loading.
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
      await profiler.post('Profiler.start');
      send({ type: 'profiling' });
    } else if (message.data.type === 'profile-stop' && profiler) {
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      profiler = undefined;
      await writeFile(message.data.file, JSON.stringify(profile));
      send({ type: 'profiled', file: message.data.file });
    } else if (message.data.type === 'loop-delay') {
      const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0);
      send({
        type: 'loop-delayed',
        p50Ms: ms(loopDelay.percentile(50)),
        p99Ms: ms(loopDelay.percentile(99)),
        maxMs: ms(loopDelay.max),
      });
      loopDelay.reset();
    } else if (message.data.type === 'stop') {
      await running?.close().catch(() => {});
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
}
