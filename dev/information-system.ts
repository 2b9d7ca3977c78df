import { readFile } from 'node:fs/promises';
import { Agent, request } from 'undici';
import type { FederationEndpoints } from './federation-runtime.ts';

export interface GatewayAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** The parsed JSON body, when it is JSON. */
  readonly json: unknown;
}

/**
 * An agency information system as the demo, tests and benchmark drive it: it calls its own
 * gateway's client API over mutual TLS with its client certificate, X-Road REST style.
 *
 * @example
 * const permits = await connectInformationSystem(endpoints, 'DEMO/GOV/munich/parking-permits');
 * const answer = await permits.call('GET', '/r1/DEMO/GOV/residents-office/register/address-v1', { ... });
 */
export async function connectInformationSystem(endpoints: FederationEndpoints, clientId: string) {
  const client = endpoints.clients.find((c) => c.id === clientId);
  if (!client) throw new TypeError(`no information system ${clientId} in the federation`);
  const [cert, key, ca] = await Promise.all(
    [client.cert, client.key, client.ca].map((f) => readFile(f, 'utf8')),
  );
  const dispatcher = new Agent({ connect: { cert, key, ca }, connections: 128, keepAliveTimeout: 30_000 });
  return {
    client: clientId,
    gateway: client.gateway,
    tls: { cert: cert!, key: key!, ca: ca! },
    /** Sends one request to the gateway; `X-Road-Client` is set to this information system. */
    async call(
      method: string,
      path: string,
      options: { headers?: Record<string, string>; body?: string } = {},
    ): Promise<GatewayAnswer> {
      const response = await request(`${client.gateway}${path}`, {
        method: method as 'GET',
        headers: { 'x-road-client': clientId, ...options.headers },
        body: options.body,
        dispatcher,
      });
      const body = await response.body.text();
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      return { status: response.statusCode, headers: response.headers, body, json };
    },
    close: () => dispatcher.close(),
  };
}

export type InformationSystem = Awaited<ReturnType<typeof connectInformationSystem>>;
