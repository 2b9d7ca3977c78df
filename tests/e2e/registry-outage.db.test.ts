import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { storyCitizen } from '../../adapters/index.ts';
import { connectInformationSystem } from '../../dev/information-system.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';

const ADDRESS = '/r1/DEMO/GOV/residents-office/register/address-v1';
const MUNICH_GATEWAY = 'DEMO/GOV/munich/gw1';
/** The shortest directory lifetime the registry accepts. */
const TTL_SECONDS = 30;

describe('a registry outage', () => {
  let federation: TestFederation;
  let token: string;

  beforeAll(async () => {
    federation = await startTestFederation({ directoryTtlSeconds: TTL_SECONDS });
    token = await federation.citizenToken('population.address');
  }, 120_000);
  afterAll(async () => {
    await federation?.close();
  });

  /** One address request from Munich's parking-permit office, on a fresh connection. */
  async function askForAddress() {
    const permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    try {
      return await permits.call('GET', ADDRESS, {
        headers: { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit' },
      });
    } finally {
      await permits.close();
    }
  }

  it('is served from the cached directory until it expires, refused after, and recovered unaided', async () => {
    const { expiresAt } = await federation.registry.publish();
    await federation.refreshDirectories();
    expect((await askForAddress()).status).toBe(200);

    await federation.registry.stop();
    await federation.restartGateway(MUNICH_GATEWAY);
    const restarted = await askForAddress();
    expect(restarted.status, restarted.body).toBe(200);
    expect(restarted.json).toMatchObject({ subject: storyCitizen.id });
    expect(Date.now()).toBeLessThan(expiresAt.getTime());

    await vi.waitFor(
      async () => {
        const refused = await askForAddress();
        expect(refused.status).toBe(500);
        expect(refused.json).toMatchObject({ type: expect.stringMatching(/\.OutdatedDirectory$/) });
      },
      { timeout: (TTL_SECONDS + 15) * 1000, interval: 1_000 },
    );
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime());
    const refused = await askForAddress();
    expect(refused.json).toMatchObject({ type: 'Server.ClientProxy.OutdatedDirectory' });

    await federation.registry.start();
    await vi.waitFor(async () => expect((await askForAddress()).status).toBe(200), {
      timeout: 20_000,
      interval: 500,
    });
  }, 120_000);
});
