import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { storyCitizen } from '../adapters/index.ts';
import { openDatabase } from '../core/database/index.ts';
import { createLogger, EinmalError } from '../core/index.ts';
import { obtainCitizenToken } from './eid/index.ts';
import { writeDevelopmentFederation } from './federation-files.ts';
import { type RunningFederation, startFederation } from './federation-runtime.ts';
import { connectInformationSystem } from './information-system.ts';
import { createPortalBrowser } from './portal-browser.ts';

export interface DemoOptions {
  /** Where the demo keeps its federation files and embedded database. */
  readonly home: string;
  /** A PostgreSQL server to use instead of the embedded database. */
  readonly databaseUrl?: string | undefined;
  readonly print: (line: string) => void;
  readonly logLevel?: string;
}

const PERMITS = 'DEMO/GOV/munich/parking-permits';
const ADDRESS = '/r1/DEMO/GOV/residents-office/register/address-v1';
const VEHICLES = '/r1/DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1';

/**
 * Starts the whole local federation (first run: creates it with `dev init`), then plays the
 * parking-permit story of the README's demo once: the citizen logs in with eID, the city's permit system
 * asks the residents' office for the registered address and the vehicle authority for the vehicles
 * held, and both gateways log each exchange; then the citizen opens the portal and sees both
 * accesses, each verified against the witnessed logs. Returns the running federation.
 */
export async function startDemo(
  options: DemoOptions,
): Promise<{ federation: RunningFederation; ok: boolean; close(): Promise<void> }> {
  const home = resolve(options.home);
  const dir = join(home, 'federation');
  const { print } = options;
  if (!existsSync(join(dir, 'federation.json'))) {
    print(`Creating the development federation in ${dir} ...`);
    await writeDevelopmentFederation({ dir, force: false });
  }
  const database = await openDatabase(
    options.databaseUrl ? { url: options.databaseUrl } : { dataDir: join(home, 'data') },
  );
  const log = createLogger({ name: 'demo', level: options.logLevel ?? 'warn' });
  let federation: RunningFederation;
  try {
    federation = await startFederation({ dir, database, log, ports: 'demo' });
  } catch (error) {
    await database.close();
    throw error;
  }
  const close = async () => {
    await federation.stop();
    await database.close();
  };
  const { endpoints } = federation;
  print(
    `Federation ${endpoints.instance} is running (${database.kind === 'pglite' ? 'embedded database' : 'PostgreSQL'}):`,
  );
  print(`  registry directory  ${endpoints.registry.directory}`);
  print(`  eID provider        ${endpoints.eid.issuer}`);
  print(`  portal              ${endpoints.portal}`);
  for (const gateway of endpoints.gateways)
    print(`  gateway ${gateway.id.padEnd(30)} client API ${gateway.client}`);
  for (const [member, url] of Object.entries(endpoints.adapters))
    print(`  adapter of ${member.padEnd(27)} ${url} (mutual TLS: its gateway only)`);
  print(`  endpoints and credentials: ${join(dir, 'endpoints.json')}`);
  print('');

  const ok = await playParkingPermitStory(federation, print).catch((error: unknown) => {
    print(
      `The story failed: ${error instanceof EinmalError ? `${error.code}: ${error.message}` : String(error)}`,
    );
    return false;
  });
  return { federation, ok, close };
}

async function playParkingPermitStory(
  federation: RunningFederation,
  print: (line: string) => void,
): Promise<boolean> {
  const { endpoints } = federation;
  print(
    `1. ${storyCitizen.givenName} ${storyCitizen.familyName} applies for a resident parking permit and logs in with eID,`,
  );
  print('   agreeing that the city may fetch her registered address and the vehicles she holds.');
  const token = await obtainCitizenToken({
    issuer: endpoints.eid.issuer,
    citizen: storyCitizen.id,
    scope: 'population.address vehicles.holder',
  });
  print(`   eID token issued for ${storyCitizen.id} (audience ${endpoints.audience}).`);

  const permits = await connectInformationSystem(endpoints, PERMITS);
  try {
    const headers = {
      'einmal-eid-token': token,
      'einmal-purpose': 'parking-permit',
      'x-road-issue': 'PP-2026-0815',
    };
    print('2. The permit system asks the residents’ office for the registered address:');
    const address = await permits.call('GET', ADDRESS, { headers });
    print(`   ${address.status} ${address.body}`);
    print('3. ... and the vehicle authority for the vehicles she holds:');
    const vehicles = await permits.call('GET', VEHICLES, { headers });
    print(`   ${vehicles.status} ${vehicles.body}`);

    const munich = federation.gatewayDb('DEMO/GOV/munich/gw1');
    const logged = await munich
      .selectFrom('audit_record')
      .select(['message_id', 'service', 'status'])
      .where('subject', '=', storyCitizen.id)
      .orderBy('idx', 'desc')
      .limit(2)
      .execute();
    print('4. Both exchanges are in the audit logs of the city’s and the providers’ gateways:');
    for (const record of logged) print(`   ${record.message_id}  ${record.service}  ${record.status}`);
    const made = [address, vehicles].map((answer) => String(answer.headers['x-road-id']).toLowerCase());
    const seen = await openPortalAsCitizen(endpoints.portal, made, print);
    return address.status === 200 && vehicles.status === 200 && logged.length === 2 && seen;
  } finally {
    await permits.close();
  }
}

interface PortalEntry {
  readonly messageId: string;
  readonly time: string;
  readonly agency: { readonly name: string | null };
  readonly data: { readonly title: string | null };
  readonly check: string;
}

/**
 * The end of the story: the citizen logs in to the portal with eID and sees both accesses, merged
 * from the city's and the providers' logs. Waits (a few seconds) until the witness has sealed them.
 */
async function openPortalAsCitizen(
  portal: string,
  messageIds: readonly string[],
  print: (line: string) => void,
): Promise<boolean> {
  print(`5. ${storyCitizen.givenName} opens the portal at ${portal} and logs in with eID. She sees:`);
  const browser = createPortalBrowser(portal);
  await browser.login(storyCitizen.id);
  let entries: PortalEntry[] = [];
  const done = () =>
    entries.length === messageIds.length && entries.every((entry) => entry.check === 'verified');
  for (let attempt = 0; attempt < 20 && !done(); attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
    // Reloading asks every gateway again, so checkpoints the witness sealed meanwhile count.
    await browser.get(attempt > 0 ? '/timeline?reload=1' : '/timeline');
    const list = await browser.get('/timeline/export.json');
    if (list.status !== 200) break;
    const all = (JSON.parse(list.body) as { entries: PortalEntry[] }).entries;
    entries = all.filter((entry) => messageIds.includes(entry.messageId));
  }
  for (const entry of entries) {
    print(`   ${entry.time}  ${entry.agency.name} requested "${entry.data.title}"  (${entry.check})`);
  }
  print(`   Open ${portal} in a browser and log in as ${storyCitizen.givenName} ${storyCitizen.familyName}.`);
  return done();
}
