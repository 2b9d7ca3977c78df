import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLoad } from './load.ts';

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
