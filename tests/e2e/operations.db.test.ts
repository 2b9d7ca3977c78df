import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInformationSystem, type InformationSystem } from '../../dev/information-system.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { promtoolAvailable, promtoolCheck, sampleValue } from '../support/metrics-text.ts';

const ADDRESS_SERVICE = 'DEMO/GOV/residents-office/register/address-v1';
const CONSUMER = 'DEMO/GOV/munich/gw1';
const PROVIDER = 'DEMO/GOV/residents-office/gw1';
const RESIDENTS = 'DEMO/GOV/residents-office';

const HAS_PROMTOOL = promtoolAvailable();
if (!HAS_PROMTOOL) {
  console.warn(
    '\n*** promtool is not installed: the `promtool check metrics` test is SKIPPED here. ' +
      "Install Debian's `prometheus` package (apt-get install -y --no-install-recommends prometheus); CI installs it. ***\n",
  );
}

/**
 * The operations listeners of a whole federation (docs/operations/monitoring.md): every service
 * answers `/healthz` and `/readyz`, its `/metrics` is valid Prometheus text by `promtool`, and the
 * metrics an operator alerts on move when exchanges happen.
 */
describe('operations listeners: health, readiness and metrics of every service', () => {
  let federation: TestFederation;
  let permits: InformationSystem;
  let token: string;
  let ops: [string, string][];

  const scrape = async (url: string) => {
    const response = await fetch(`${url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return response.text();
  };
  const callAddress = (headers: Record<string, string>) =>
    permits.call('GET', `/r1/${ADDRESS_SERVICE}`, {
      headers: { 'einmal-purpose': 'parking-permit', ...headers },
    });

  beforeAll(async () => {
    federation = await startTestFederation();
    permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    token = await federation.citizenToken('population.address');
    const { registry, eid, portal, gateways, adapters } = federation.endpoints.ops;
    ops = [
      ['registry', registry],
      ['eid', eid],
      ['portal', portal],
      ...Object.entries(gateways).map(([id, url]): [string, string] => [`gateway ${id}`, url]),
      ...Object.entries(adapters).map(([id, url]): [string, string] => [`adapter ${id}`, url]),
    ];
  }, 120_000);
  afterAll(async () => {
    await permits?.close();
    await federation?.close();
  });

  it('answers /healthz and /readyz on every service of the federation', async () => {
    expect(ops.map(([name]) => name)).toEqual(
      expect.arrayContaining(['registry', 'eid', 'portal', `gateway ${CONSUMER}`, `adapter ${RESIDENTS}`]),
    );
    for (const [name, url] of ops) {
      const health = await fetch(`${url}/healthz`);
      expect(health.status, name).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(await ready.json(), name).toEqual({ status: 'ready', failing: [] });
      expect(ready.status, name).toBe(200);
    }
  });

  it('counts exchanges by side, service, outcome and error code, and times them', async () => {
    const consumerBefore = await scrape(federation.endpoints.ops.gateways[CONSUMER]!);
    const providerBefore = await scrape(federation.endpoints.ops.gateways[PROVIDER]!);
    const adapterBefore = await scrape(federation.endpoints.ops.adapters[RESIDENTS]!);

    for (let i = 0; i < 3; i++) {
      const answer = await callAddress({ 'einmal-eid-token': token });
      expect(answer.status, answer.body).toBe(200);
    }
    // Without the citizen's eID token the residents' office refuses; both logs name the code.
    const messageId = randomUUID();
    const refused = await callAddress({ 'x-road-id': messageId });
    expect(refused.status).toBe(403);
    const record = await federation
      .gatewayDb(CONSUMER)
      .selectFrom('audit_record')
      .select('error_code')
      .where('message_id', '=', messageId)
      .executeTakeFirstOrThrow();
    const refusalCode = record.error_code;

    const consumer = await scrape(federation.endpoints.ops.gateways[CONSUMER]!);
    const provider = await scrape(federation.endpoints.ops.gateways[PROVIDER]!);
    const adapter = await scrape(federation.endpoints.ops.adapters[RESIDENTS]!);
    const answered = { service: ADDRESS_SERVICE, outcome: 'answered', error_code: 'none' };
    const moved = (after: string, before: string, name: string, labels: Record<string, string>) =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);

    expect(
      moved(consumer, consumerBefore, 'einmal_gateway_exchanges_total', { side: 'consumer', ...answered }),
    ).toBe(3);
    expect(
      moved(provider, providerBefore, 'einmal_gateway_exchanges_total', { side: 'provider', ...answered }),
    ).toBe(3);
    expect(refusalCode).toBeDefined();
    expect(
      moved(consumer, consumerBefore, 'einmal_gateway_exchanges_total', {
        side: 'consumer',
        service: ADDRESS_SERVICE,
        outcome: 'refused',
        error_code: refusalCode!,
      }),
    ).toBe(1);
    expect(
      moved(consumer, consumerBefore, 'einmal_gateway_exchange_duration_seconds_count', { side: 'consumer' }),
    ).toBe(4);
    // The refusal is the provider's: it counts there too, under the same code.
    expect(
      moved(provider, providerBefore, 'einmal_gateway_exchanges_total', {
        side: 'provider',
        service: ADDRESS_SERVICE,
        outcome: 'refused',
        error_code: refusalCode!,
      }),
    ).toBe(1);
    expect(
      moved(provider, providerBefore, 'einmal_gateway_exchange_duration_seconds_count', { side: 'provider' }),
    ).toBe(4);
    // Every record went through a commit: the batch sizes add up to the records written.
    expect(moved(consumer, consumerBefore, 'einmal_audit_batch_size_sum', {})).toBe(4);
    expect(moved(consumer, consumerBefore, 'einmal_audit_commit_duration_seconds_count', {})).toBeGreaterThan(
      0,
    );
    expect(sampleValue(consumer, 'einmal_audit_queue_depth')).toBe(0);
    expect(sampleValue(provider, 'einmal_replay_guard_message_ids')).toBeGreaterThanOrEqual(3);
    expect(
      moved(adapter, adapterBefore, 'einmal_adapter_answers_total', { service: 'address-v1', status: '200' }),
    ).toBe(3);
  });

  it('shows the directory, certificates, database pool and witnessed log an operator alerts on', async () => {
    // The checkpointer runs every 2 s; give the witness a round to cosign the records above.
    let gateway = '';
    for (let i = 0; i < 20; i++) {
      gateway = await scrape(federation.endpoints.ops.gateways[CONSUMER]!);
      if (/^einmal_audit_witnessed_checkpoint_age_seconds /m.test(gateway)) break;
      await sleep(500);
    }
    expect(sampleValue(gateway, 'einmal_audit_witnessed_checkpoint_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(gateway, 'einmal_audit_witnessed_checkpoint_age_seconds')).toBeLessThan(60);
    expect(sampleValue(gateway, 'einmal_audit_log_size')).toBeGreaterThan(0);
    const age = sampleValue(gateway, 'einmal_directory_age_seconds');
    expect(age).toBeGreaterThanOrEqual(0);
    expect(sampleValue(gateway, 'einmal_directory_expiry_seconds')).toBeGreaterThan(0);
    for (const certificate of ['tls', 'signing']) {
      // `dev init` certificates are valid for a year or more.
      expect(sampleValue(gateway, 'einmal_certificate_expiry_seconds', { certificate })).toBeGreaterThan(
        300 * 86_400,
      );
    }
    expect(sampleValue(gateway, 'einmal_database_connections_max')).toBeGreaterThan(0);
    expect(gateway).toMatch(/^einmal_database_connections\{state="idle"\} \d+/m);

    const registry = await scrape(federation.endpoints.ops.registry);
    expect(sampleValue(registry, 'einmal_registry_directory_version')).toBeGreaterThan(0);
    expect(sampleValue(registry, 'einmal_directory_expiry_seconds')).toBeGreaterThan(0);
    expect(
      sampleValue(registry, 'einmal_certificate_expiry_seconds', { certificate: 'directory' }),
    ).toBeGreaterThan(0);
    expect(
      sampleValue(registry, 'einmal_registry_http_requests_total', { listener: 'public', status: '200' }),
    ).toBeGreaterThan(0);
    const portal = await scrape(federation.endpoints.ops.portal);
    expect(sampleValue(portal, 'einmal_directory_expiry_seconds')).toBeGreaterThan(0);
  });

  it('serves every metric docs/operations/monitoring.md names', async () => {
    const page = await readFile(new URL('../../docs/operations/monitoring.md', import.meta.url), 'utf8');
    const documented = new Set(page.match(/\beinmal_[a-z_]+[a-z]/g));
    expect(documented.size).toBeGreaterThan(15);
    const served = new Set<string>();
    for (const [, url] of ops) {
      for (const [, name] of (await scrape(url)).matchAll(/^# TYPE (\S+) /gm)) served.add(name!);
    }
    expect([...documented].filter((name) => !served.has(name))).toEqual([]);
  });

  it.skipIf(!HAS_PROMTOOL)('serves metrics every service passes `promtool check metrics` with', async () => {
    for (const [name, url] of ops) {
      const { code, output } = await promtoolCheck(await scrape(url));
      expect(output, name).toBe('');
      expect(code, name).toBe(0);
    }
  });
});
