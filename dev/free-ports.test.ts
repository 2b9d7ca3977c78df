import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { findFreePorts } from './free-ports.ts';

const listen = (port: number) =>
  new Promise<import('node:net').Server>((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done(server));
  });

describe('findFreePorts', () => {
  it('gives distinct ports below the kernel’s ephemeral range that a service can then bind', async () => {
    const ports = await findFreePorts(20);
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) expect(port).toBeGreaterThanOrEqual(20000);
    for (const port of ports) expect(port).toBeLessThan(32768);
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
