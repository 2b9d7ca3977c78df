import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedRateClient, runFixedRate, runLoad } from './load.ts';

/** A server that answers every fourth request with 503, and says which citizen a connection asked about. */
describe('load runner', () => {
  let server: Server;
  let url: string;
  let count = 0;
  const citizens = new Set<string>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      citizens.add(String(req.headers['einmal-subject']));
      if (++count % 4 === 0) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"type":"Server.ServerProxy.AuditUnavailable"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/wrong' ? '{"other":1}' : '{"subject":"DE1","address":{}}');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('counts error answers and gives each connection its own headers', async () => {
    const result = await runLoad(
      {
        url: `${url}/address-v1`,
        headersPerConnection: [{ 'einmal-subject': 'A' }, { 'einmal-subject': 'B' }],
        isExpectedBody: (body) => body.includes('"address"'),
      },
      { durationSeconds: 1, warmupSeconds: 0, connections: 4 },
    );
    expect(result.requests).toBeGreaterThan(20);
    expect(result.errorBreakdown.non2xx).toBeGreaterThan(0);
    expect(result.errorBreakdown.statusCodes['503']).toBe(result.errorBreakdown.non2xx);
    expect(result.errors).toBe(result.errorBreakdown.non2xx);
    // Only the good answers count as exchanges.
    expect(result.exchangesPerSecond * result.durationSeconds).toBeCloseTo(
      result.requests - result.errors,
      -1,
    );
    expect([...citizens].sort()).toEqual(['A', 'B']);
  });

  it('counts a 2xx answer with an unexpected body as an error', async () => {
    const result = await runLoad(
      {
        url: `${url}/wrong`,
        headersPerConnection: [{}],
        isExpectedBody: (body) => body.includes('"address"'),
      },
      { durationSeconds: 1, warmupSeconds: 0, connections: 2 },
    );
    expect(result.errorBreakdown.mismatches).toBeGreaterThan(0);
    expect(result.exchangesPerSecond).toBe(0);
    expect(result.errors).toBe(result.requests);
  });
});

/** A server that takes `delayMs` per answer and serves one request at a time per connection. */
describe('fixed-rate load', () => {
  let server: Server;
  let url: string;
  const arrivals: number[] = [];
  const tokens: string[] = [];
  let delayMs = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      arrivals.push(performance.now());
      tokens.push(String(req.headers['einmal-eid-token']));
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(req.url === '/wrong' ? '{"other":1}' : '{"subject":"DE1","address":{}}');
      }, delayMs);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const target = (path = '/address/v1') => ({
    url: `${url}${path}`,
    headersPerConnection: [{}],
    isExpectedBody: (body: string) => body.includes('"address"'),
  });

  it('spreads the requests evenly over the second rather than in bursts', async () => {
    arrivals.length = 0;
    delayMs = 0;
    const result = await runFixedRate(target(), {
      ratePerSecond: 200,
      durationSeconds: 1,
      warmupSeconds: 0,
      connections: 8,
    });
    expect(result.requests).toBe(200);
    expect(result.errors).toBe(0);
    expect(result.offeredPerSecond).toBe(200);
    const first = arrivals[0]!;
    // Half the requests arrive in the first half of the second, not all at its start.
    const firstHalf = arrivals.filter((t) => t - first < 500).length;
    expect(firstHalf).toBeGreaterThan(80);
    expect(firstHalf).toBeLessThan(130);
  });

  it('counts the time a request waited behind slow ones (no coordinated omission)', async () => {
    delayMs = 50;
    // One connection answering every 50 ms cannot keep up with 40/s: the queue grows.
    const result = await runFixedRate(target(), {
      ratePerSecond: 40,
      durationSeconds: 1,
      warmupSeconds: 0,
      connections: 1,
    });
    expect(result.errors).toBe(0);
    expect(result.latencyMs.p50).toBeGreaterThan(100);
    expect(result.latencyMs.p99).toBeGreaterThan(800);
  });

  it('tells when the warm-up is over and the measured load starts', async () => {
    delayMs = 0;
    arrivals.length = 0;
    let arrivedWhenMeasuring = -1;
    const result = await runFixedRate(target(), {
      ratePerSecond: 20,
      durationSeconds: 0.5,
      warmupSeconds: 0.5,
      connections: 2,
      onMeasuring: () => {
        arrivedWhenMeasuring = arrivals.length;
      },
    });
    expect(arrivedWhenMeasuring).toBe(10);
    expect(result.requests).toBe(10);
    expect(arrivals).toHaveLength(20);
  });

  it('counts an unexpected body as an error', async () => {
    delayMs = 0;
    const result = await runFixedRate(target('/wrong'), {
      ratePerSecond: 20,
      durationSeconds: 1,
      warmupSeconds: 0,
      connections: 2,
    });
    expect(result.errorBreakdown.mismatches).toBe(20);
    expect(result.exchangesPerSecond).toBe(0);
  });

  it('sends renewed credentials from the phase they are given in on (a soak outlives eID tokens)', async () => {
    delayMs = 0;
    tokens.length = 0;
    const client = fixedRateClient(
      { ...target(), headersPerConnection: [{ 'einmal-eid-token': 'first' }] },
      2,
    );
    try {
      await client.run(20, 0.5);
      await client.run(20, 0.5, [{ 'einmal-eid-token': 'renewed' }]);
      await client.run(20, 0.5);
    } finally {
      await client.close();
    }
    expect(tokens).toEqual([...Array(10).fill('first'), ...Array(20).fill('renewed')]);
  });
});
