import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportBundle } from '../../audit/bundle/bundle-export.ts';
import { getTreeSize, verifyConsistency } from '../../audit/index.ts';
import { commandGroups } from '../../cli/groups.ts';
import { runCli } from '../../cli/run.ts';
import { connectInformationSystem } from '../../dev/information-system.ts';
import {
  checkpointCertificates,
  createRegistryFetch,
  hashFromBase64,
  verifyCosignature,
} from '../../protocol/index.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';

const ADDRESS = '/r1/DEMO/GOV/residents-office/register/address-v1';
const MUNICH_GATEWAY = 'DEMO/GOV/munich/gw1';
const RESIDENTS_GATEWAY = 'DEMO/GOV/residents-office/gw1';

/** The payload of a compact JWS, unverified (the test verifies what matters separately). */
const claims = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8'));

describe('the witness down for a while', () => {
  let federation: TestFederation;
  let token: string;
  let https: ReturnType<typeof createRegistryFetch>;
  let witnessUrl: string;

  beforeAll(async () => {
    federation = await startTestFederation();
    token = await federation.citizenToken('population.address');
    https = createRegistryFetch({ ca: await readFile(federation.endpoints.pki.caBundle, 'utf8') });
    witnessUrl = federation.endpoints.registry.directory.replace(/\/directory$/, '/witness');
  }, 120_000);
  afterAll(async () => {
    await https?.close();
    await federation?.close();
  });

  const get = async (url: string) => {
    const response = await https.fetch(url, { headers: {}, signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: JSON.parse(await response.text()) };
  };
  const publicUrl = (gateway: string) => federation.endpoints.gateways.find((g) => g.id === gateway)!.public;

  async function askForAddresses(count: number) {
    const permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    try {
      for (let i = 0; i < count; i++) {
        const answer = await permits.call('GET', ADDRESS, {
          headers: { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit' },
        });
        expect(answer.status, answer.body).toBe(200);
      }
    } finally {
      await permits.close();
    }
  }

  /** The latest checkpoint the witness holds for a gateway's log: its size and the served pair. */
  const witnessed = async (gateway: string) => {
    const { status, body } = await get(`${witnessUrl}/checkpoints/${encodeURIComponent(gateway)}`);
    return status === 200 ? { size: claims(body.checkpoint).size as number, pair: body } : undefined;
  };

  /** Waits until the witness has cosigned each gateway's whole log. */
  const caughtUp = () =>
    vi.waitFor(
      async () => {
        for (const gateway of [MUNICH_GATEWAY, RESIDENTS_GATEWAY]) {
          const size = await getTreeSize(federation.gatewayDb(gateway), gateway);
          expect((await witnessed(gateway))?.size).toBe(size);
        }
      },
      { timeout: 30_000, interval: 250 },
    );

  it('keeps serving, then has the records written meanwhile cosigned, and the exported log verifies', async () => {
    await askForAddresses(3);
    await caughtUp();
    const before = (await witnessed(MUNICH_GATEWAY))!;
    expect(before.size).toBe(3);

    // The registry and its witness go away; the gateways serve from their directory meanwhile.
    await federation.registry.stop();
    await askForAddresses(4);
    const db = federation.gatewayDb(MUNICH_GATEWAY);
    await vi.waitFor(
      async () => {
        const newest = await db
          .selectFrom('checkpoint')
          .selectAll()
          .where('tree', '=', MUNICH_GATEWAY)
          .orderBy('size', 'desc')
          .executeTakeFirstOrThrow();
        expect([Number(newest.size), newest.cosignature]).toEqual([7, null]);
      },
      { timeout: 10_000, interval: 200 },
    );
    // The round that stored the checkpoint logs the failed push after it; under load that takes a moment.
    await vi.waitFor(() => {
      const unwitnessed = federation
        .logLines()
        .filter(
          (line) =>
            line.msg === 'checkpoint not witnessed; retrying next round' && line.code === 'unreachable',
        );
      expect(unwitnessed.length).toBeGreaterThan(0);
    });
    // While the witness is away, an export holds only what it has witnessed.
    const during = join(federation.dir, 'bundle-during-outage');
    const { manifest, storedSize } = await exportBundle({ db, tree: MUNICH_GATEWAY, out: during });
    expect([manifest.records, storedSize]).toEqual([3, 7]);

    await federation.registry.start();
    await caughtUp();
    const after = (await witnessed(MUNICH_GATEWAY))!;
    expect(after.size).toBe(7);

    // The witness kept both checkpoints; the gateway proves the later extends the earlier.
    const history = await get(`${witnessUrl}/checkpoints/${encodeURIComponent(MUNICH_GATEWAY)}/history`);
    // (Rounds during the first exchanges may have had smaller ones witnessed too.)
    expect(history.body.checkpoints.map((c: { size: number }) => c.size).slice(-2)).toEqual([3, 7]);
    for (const entry of history.body.checkpoints) {
      const certificate = checkpointCertificates(entry.cosignature)[0]!;
      expect((await verifyCosignature(entry.cosignature, { certificate })).size).toBe(entry.size);
    }
    const proof = await get(`${publicUrl(MUNICH_GATEWAY)}/log/v1/consistency?first=3&second=7`);
    expect(proof.status).toBe(200);
    verifyConsistency({
      oldSize: 3,
      newSize: 7,
      oldRoot: hashFromBase64(claims(before.pair.checkpoint).root),
      newRoot: hashFromBase64(claims(after.pair.checkpoint).root),
      proof: proof.body.proof.map(hashFromBase64),
    });
    expect((await get(`${witnessUrl}/forks`)).body.forks).toEqual([]);

    // Both logs, exported now, verify offline against the anchor and the witness's latest checkpoints.
    const caPem = await readFile(federation.endpoints.pki.caBundle, 'utf8');
    const munichBundle = join(federation.dir, 'bundle-munich');
    const residentsBundle = join(federation.dir, 'bundle-residents');
    await exportBundle({ db, tree: MUNICH_GATEWAY, out: munichBundle, caPem });
    await exportBundle({
      db: federation.gatewayDb(RESIDENTS_GATEWAY),
      tree: RESIDENTS_GATEWAY,
      out: residentsBundle,
      caPem,
    });
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(
      [
        'audit',
        'verify',
        munichBundle,
        '--peer',
        residentsBundle,
        '--anchor',
        federation.endpoints.pki.rootCa,
        '--witness',
        witnessUrl,
      ],
      commandGroups,
      { out: (line) => out.push(line), err: (line) => err.push(line) },
    );
    expect({ code, err }).toEqual({ code: 0, err: [] });
    const summary = new RegExp(
      `^bundle-munich: log ${MUNICH_GATEWAY}, 7 records, (\\d+) checkpoints \\(\\1 witnessed\\), 14 exchange signatures; trusted checkpoint size 7 \\(the witness at ${witnessUrl.replaceAll('.', '\\.')}\\)$`,
    );
    expect(out).toContainEqual(expect.stringMatching(summary));
    expect(out).toContain('pairing: 7 exchanges paired, 0 consumer records unpaired');
    expect(out.at(-1)).toMatch(/^OK: verified 14 records/);

    // The bundle exported during the outage is now behind the witness: a rollback, refused.
    const stale: string[] = [];
    const staleCode = await runCli(
      ['audit', 'verify', during, '--anchor', federation.endpoints.pki.rootCa, '--witness', witnessUrl],
      commandGroups,
      { out: (line) => stale.push(line), err: () => {} },
    );
    expect(staleCode).toBe(1);
    expect(stale).toContainEqual(
      expect.stringContaining(
        "trusted checkpoint size 7: the bundle ends after 3 records, before the trusted checkpoint's size 7",
      ),
    );
  }, 120_000);
});
