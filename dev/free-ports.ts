import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { EinmalError } from '../core/index.ts';

/**
 * Free TCP ports on loopback for a federation on ports of its own (tests, benchmarks, a second demo).
 *
 * A port found free is closed again before its service binds it, so something else may take it in
 * between. Ports the kernel hands out itself (listening on port 0, the source port of every outgoing
 * connection) come from its ephemeral range; under parallel tests that range churns constantly, and
 * a port taken from it was seen bound by another connection before the service started. These ports
 * come from below that range, where only explicit binds land. Each process walks that range from a
 * starting point of its own, so two processes looking at once do not offer each other the same ports.
 */
export async function findFreePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tried = 0; ports.length < count; tried++) {
    if (tried >= RANGE.size) {
      const last = RANGE.first + RANGE.size - 1;
      throw new EinmalError('Config.Invalid', {
        message: `fewer than ${count} free ports on loopback in ${RANGE.first}–${last}`,
      });
    }
    const port = RANGE.first + (cursor++ % RANGE.size);
    if (await bindable(port)) ports.push(port);
  }
  return ports;
}

/** Ports below the kernel's ephemeral range, above the well-known and registered services people run. */
const RANGE = (() => {
  const first = 20000;
  return { first, size: Math.max(1000, ephemeralStart() - first) };
})();

let cursor = (process.pid * 7919) % RANGE.size;

function ephemeralStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const value = Number(low);
    return Number.isInteger(value) && value > 21000 ? value : 32768;
  } catch {
    return 32768;
  }
}

async function bindable(port: number): Promise<boolean> {
  const server: Server = createServer();
  const bound = await new Promise<boolean>((done) => {
    server.once('error', () => done(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => done(true));
  });
  if (bound) await new Promise((done) => server.close(done));
  return bound;
}
