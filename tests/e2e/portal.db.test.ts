import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storyCitizen, testCitizens } from '../../adapters/index.ts';
import { extractBundleArchive, verifyBundles } from '../../audit/bundle/index.ts';
import { auditCommands } from '../../audit/cli.ts';
import { appendLeaves, leafHash } from '../../audit/index.ts';
import { sampleAuditRecord } from '../../bench/sample-audit-record.ts';
import { runCli } from '../../cli/run.ts';
import { silentLogger } from '../../core/index.ts';
import { testAuditors } from '../../dev/auditors.ts';
import { obtainCitizenToken } from '../../dev/eid/index.ts';
import { connectInformationSystem } from '../../dev/information-system.ts';
import { createPortalBrowser, type PortalBrowser } from '../../dev/portal-browser.ts';
import { createAuditLog } from '../../gateway/index.ts';
import { searchAuditLogs } from '../../portal/auditor/audit-search.ts';
import { createFederationView } from '../../portal/federation/federation-view.ts';
import { createGatewayClient } from '../../portal/federation/gateway-client.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';

const ADDRESS = '/r1/DEMO/GOV/residents-office/register/address-v1';
const VEHICLES = '/r1/DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1';
const LUKAS = testCitizens[1]!;
const MIA = testCitizens[2]!;
const [PETRA, JONAS] = testAuditors as [(typeof testAuditors)[0], (typeof testAuditors)[0]];
/** The portal sessions of this federation end after this much idle time. */
const IDLE_SECONDS = 6;

interface JsonEntry {
  messageId: string;
  agency: { name: string };
  data: { title: string };
  check: string;
  records: { gateway: string; side: string; check: string }[];
}

describe('the portal over HTTP: login, the merged timeline, evidence, and every way a login can go wrong', () => {
  let federation: TestFederation;
  const anna: string[] = [];
  const lukas: string[] = [];
  let portal: string;

  const browser = () => createPortalBrowser(portal);
  /** Anna's timeline once the witness has sealed both her accesses. */
  async function verifiedTimeline(b: PortalBrowser): Promise<JsonEntry[]> {
    for (let attempt = 0; ; attempt += 1) {
      await b.get(attempt === 0 ? '/timeline' : '/timeline?reload=1');
      const entries = JSON.parse((await b.get('/timeline/export.json')).body).entries as JsonEntry[];
      if (entries.every((e) => e.check === 'verified') || attempt >= 20) return entries;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  beforeAll(async () => {
    federation = await startTestFederation({ portalSessionIdleSeconds: IDLE_SECONDS });
    portal = federation.endpoints.portal;
    const permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    try {
      const annaToken = await federation.citizenToken('population.address vehicles.holder');
      const lukasToken = await federation.citizenToken('population.address', LUKAS.id);
      for (const [token, path, ids] of [
        [annaToken, ADDRESS, anna],
        [annaToken, VEHICLES, anna],
        [lukasToken, ADDRESS, lukas],
      ] as const) {
        const answer = await permits.call('GET', path, {
          headers: {
            'einmal-eid-token': token,
            'einmal-purpose': 'parking-permit',
            'x-road-issue': 'PP-2026-0815',
          },
        });
        expect(answer.status, answer.body).toBe(200);
        ids.push(String(answer.headers['x-road-id']).toLowerCase());
      }
    } finally {
      await permits.close();
    }
  }, 180_000);
  afterAll(async () => {
    await federation?.close();
  });

  it('logs Anna in with eID and shows exactly her two accesses, each one entry from both logs, verified', async () => {
    const b = browser();
    const landing = await b.login(storyCitizen.id);
    expect([landing.status, landing.url.pathname]).toEqual([200, '/timeline']);
    expect(landing.body).toContain('Anna Huber');
    const entries = await verifiedTimeline(b);
    expect(entries.map((e) => e.messageId).sort()).toEqual([...anna].sort());
    expect(entries.map((e) => e.data.title).sort()).toEqual(['Registered address', 'Vehicles held']);
    for (const entry of entries) {
      expect(entry).toMatchObject({ agency: { name: 'Landeshauptstadt München' }, check: 'verified' });
      expect(entry.records.map((r) => r.side).sort()).toEqual(['consumer', 'provider']);
      expect(new Set(entry.records.map((r) => r.gateway)).size).toBe(2);
    }
    const csv = await b.get('/timeline/export.csv');
    expect(csv.contentType).toBe('text/csv; charset=utf-8');
    const lines = csv.body.trim().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('PP-2026-0815');
  });

  it("never shows another citizen's records, whatever the URL says", async () => {
    const b = browser();
    await b.login(storyCitizen.id);
    const foreign = await b.get(`/timeline/entry/${lukas[0]}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body).not.toContain(LUKAS.id);
    const evidence = await b.get(`/timeline/entry/${lukas[0]}/evidence`);
    expect(evidence.status).toBe(404);
    const listed = await b.get(`/timeline/export.json?subject=${LUKAS.id}&agency=DEMO/GOV/munich`);
    const ids = (JSON.parse(listed.body).entries as JsonEntry[]).map((e) => e.messageId);
    expect(ids.sort()).toEqual([...anna].sort());

    const other = browser();
    await other.login(LUKAS.id);
    const his = JSON.parse((await other.get('/timeline/export.json')).body).entries as JsonEntry[];
    expect(his.map((e) => e.messageId)).toEqual(lukas);
  });

  it('hands out evidence that einmal audit verify-evidence accepts offline, and refuses once it is altered', async () => {
    const b = browser();
    await b.login(storyCitizen.id);
    await verifiedTimeline(b);
    const download = await b.get(`/timeline/entry/${anna[0]}/evidence`);
    expect(download.status).toBe(200);
    const evidence = JSON.parse(download.body);
    expect(evidence.items).toHaveLength(2);
    const dir = await mkdtemp(join(tmpdir(), 'einmal-evidence-'));
    const verify = async (content: unknown) => {
      const file = join(dir, 'evidence.json');
      await writeFile(file, JSON.stringify(content));
      const lines: string[] = [];
      const code = await runCli(
        ['audit', 'verify-evidence', file, '--anchor', federation.endpoints.pki.rootCa],
        [auditCommands],
        { out: (line) => lines.push(line), err: (line) => lines.push(line) },
      );
      return { code, lines };
    };
    try {
      const ok = await verify(evidence);
      expect(ok.code, ok.lines.join('\n')).toBe(0);
      expect(ok.lines.at(-1)).toMatch(/^OK: 2 record\(s\) verified/);
      const altered = structuredClone(evidence);
      altered.items[1].record = altered.items[1].record.replace('"parking-permit"', '"traffic-offence"');
      const refused = await verify(altered);
      expect(refused.code).toBe(1);
      expect(refused.lines.filter((line) => /^record \d+: FAIL/.test(line))).toHaveLength(1);
      expect(refused.lines.join('\n')).toMatch(/record 2: FAIL Audit.InvalidProof/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ends a replayed authorization code at the login page, in the same browser and in another', async () => {
    const b = browser();
    const callback = await b.authorize(await b.startLogin(), storyCitizen.id);
    expect((await b.finish(callback)).url.pathname).toBe('/timeline');
    const replay = await b.finish(callback);
    expect([replay.status, replay.url.pathname, replay.url.search]).toEqual([
      200,
      '/',
      '?notice=loginFailed',
    ]);
    expect(replay.body).toContain('Die Anmeldung konnte nicht abgeschlossen werden');
    // The replay ended the session too.
    expect((await b.get('/timeline')).url.pathname).toBe('/');
    const stolen = await browser().finish(callback);
    expect(stolen.url.search).toBe('?notice=loginFailed');
  });

  it('refuses a state or nonce that does not match the login it started', async () => {
    const b = browser();
    const callback = await b.authorize(await b.startLogin(), storyCitizen.id);
    callback.searchParams.set('state', 'forged-state-value');
    expect((await b.finish(callback)).url.search).toBe('?notice=loginFailed');

    const c = browser();
    const authorization = await c.startLogin();
    authorization.searchParams.set('nonce', 'nonce-of-another-login');
    const returned = await c.authorize(authorization, storyCitizen.id);
    const page = await c.finish(returned);
    expect([page.status, page.url.search]).toEqual([200, '?notice=loginFailed']);
    expect((await c.get('/timeline')).url.pathname).toBe('/');
  });

  it('refuses an eID provider the directory does not trust, for citizens and for auditors', async () => {
    const b = browser();
    const home = await b.get('/');
    const refused = await b.submit('/login', { role: 'citizen', issuer: 'https://eid.evil.example' }, home);
    expect([refused.status, refused.url.search]).toEqual([200, '?notice=untrustedIssuer']);
    expect(refused.body).toContain('Diesem eID-Anbieter vertraut der Verbund nicht');
    const staff = await b.get('/auditor/login');
    const forged = await b.submit('/login', { role: 'auditor', issuer: 'https://eid.evil.example' }, staff);
    expect(forged.url.pathname + forged.url.search).toBe('/auditor/login?notice=untrustedIssuer');
  });

  it('ends a tampered session cookie and an expired session at the login page with a clear message', async () => {
    const b = browser();
    await b.login(storyCitizen.id);
    const id = b.cookies.get('__Host-einmal-session')!;
    b.cookies.set('__Host-einmal-session', `${id.slice(0, -1)}${id.endsWith('A') ? 'B' : 'A'}`);
    const tampered = await b.get('/timeline');
    expect([tampered.url.pathname, tampered.url.search]).toEqual(['/', '?notice=invalidSession']);
    expect(tampered.body).toContain('Ihre Sitzung ist nicht mehr gültig');

    const c = browser();
    await c.login(storyCitizen.id);
    await new Promise((resolve) => setTimeout(resolve, (IDLE_SECONDS + 1) * 1000));
    const expired = await c.get('/timeline');
    expect([expired.status, expired.url.search]).toEqual([200, '?notice=expired']);
    expect(expired.body).toContain('Ihre Sitzung ist abgelaufen');
  }, 30_000);

  it('refuses forms without the session’s CSRF token', async () => {
    const b = browser();
    const timeline = await b.login(storyCitizen.id);
    const forged = await b.submit(
      '/logout',
      {},
      { ...timeline, body: '<input name="csrf" value="wrong-token"/>' },
    );
    expect(forged.url.pathname + forged.url.search).toBe('/timeline?notice=invalidForm');
    expect(forged.body).toContain('Das Formular war veraltet');
    expect((await b.get('/timeline')).url.pathname).toBe('/timeline');
    const done = await b.submit('/logout', {}, await b.get('/timeline'));
    expect(done.url.search).toBe('?notice=loggedOut');
    expect((await b.get('/timeline')).url.pathname).toBe('/');
  });

  it('keeps auditors out of the citizens’ pages and citizens out of the auditors’', async () => {
    const citizen = browser();
    await citizen.login(storyCitizen.id);
    const refused = await citizen.get('/auditor');
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Dieser Bereich ist für Prüfende');
    const auditor = browser();
    const landing = await auditor.login(PETRA.id, 'auditor');
    expect(landing.url.pathname).toBe('/auditor');
    expect((await auditor.get('/timeline')).status).toBe(403);
  });

  it('lets each gateway decide what an auditor reads: Jonas gets Munich’s log only, Petra every log', async () => {
    const search = async (account: string) => {
      const b = browser();
      const landing = await b.login(account, 'auditor');
      return b.submit('/auditor/search', { subject: storyCitizen.id }, landing);
    };
    const jonas = await search(JONAS.id);
    expect([jonas.status, jonas.url.pathname], jonas.body).toEqual([200, '/auditor']);
    expect(jonas.body).toContain('Sie dürfen das Protokoll von Vehicle registration authority nicht prüfen');
    expect(jonas.body.match(/<tr>/g)).toHaveLength(1 + 2);
    const petra = await search(PETRA.id);
    expect(petra.body).not.toContain('nicht prüfen');
    expect(petra.body.match(/<tr>/g)).toHaveLength(1 + 4);
  });

  it('hands an auditor a gateway’s export bundle that the offline verifier accepts', async () => {
    const b = browser();
    await b.login(PETRA.id, 'auditor');
    const tree = 'DEMO/GOV/munich/gw1';
    const download = await b.download(`/auditor/bundle?${new URLSearchParams({ gateway: tree, tree })}`);
    expect([download.status, download.type]).toEqual([200, 'application/x-tar']);
    const dir = await mkdtemp(join(tmpdir(), 'einmal-bundle-'));
    try {
      await extractBundleArchive(Readable.from([download.bytes]), dir, { maxBytes: 1 << 26 });
      const anchorPem = await readFile(federation.endpoints.pki.rootCa, 'utf8');
      const report = await verifyBundles({ bundles: [dir], anchorPem });
      expect(report.failures).toEqual([]);
      expect(report.bundles[0]).toMatchObject({ tree, records: 3 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // Jonas may audit Munich only: another gateway refuses him, and the portal says so.
    const jonas = browser();
    await jonas.login(JONAS.id, 'auditor');
    const other = 'DEMO/GOV/vehicle-authority/gw1';
    const refused = await jonas.get(
      `/auditor/bundle?${new URLSearchParams({ gateway: other, tree: other })}`,
    );
    expect(refused.status).toBe(403);
    expect(refused.body).toContain(
      'Sie dürfen das Protokoll von Vehicle registration authority nicht prüfen',
    );
  });

  it('pages an auditor search across gateways without gaps or repeats', async () => {
    const token = await obtainCitizenToken({
      issuer: federation.endpoints.eid.issuer,
      citizen: PETRA.id,
      scope: 'audit.search',
    });
    const anchor = await readFile(federation.endpoints.pki.rootCa, 'utf8');
    const view = createFederationView((await federation.registry.publish()).directory, anchor);
    const client = createGatewayClient({ timeoutMs: 4000, cas: view.tlsCas });
    try {
      const seen: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 10; page += 1) {
        const result = await searchAuditLogs({
          view,
          client,
          token,
          criteria: {},
          after,
          pageSize: 2,
          timeZone: 'Europe/Berlin',
        });
        expect(result.notices).toEqual([]);
        seen.push(...result.records.map((r) => `${r.gateway.id}#${r.leafIndex}@${r.record.logTime}`));
        if (!result.next) break;
        after = result.next;
      }
      // Three exchanges, each logged by the consumer and the provider.
      expect(seen).toHaveLength(6);
      expect(new Set(seen).size).toBe(6);
      const times = seen.map((s) => Date.parse(s.split('@')[1]!));
      expect(times).toEqual([...times].sort((a, b) => b - a));
    } finally {
      await client.close();
    }
  });

  it('sends a strict Content-Security-Policy and no caching with every page', async () => {
    const response = await fetch(`${portal}/`);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`form-action 'self' ${new URL(federation.endpoints.eid.issuer).origin}`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('set-cookie')).toMatch(
      /^__Host-einmal-session=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    const body = await response.text();
    expect(body).not.toMatch(/<script(?![^>]*src="\/static\/)/);
    // The language switch returns to pages of the portal only.
    for (const back of ['https://evil.example/', '//evil.example/', '/\\evil.example']) {
      const switched = await fetch(`${portal}/language?to=en&back=${encodeURIComponent(back)}`, {
        redirect: 'manual',
      });
      expect(switched.headers.get('location'), back).toBe('/');
    }
    expect(body).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
  });

  it('answers hostile addresses and forms with a page, never a 500', async () => {
    const citizen = browser();
    await citizen.login(storyCitizen.id);
    const auditor = browser();
    const search = await auditor.login(PETRA.id, 'auditor');
    const paths = [
      '/timeline?page=-1',
      '/timeline?page=99999999999999999999',
      '/timeline?from=2026-02-30&to=0000-00-00&agency=../../x&data=%00',
      `/timeline?agency=${'a'.repeat(5000)}`,
      '/timeline/entry/..%2F..%2Fetc',
      '/timeline/entry/%E0%A4%A',
      `/timeline/entry/${'f'.repeat(36)}/evidence`,
      '/timeline/export.csv?from=yesterday',
      '/nowhere',
      '/static/../app.tsx',
    ];
    for (const path of paths) {
      const page = await citizen.get(path);
      expect(page.status, path).toBeLessThan(500);
    }
    const auditorPaths = [
      '/auditor?after=not-a-cursor',
      `/auditor?after=${Buffer.from('{"x":1}').toString('base64url')}`,
      '/auditor/record?gateway=DEMO/GOV/munich/gw1&tree=%00&index=1',
      '/auditor/record?gateway=DEMO/GOV/munich/gw1&tree=DEMO/GOV/munich/gw1&index=-5',
      '/auditor/record?gateway=unknown&tree=x&index=0',
      '/auditor/record/evidence?gateway=DEMO/GOV/munich/gw1&tree=DEMO/GOV/munich/gw1&index=999999',
      '/auditor/bundle?gateway=DEMO/GOV/munich/gw1&tree=../../etc',
      '/auditor/jobs/unknown',
      '/auditor/jobs/unknown/status',
    ];
    for (const path of auditorPaths) {
      const page = await auditor.get(path);
      expect(page.status, path).toBeLessThan(500);
    }
    const forms: Record<string, string>[] = [
      { from: '2026-02-30' },
      { subject: '<script>alert(1)</script>' },
      { errorCode: 'Made.Up' },
      { member: 'x'.repeat(3000) },
    ];
    for (const form of forms) {
      const page = await auditor.submit('/auditor/search', form, search);
      expect([page.status, page.body.includes('<script>alert')], JSON.stringify(form)).toEqual([400, false]);
    }
  });

  it('never puts a token in a page, a URL or a log line', async () => {
    const b = browser();
    const page = await b.login(storyCitizen.id);
    const lines = federation.logLines().map((line) => JSON.stringify(line));
    for (const text of [page.body, page.url.href, ...lines]) {
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\./);
    }
  });

  it('finds a gateway’s log rolled back behind the witness’s latest checkpoint when an auditor verifies it', async () => {
    // The residents' office restores its log from an older backup: its last record and the
    // checkpoints covering it are gone, and what remains is consistent in itself.
    const residents = 'DEMO/GOV/residents-office/gw1';
    const db = federation.gatewayDb(residents);
    const size = Number(
      (
        await db
          .selectFrom('tree_head')
          .select('size')
          .where('tree', '=', residents)
          .executeTakeFirstOrThrow()
      ).size,
    );
    expect(size).toBe(2);
    for (let i = 0; i < 40; i += 1) {
      const witnessed = await db
        .selectFrom('checkpoint')
        .select((eb) => eb.fn.max('size').as('size'))
        .where('tree', '=', residents)
        .where('cosignature', 'is not', null)
        .executeTakeFirst();
      if (Number(witnessed?.size ?? 0) >= size) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const saved = {
      record: await db
        .selectFrom('audit_record')
        .selectAll()
        .where('tree', '=', residents)
        .where('idx', '=', 1)
        .execute(),
      nodes: await db.selectFrom('merkle_node').selectAll().where('tree', '=', residents).execute(),
      head: await db.selectFrom('tree_head').selectAll().where('tree', '=', residents).execute(),
      checkpoints: await db.selectFrom('checkpoint').selectAll().where('tree', '=', residents).execute(),
    };
    await db.transaction().execute(async (trx) => {
      const first = await trx
        .selectFrom('audit_record')
        .select('canonical')
        .where('tree', '=', residents)
        .where('idx', '=', 0)
        .executeTakeFirstOrThrow();
      // The backup predates the record, and so the id it served (restored with the record below).
      await trx
        .deleteFrom('served_message')
        .where(
          'message_id',
          'in',
          saved.record.map((r) => r.message_id),
        )
        .where('side', '=', 'provider')
        .execute();
      await trx.deleteFrom('audit_record').where('tree', '=', residents).where('idx', '=', 1).execute();
      await trx.deleteFrom('merkle_node').where('tree', '=', residents).execute();
      await trx.deleteFrom('tree_head').where('tree', '=', residents).execute();
      await appendLeaves(trx, residents, [leafHash(new Uint8Array(first.canonical))]);
      await trx.deleteFrom('checkpoint').where('tree', '=', residents).where('size', '>', 1).execute();
    });
    try {
      const b = browser();
      await b.login(PETRA.id, 'auditor');
      const logs = await b.get('/auditor/logs');
      const job = await b.submit('/auditor/logs/verify', { gateway: residents, tree: residents }, logs);
      expect(job.url.pathname).toMatch(/^\/auditor\/jobs\//);
      for (let i = 0; i < 60; i += 1) {
        if ((JSON.parse((await b.get(`${job.url.pathname}/status`)).body) as { done: boolean }).done) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const result = (await b.get(job.url.pathname)).body;
      expect(result).toContain('Das Protokoll ist NICHT in Ordnung');
      // Only the witness's checkpoint, asked for before the download, shows what is missing.
      expect(result).toMatch(/trusted checkpoint size 2: the bundle ends after [01] records/);
      expect(result).toContain('a rollback');
    } finally {
      await db.transaction().execute(async (trx) => {
        for (const table of ['merkle_node', 'tree_head', 'checkpoint'] as const)
          await trx.deleteFrom(table).where('tree', '=', residents).execute();
        await trx.insertInto('audit_record').values(saved.record).execute();
        await trx.insertInto('merkle_node').values(saved.nodes).execute();
        await trx.insertInto('tree_head').values(saved.head).execute();
        await trx.insertInto('checkpoint').values(saved.checkpoints).execute();
      });
    }
  });

  // Last: Mia's many records change what the auditor tests above count.
  it('shows the newest accesses before older ones are read, then pages through all of them', async () => {
    // Mia has 60 accesses in Munich's log, more than one first request to a gateway brings.
    const munich = 'DEMO/GOV/munich/gw1';
    const db = federation.gatewayDb(munich);
    const log = createAuditLog({ db, tree: munich, log: silentLogger });
    const start = Date.now() - 60 * 3_600_000;
    for (let i = 0; i < 60; i += 1) {
      await log.append(
        sampleAuditRecord({
          subject: MIA.id,
          logTime: new Date(start + i * 3_600_000).toISOString(),
          issue: `MIA-${i}`,
        }),
      );
    }
    await log.drain();
    const size = Number((await db.selectFrom('tree_head').select('size').executeTakeFirstOrThrow()).size);
    for (let i = 0; i < 40; i += 1) {
      const witnessed = await db
        .selectFrom('checkpoint')
        .select((eb) => eb.fn.max('size').as('size'))
        .where('cosignature', 'is not', null)
        .executeTakeFirst();
      if (Number(witnessed?.size ?? 0) >= size) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const b = browser();
    const first = await b.login(MIA.id);
    expect(first.body).toMatch(/Die neuesten \d+ Zugriffe; ältere werden noch gelesen\./);
    expect(first.body.match(/<li><article/g)).toHaveLength(20);
    const second = await b.get('/timeline?page=2');
    expect(second.body).toContain('Seite 2 von 3');
    const again = await b.get('/timeline');
    expect(again.body).toContain('60 Zugriffe.');
    const all = JSON.parse((await b.get('/timeline/export.json')).body).entries as JsonEntry[];
    expect(all).toHaveLength(60);
    expect(all.every((e) => e.check === 'verified')).toBe(true);
  });
});
