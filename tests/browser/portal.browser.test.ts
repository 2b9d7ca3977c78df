import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storyCitizen, testCitizens } from '../../adapters/index.ts';
import { testAuditors } from '../../dev/auditors.ts';
import { connectInformationSystem } from '../../dev/information-system.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';

/** Debian's Chromium (`apt-get install chromium`); `.ci/run` installs it for these tests. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const ADDRESS = '/r1/DEMO/GOV/residents-office/register/address-v1';
const VEHICLES = '/r1/DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1';
const RESIDENTS = 'DEMO/GOV/residents-office/gw1';
const VEHICLE_AUTHORITY = 'DEMO/GOV/vehicle-authority/gw1';
const LUKAS = testCitizens[1]!;

/** The text a person sees on an element: rendered, so hidden parts and CSS count as they do on screen. */
// biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what the tests assert.
const seen = (locator: Locator) => locator.innerText();

describe('the portal in a browser', () => {
  let federation: TestFederation;
  let browser: Browser;
  /** Message ids of Anna's two accesses: the address, then the vehicles. */
  const anna: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`The browser tests need Chromium at ${CHROMIUM}: apt-get install -y chromium`);
    }
    federation = await startTestFederation();
    const permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    try {
      const token = await federation.citizenToken('population.address vehicles.holder');
      const headers = {
        'einmal-eid-token': token,
        'einmal-purpose': 'parking-permit',
        'x-road-issue': 'PP-2026-0815',
      };
      for (const path of [ADDRESS, VEHICLES]) {
        const answer = await permits.call('GET', path, { headers });
        expect(answer.status, answer.body).toBe(200);
        anna.push(String(answer.headers['x-road-id']).toLowerCase());
      }
      const lukas = await federation.citizenToken('population.address', LUKAS.id);
      const answer = await permits.call('GET', ADDRESS, {
        headers: { 'einmal-eid-token': lukas, 'einmal-purpose': 'parking-permit' },
      });
      expect(answer.status).toBe(200);
    } finally {
      await permits.close();
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await federation?.close();
  });

  const newPage = async (locale = 'en-GB'): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ locale, acceptDownloads: true });
    return { context, page: await context.newPage() };
  };

  /** Logs a person in on the eID provider's own pages, as they would: pick the identity, agree. */
  async function logIn(page: Page, who: string, start: { url: string; button: RegExp }): Promise<void> {
    await page.goto(`${federation.endpoints.portal}${start.url}`);
    await page.getByRole('button', { name: start.button }).click();
    await page.getByLabel(new RegExp(who)).check();
    await page.getByRole('button', { name: 'Log in' }).click();
    const agree = page.getByRole('button', { name: 'Agree' });
    await page.waitForURL(
      (url) => url.pathname.startsWith('/interaction/') === false || url.pathname !== '/',
    );
    if (await agree.isVisible().catch(() => false)) await agree.click();
  }
  const citizenLogin = { url: '/', button: /Log in with eID|Mit eID anmelden/ };
  const auditorLogin = {
    url: '/auditor/login',
    button: /Log in with staff account|Mit Dienstkonto anmelden/,
  };

  /** The timeline once every entry the person sees is sealed by the witness. */
  async function waitUntilVerified(page: Page, entries: number): Promise<void> {
    for (let attempt = 0; attempt < 30; attempt += 1) {
      const checked = await page
        .locator('ol.entries > li')
        .filter({ hasText: /Verified|Geprüft/ })
        .count();
      if (checked === entries) return;
      await page.waitForTimeout(500);
      await page.getByRole('link', { name: /Reload|Neu laden/ }).click();
    }
  }

  const entry = (page: Page, title: string) =>
    page
      .getByRole('list', { name: /Accesses to your data|Zugriffe auf Ihre Daten/ })
      .getByRole('listitem')
      .filter({
        has: page.getByRole('heading', { name: title }),
      });

  it('shows Anna her two accesses, each one verified entry from both logs, in English and German', async () => {
    const { context, page } = await newPage('en-GB');
    try {
      await logIn(page, 'Anna Huber', citizenLogin);
      await page.waitForURL('**/timeline');
      await waitUntilVerified(page, 2);
      await expect
        .poll(() => page.getByRole('heading', { level: 1 }).textContent())
        .toBe('Who used your data');
      const items = page
        .getByRole('list', { name: 'Accesses to your data, newest first' })
        .getByRole('listitem');
      expect(await items.count()).toBe(2);
      expect(await page.getByText('2 accesses').count()).toBe(1);
      for (const title of ['Registered address', 'Vehicles held']) {
        const item = entry(page, `Landeshauptstadt München requested: ${title}`);
        expect(await item.count()).toBe(1);
        const text = await seen(item);
        expect(text).toContain('Application for a resident parking permit');
        expect(text).toContain('PP-2026-0815');
        expect(text).toContain('Verified');
        expect(text).toContain('Data provided');
      }
      expect(await page.content()).not.toContain(LUKAS.id);

      await page.getByRole('link', { name: 'Deutsch' }).click();
      await expect
        .poll(() => page.getByRole('heading', { level: 1 }).textContent())
        .toBe('Wer Ihre Daten genutzt hat');
      expect(await page.getByText('2 Zugriffe').count()).toBe(1);
      expect(await page.locator('ol.entries > li').filter({ hasText: 'Geprüft' }).count()).toBe(2);
      expect(await entry(page, 'Landeshauptstadt München hat angefragt: Vehicles held').count()).toBe(1);

      await page.getByRole('link', { name: 'Details: Vehicles held' }).click();
      const details = await seen(page.locator('main'));
      expect(details).toContain('Protokolliert von Landeshauptstadt München (anfragende Behörde)');
      expect(details).toContain('Protokolliert von Vehicle registration authority (liefernde Behörde)');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Nachweis herunterladen' }).click(),
      ]);
      const evidence = JSON.parse(await readFile((await download.path())!, 'utf8'));
      expect(evidence).toMatchObject({ format: 'einmal-evidence/1' });
      expect(evidence.items).toHaveLength(2);
    } finally {
      await context.close();
    }
  });

  it('still shows everything else when a gateway is down, and names the agency whose log is missing', async () => {
    const { context, page } = await newPage('en-GB');
    await federation.stopGateway(VEHICLE_AUTHORITY);
    try {
      await logIn(page, 'Anna Huber', citizenLogin);
      await page.waitForURL('**/timeline');
      const notice = page.getByRole('alert').filter({ hasText: 'Vehicle registration authority' });
      expect(await seen(notice)).toBe(
        'The log of Vehicle registration authority could not be reached. Accesses it recorded are missing from this list. Please try again later.',
      );
      // Munich's own records of both accesses are still there.
      expect(await page.locator('ol.entries > li').count()).toBe(2);
    } finally {
      await federation.startGateway(VEHICLE_AUTHORITY);
      await context.close();
    }
  });

  it('can be used with the keyboard alone: login, the list, an entry', async () => {
    const { context, page } = await newPage('en-GB');
    const focused = async (): Promise<string> => {
      // A keypress may have started a navigation: read the focus on the page that loads.
      for (let attempt = 0; ; attempt += 1) {
        try {
          await page.waitForLoadState('load');
          return await page.evaluate<string>('document.activeElement?.textContent?.trim() ?? ""');
        } catch (error) {
          if (attempt >= 5) throw error;
        }
      }
    };
    const tabTo = async (name: string | RegExp) => {
      for (let i = 0; i < 60; i += 1) {
        await page.keyboard.press('Tab');
        const text = await focused();
        if (typeof name === 'string' ? text === name : name.test(text)) return;
      }
      throw new Error(`no focusable element named ${name}`);
    };
    try {
      await page.goto(federation.endpoints.portal);
      await page.keyboard.press('Tab');
      expect(await focused()).toBe('Skip to content');
      await tabTo('Log in with eID');
      await page.keyboard.press('Enter');
      await page.waitForURL(/\/interaction\//);
      await tabTo('Log in');
      await page.keyboard.press('Enter');
      await page.waitForLoadState();
      if (!page.url().endsWith('/timeline')) {
        await tabTo('Agree');
        await page.keyboard.press('Enter');
      }
      await page.waitForURL('**/timeline');
      await tabTo('Details: Registered address');
      await page.keyboard.press('Enter');
      await page.waitForURL(`**/timeline/entry/${anna[0]}`);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
        'Landeshauptstadt München requested: Registered address',
      );
      await tabTo('Log out');
      await page.keyboard.press('Enter');
      await page.waitForURL('**/?notice=loggedOut');
      expect(await seen(page.getByRole('status'))).toBe('You have logged out.');
    } finally {
      await context.close();
    }
  });

  it('lets an auditor verify a gateway’s log against the witness and follow the progress', async () => {
    const { context, page } = await newPage('en-GB');
    try {
      await logIn(page, testAuditors[0]!.familyName, auditorLogin);
      await page.waitForURL('**/auditor');
      await page.getByRole('link', { name: 'Verify logs' }).click();
      await page.getByRole('button', { name: 'Verify this log: Landeshauptstadt München' }).click();
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
        'Verifying the log of Landeshauptstadt München',
      );
      const result = page.getByRole('status').filter({ hasText: 'The log verifies' });
      await result.waitFor({ timeout: 30_000 });
      // Every record of Munich's log (Anna's two accesses and Lukas's one), all witnessed.
      expect(await seen(result)).toMatch(
        /^The log verifies: 3 records, consistent with the witness’s checkpoint of size 3\.$/,
      );
    } finally {
      await context.close();
    }
  });

  it('marks an audit record changed in a gateway’s database as failed, on that entry only, and its log as broken', async () => {
    const db = federation.gatewayDb(RESIDENTS);
    const stored = await db
      .selectFrom('audit_record')
      .select(['canonical'])
      .where('message_id', '=', anna[0]!)
      .executeTakeFirstOrThrow();
    const original = Buffer.from(stored.canonical).toString('utf8');
    const altered = original.replace('"issue":"PP-2026-0815"', '"issue":"PP-2026-0816"');
    expect(altered).not.toBe(original);
    await db
      .updateTable('audit_record')
      .set({ canonical: new Uint8Array(Buffer.from(altered)) })
      .where('message_id', '=', anna[0]!)
      .execute();
    const citizen = await newPage('en-GB');
    const auditor = await newPage('en-GB');
    try {
      const { page } = citizen;
      await logIn(page, 'Anna Huber', citizenLogin);
      await page.waitForURL('**/timeline');
      const changed = entry(page, 'Landeshauptstadt München requested: Registered address');
      expect(await seen(changed)).toContain('Check failed');
      const untouched = entry(page, 'Landeshauptstadt München requested: Vehicles held');
      expect(await seen(untouched)).toContain('Verified');
      await page.getByRole('link', { name: 'Details: Registered address' }).click();
      const details = await seen(page.locator('main'));
      expect(details).toContain('What is wrong');
      expect(details).toContain('the record is not in the log at the checkpoint');

      const { page: audit } = auditor;
      await logIn(audit, testAuditors[0]!.familyName, auditorLogin);
      await audit.waitForURL('**/auditor');
      await audit.goto(`${federation.endpoints.portal}/auditor/logs`);
      await audit
        .getByRole('button', { name: 'Verify this log: Residents’ registration office (Bürgerbüro)' })
        .click();
      const failed = audit.getByRole('alert').filter({ hasText: 'The log does NOT verify' });
      await failed.waitFor({ timeout: 30_000 });
      expect(await seen(failed)).toMatch(/does not hash to its leaf/);
    } finally {
      await db
        .updateTable('audit_record')
        .set({ canonical: new Uint8Array(Buffer.from(original)) })
        .where('message_id', '=', anna[0]!)
        .execute();
      await citizen.context.close();
      await auditor.context.close();
    }
  });

  it('shows nobody else’s log to Anna and nobody’s log to a stranger', async () => {
    const { context, page } = await newPage('de-DE');
    try {
      await page.goto(`${federation.endpoints.portal}/timeline/entry/${anna[0]}`);
      expect(new URL(page.url()).pathname).toBe('/');
      await logIn(page, `${LUKAS.givenName} ${LUKAS.familyName}`, citizenLogin);
      await page.waitForURL('**/timeline');
      await page.goto(`${federation.endpoints.portal}/timeline/entry/${anna[0]}`);
      expect(await seen(page.getByRole('alert'))).toBe('Diesen Zugriff gibt es in Ihrem Protokoll nicht.');
      expect(await page.content()).not.toContain(storyCitizen.id);
    } finally {
      await context.close();
    }
  });
});
