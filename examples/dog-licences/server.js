// Serves the adapter with plain Node, for those who run it under their own process manager instead
// of `einmal adapter serve adapter.json`. Its settings come from the environment.
import { readFileSync } from 'node:fs';
import { createLogger, startAdapter } from 'einmal/adapter-sdk';
import adapter from './adapter.js';

const read = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set: give the path of its PEM file`);
  return readFileSync(process.env[name], 'utf8');
};
const log = createLogger({ name: 'dog-licences' });
const running = await startAdapter(adapter, {
  log,
  port: Number(process.env.ADAPTER_PORT ?? 4430),
  host: process.env.ADAPTER_HOST ?? '127.0.0.1',
  tls: {
    cert: read('ADAPTER_TLS_CERT'),
    key: read('ADAPTER_TLS_KEY'),
    ca: read('ADAPTER_TLS_CA'),
    gatewayCert: read('ADAPTER_GATEWAY_CERT'),
  },
});
log.info({ url: running.url }, 'listening');
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => running.close());
