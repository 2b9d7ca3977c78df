import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FREE_PORT_RANGE, findFreePorts } from './free-ports.ts';

const listen = (port: number) =>
  new Promise<import('node:net').Server>((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done(server));
  });

describe('findFreePorts', () => {
  it('gives distinct ports outside the kernel’s ephemeral range that a service can then bind', async () => {
    const ports = await findFreePorts(20);
    expect(new Set(ports).size).toBe(20);
    const { first, size } = FREE_PORT_RANGE;
    for (const port of ports) expect(port).toBeGreaterThanOrEqual(first);
    for (const port of ports) expect(port).toBeLessThan(first + size);
    // Here the kernel's range starts above 21000: the ports lie below it.
    const [low] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'))
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low! >= 21000) expect(first + size).toBe(low);
    const servers = await Promise.all(ports.map(listen));
    await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  });

  it('passes over ports something already listens on', async () => {
    const [last] = await findFreePorts(1);
    const held = await Promise.all([last! + 1, last! + 2].map(listen));
    try {
      const [next] = await findFreePorts(1);
      expect([last! + 1, last! + 2]).not.toContain(next);
      await new Promise((done) => listen(next!).then((s) => s.close(done)));
    } finally {
      await Promise.all(held.map((s) => new Promise((done) => s.close(done))));
    }
  });
});
