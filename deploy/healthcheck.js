// The image's HEALTHCHECK: GET /healthz on the service's operations listener, healthy on 200 within
// two seconds. The port is the service's own *_OPS_PORT (adapters: EINMAL_OPS_PORT, the port their
// --ops-port names), else 9100. Plain Node, so the image needs no curl.
import { request } from 'node:http';

const names = ['EINMAL_OPS_PORT', 'GATEWAY_OPS_PORT', 'REGISTRY_OPS_PORT', 'PORTAL_OPS_PORT', 'EID_OPS_PORT'];
const port = Number(names.map((name) => process.env[name]).find(Boolean) ?? 9100);
const probe = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (response) => {
  response.resume();
  process.exit(response.statusCode === 200 ? 0 : 1);
});
probe.on('timeout', () => probe.destroy(new Error('timeout')));
probe.on('error', () => process.exit(1));
probe.end();
