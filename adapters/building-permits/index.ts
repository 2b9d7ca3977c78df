import { defineAdapter } from '../sdk/index.ts';
import { createPermitsService } from './permits-service.ts';
import { createPermitsApi, type UpstreamSettings } from './upstream-client.ts';

export { permitsResponseSchema } from './permits-service.ts';
export type { UpstreamSettings } from './upstream-client.ts';

/**
 * The building authority's adapter: a sample of the second style, an adapter in front of an existing
 * HTTP/JSON API rather than a database.
 *
 * @example
 * const adapter = createBuildingPermitsAdapter({ baseUrl: 'https://permits.internal/api', token });
 * const running = await startAdapter(adapter, { log, port: 4421, tls });
 */
export function createBuildingPermitsAdapter(settings: UpstreamSettings) {
  return defineAdapter({
    title: 'Building permits (building authority API)',
    services: [createPermitsService(createPermitsApi(settings))],
  });
}
