import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure, verifyBundles } from '../../audit/bundle/bundle-verify.ts';
import type { GatewayLauncher } from '../../dev/federation-runtime.ts';
import { findFreePorts } from '../../dev/free-ports.ts';
import { connectInformationSystem, type InformationSystem } from '../../dev/information-system.ts';
import type { GatewayConfig } from '../../gateway/index.ts';
import { type AddressAnswer, addressCaller, countBy, unrecordedExchanges } from '../support/address-calls.ts';
import { createServerDatabase } from '../support/database.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { type GatewayProcess, spawnGateway } from '../support/gateway-process.ts';
import { haproxyAvailable, type RunningHaproxy, startHaproxy } from '../support/haproxy.ts';
import { waitUntilWitnessed } from '../support/witnessed.ts';

const execFileAsync = promisify(execFile);
const CLI = fileURLToPath(new URL('../../bin/einmal.js', import.meta.url));

const CONSUMER = 'DEMO/GOV/munich/gw1';
const PROVIDER = 'DEMO/GOV/residents-office/gw1';
const NODES = ['node-a', 'node-b'] as const;
type NodeName = (typeof NODES)[number];

const WORKERS = 4;
const LOAD_BEFORE_KILL_MS = 2_500;
const LOAD_AFTER_KILL_MS = 3_000;
/** How long after the kill the balancer may still hand out the dead node's connections. */
const FAILOVER_MS = 1_500;

const HAS_HAPROXY = haproxyAvailable();
if (!HAS_HAPROXY) {
  console.warn(
    '\n*** haproxy is not installed: the two-node scale-out test is SKIPPED here. ' +
      'Install it (apt-get install -y --no-install-recommends haproxy); CI installs it. ***\n',
  );
}

/**
 * Scaling one gateway out (docs/operations/scaling-retention-keys.md): the residents'
 * office runs two nodes of its gateway, processes of their own, each with its own log tree and
 * checkpoints (GATEWAY_NODE_ID), sharing one PostgreSQL database behind HAProxy in TCP mode, which
 * checks each node's `/readyz`. Under load one node is killed with SIGKILL: traffic continues
 * through the other, every acknowledged exchange has its records, both nodes' logs verify offline,
 * and the citizen sees records from both nodes.
 */
describe.skipIf(!HAS_HAPROXY)('two nodes of one gateway behind HAProxy', () => {
  let created: Awaited<ReturnType<typeof createServerDatabase>>;
  let federation: TestFederation;
  let permits: InformationSystem;
  let token: string;
  let workDir: string;
  let haproxy: RunningHaproxy | undefined;
  const nodes = new Map<NodeName, { config: GatewayConfig; process: GatewayProcess }>();
  let providerConfig: GatewayConfig;
  let consumerSchema: string;

  const startNode = async (name: NodeName, config: GatewayConfig) => {
    const process = await spawnGateway({
      config,
      databaseUrl: created.url,
      logFile: join(workDir, `${name}.log`),
    });
    nodes.set(name, { config, process });
    return process;
  };

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'einmal-scale-out-'));
    created = await createServerDatabase(
      process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    );
    const launchGateway: GatewayLauncher = async (config, _log, inThisProcess) => {
      if (config.GATEWAY_ID === CONSUMER) consumerSchema = config.GATEWAY_DB_SCHEMA;
      if (config.GATEWAY_ID !== PROVIDER) return inThisProcess();
      providerConfig = config;
      // The directory names the balancer's addresses (the configured peer and public ports); the
      // nodes listen on ports of their own behind it.
      const free = await findFreePorts(NODES.length * 5);
      for (const [i, name] of NODES.entries()) {
        const [peer, client, admin, publicPort, ops] = free.slice(i * 5, i * 5 + 5);
        await startNode(name, {
          ...config,
          GATEWAY_NODE_ID: name,
          GATEWAY_PEER_PORT: peer!,
          GATEWAY_CLIENT_PORT: client!,
          GATEWAY_ADMIN_PORT: admin,
          GATEWAY_PUBLIC_PORT: publicPort,
          GATEWAY_OPS_PORT: ops,
          GATEWAY_DIRECTORY_CACHE: join(workDir, `${name}-directory.jws`),
        });
      }
      const backends = (port: (c: GatewayConfig) => number | undefined) =>
        NODES.map((name) => {
          const node = nodes.get(name)!.config;
          return { name, port: port(node)!, opsPort: node.GATEWAY_OPS_PORT! };
        });
      haproxy = await startHaproxy(workDir, [
        { name: 'peer', port: config.GATEWAY_PEER_PORT, nodes: backends((c) => c.GATEWAY_PEER_PORT) },
        { name: 'public', port: config.GATEWAY_PUBLIC_PORT!, nodes: backends((c) => c.GATEWAY_PUBLIC_PORT) },
      ]);
      return {
        ports: {
          peer: config.GATEWAY_PEER_PORT,
          client: config.GATEWAY_CLIENT_PORT,
          admin: undefined,
          public: config.GATEWAY_PUBLIC_PORT,
          ops: undefined,
        },
        async close() {
          await haproxy?.stop();
          await Promise.all([...nodes.values()].map((node) => node.process.close()));
        },
      };
    };
    federation = await startTestFederation({ databaseUrl: created.url, launchGateway });
    permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    token = await federation.citizenToken('population.address');
  }, 120_000);
  afterAll(async () => {
    await permits?.close();
    await federation?.close();
    await created?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 60_000);

  const waitUntilWitnessedTree = async (gateway: string, tree: string) =>
    Number((await waitUntilWitnessed(federation.gatewayDb(gateway), tree)).size);

  const exportTree = async (schema: string, tree: string, name: string) => {
    const out = join(workDir, `bundle-${name}`);
    await execFileAsync(
      process.execPath,
      [
        CLI,
        ...['audit', 'export', '--database-url', created.url],
        ...['--schema', schema, '--tree', tree],
        ...['--out', out, '--ca', federation.endpoints.pki.caBundle],
      ],
      { timeout: 60_000 },
    );
    return out;
  };

  it('keeps serving through one node when the other is killed, and both logs verify', async () => {
    const callAddress = addressCaller(permits, token);
    const answers: AddressAnswer[] = [];
    let killAt = Number.POSITIVE_INFINITY;
    const started = performance.now();
    const worker = async () => {
      while (performance.now() - started < LOAD_BEFORE_KILL_MS + LOAD_AFTER_KILL_MS) {
        const answer = await callAddress();
        answers.push(answer);
        if (answer.status !== 200) await sleep(50);
      }
    };
    const kill = async () => {
      await sleep(LOAD_BEFORE_KILL_MS);
      killAt = performance.now();
      await nodes.get('node-a')!.process.kill();
    };
    await Promise.all([kill(), ...Array.from({ length: WORKERS }, worker)]);
    console.info('two nodes, node-a killed', {
      answers: answers.length,
      byStatus: countBy(answers, (a) => `${a.status} ${a.errorType ?? ''}`.trim()),
      balancer: haproxy?.log().trim().split('\n'),
    });

    const acknowledged = answers.filter((a) => a.status === 200);
    for (const answer of acknowledged) expect(answer.city).toBe('München');
    expect(
      acknowledged.filter((a) => a.answeredAt < killAt).length,
      'served before the kill',
    ).toBeGreaterThan(0);
    // Traffic continues: once the balancer has seen the node gone, every call is served.
    const afterFailover = answers.filter((a) => a.sentAt > killAt + FAILOVER_MS);
    expect(afterFailover.length, 'calls after the failover').toBeGreaterThan(0);
    expect(countBy(afterFailover, (a) => String(a.status))).toEqual({ '200': afterFailover.length });

    // Every acknowledged exchange has its records, on the consumer and on one of the two nodes.
    const ids = acknowledged.map((a) => a.messageId);
    expect(
      await unrecordedExchanges(ids, federation.gatewayDb(CONSUMER), federation.gatewayDb(PROVIDER)),
      'acknowledged but not recorded on both sides',
    ).toEqual([]);
    const byTree = await federation
      .gatewayDb(PROVIDER)
      .selectFrom('audit_record')
      .select(['tree', (eb) => eb.fn.countAll<number>().as('records')])
      .where('message_id', 'in', ids)
      .groupBy('tree')
      .execute();
    const recordsOn = Object.fromEntries(byTree.map((row) => [row.tree, Number(row.records)]));
    expect(Object.keys(recordsOn).sort()).toEqual([...NODES]);

    // The operator restarts the killed node; its checkpointer then covers what it wrote.
    await startNode('node-a', nodes.get('node-a')!.config);
    const sizes = await Promise.all([
      waitUntilWitnessedTree(CONSUMER, CONSUMER),
      ...NODES.map((node) => waitUntilWitnessedTree(PROVIDER, node)),
    ]);
    const bundles = [
      await exportTree(consumerSchema, CONSUMER, 'munich'),
      ...(await Promise.all(NODES.map((node) => exportTree(providerConfig.GATEWAY_DB_SCHEMA, node, node)))),
    ];
    const report = await verifyBundles({
      bundles,
      anchorPem: await readFile(federation.endpoints.pki.rootCa, 'utf8'),
    });
    expect(report.failures.map(describeFailure)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.bundles.map((b) => b.records)).toEqual(sizes);
    expect(report.bundles.map((b) => b.unwitnessedFrom)).toEqual([null, null, null]);
    // Every exchange Munich logged as served pairs with the record of one of the two nodes.
    expect(report.pairing?.unpaired).toEqual([]);
    expect(report.pairing?.paired).toBeGreaterThanOrEqual(acknowledged.length);
  }, 150_000);

  it('shows the citizen records from both nodes on the gateway’s public address', async () => {
    const ca = await readFile(federation.endpoints.pki.caBundle, 'utf8');
    const agent = new Agent({ connect: { ca } });
    const publicUrl = federation.endpoints.gateways.find((g) => g.id === PROVIDER)!.public;
    const citizenToken = await federation.citizenToken('audit.read');
    const trees = new Set<string>();
    let cursor: string | undefined;
    try {
      for (let page = 0; page < 50 && trees.size < NODES.length; page++) {
        const response = await request(
          `${publicUrl}/citizen/v1/records?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          { dispatcher: agent, headers: { authorization: `Bearer ${citizenToken}` } },
        );
        const body = (await response.body.json()) as {
          records: { side: string; proof: { tree: string } | null }[];
          nextCursor: string | null;
        };
        expect(response.statusCode).toBe(200);
        for (const record of body.records) {
          expect(record.side).toBe('provider');
          // Both logs are witnessed (the test before waited for it): every record has its proof.
          expect(record.proof).not.toBeNull();
          trees.add(record.proof!.tree);
        }
        if (!body.nextCursor) break;
        cursor = body.nextCursor;
      }
    } finally {
      await agent.close();
    }
    expect([...trees].sort()).toEqual([...NODES]);
  }, 60_000);
});
