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
 * come from outside that range ({@link FREE_PORT_RANGE}), where only explicit binds land. Each
 * process walks it from a starting point of its own, so two processes looking at once rarely offer
 * each other the same ports (and a port taken since is passed over by the next look).
 */
export async function findFreePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tried = 0; ports.length < count; tried++) {
    if (tried >= FREE_PORT_RANGE.size) {
      const last = FREE_PORT_RANGE.first + FREE_PORT_RANGE.size - 1;
      throw new EinmalError('Config.Invalid', {
        message: `fewer than ${count} free ports on loopback in ${FREE_PORT_RANGE.first}–${last}`,
      });
    }
    const port = FREE_PORT_RANGE.first + (cursor++ % FREE_PORT_RANGE.size);
    if (await bindable(port)) ports.push(port);
  }
  return ports;
}

/**
 * Where the ports come from: below the kernel's ephemeral range from 20000 (above the well-known
 * and registered services people run), or above it where the range starts too low to leave room
 * below (were there no room either side, 20000–32767 all the same). Linux says its range in /proc;
 * elsewhere the IANA dynamic range, 49152–65535, is assumed.
 */
export const FREE_PORT_RANGE = portRange(ephemeralRange());

let cursor = (process.pid * 7919) % FREE_PORT_RANGE.size;

function portRange(ephemeral: { low: number; high: number }): { first: number; size: number } {
  const first = 20000;
  if (ephemeral.low - first >= 1000) return { first, size: ephemeral.low - first };
  if (65535 - ephemeral.high >= 1000) return { first: ephemeral.high + 1, size: 65535 - ephemeral.high };
  // The kernel hands out nearly every port itself: no range is safe, these are as good as any.
  return { first, size: 12768 };
}

function ephemeralRange(): { low: number; high: number } {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return { low: low!, high: high! };
  } catch {}
  return { low: 49152, high: 65535 };
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
