import { connect } from 'node:net';
import { Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.ts';
import { createMetricsRegistry } from './metrics.ts';
import { checkReadiness, createOpsApp, startOpsListener } from './ops-listener.ts';

describe('the operations listener', () => {
  it('is ready only when every check passes, and names each failing one', async () => {
    const metrics = createMetricsRegistry();
    let databaseUp = true;
    const app = createOpsApp({
      metrics,
      checks: { directory: () => true, database: async () => databaseUp, keys: () => true },
    });
    expect((await app.request('/readyz')).status).toBe(200);
    databaseUp = false;
    const down = await app.request('/readyz');
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'not ready', failing: ['database'] });
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('counts a check that throws or hangs as failing', async () => {
    const readiness = await checkReadiness(
      {
        log: () => {
          throw new Error('disk full');
        },
        database: () => new Promise<boolean>(() => {}),
        directory: () => true,
      },
      50,
    );
    expect(readiness).toEqual({ ready: false, failing: ['log', 'database'] });
  });

  it('serves the service registry in the Prometheus text format over plain HTTP', async () => {
    const metrics = createMetricsRegistry();
    new Counter({ name: 'einmal_test_events_total', help: 'Events.', registers: [metrics] }).inc(2);
    const ops = await startOpsListener({ host: '127.0.0.1', port: 0 }, { metrics, checks: {} }, silentLogger);
    try {
      const response = await fetch(`http://127.0.0.1:${ops.port}/metrics`);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(text).toContain('einmal_test_events_total 2');
      expect(text).toContain('process_resident_memory_bytes');
      // Gauges named like counters fail `promtool check metrics`; they are left out.
      expect(text).not.toContain('nodejs_active_handles_total');
      expect((await fetch(`http://127.0.0.1:${ops.port}/nowhere`)).status).toBe(404);
      // A load balancer's check: HTTP/1.0, no Host header.
      const answer = await rawRequest(ops.port, 'GET /readyz HTTP/1.0\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      await ops.close();
    }
  });
});

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.once('end', () => resolve(answer));
    socket.once('error', reject);
  });
}
