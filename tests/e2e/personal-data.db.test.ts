import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storyCitizen, testCitizens } from '../../adapters/index.ts';
import { testAuditors } from '../../dev/auditors.ts';
import { connectInformationSystem, type InformationSystem } from '../../dev/information-system.ts';
import { createPortalBrowser } from '../../dev/portal-browser.ts';
import { auditRecordSchema } from '../../schemas/index.ts';
import { startTestFederation, type TestFederation } from '../support/federation.ts';
import { openForgeKit, requestClaims } from '../support/forge-request.ts';

const ADDRESS = '/r1/DEMO/GOV/residents-office/register/address-v1';
const HOUSEHOLD = '/r1/DEMO/GOV/residents-office/register/household-v1';
const VEHICLES = '/r1/DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1';
const COMPANY = '/r1/DEMO/GOV/business-register/companies/company-v1';
const PURPOSE = { 'einmal-purpose': 'parking-permit' };

/** Every string leaf of a JSON value. */
function leaves(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(leaves);
  if (value && typeof value === 'object') return Object.values(value).flatMap(leaves);
  return [];
}

/** The payload of a compact JWS, decoded. */
const jwsPayload = (jws: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8'));

/**
 * docs/protocol.md §8, and no personal data in application logs: the story and a handful of
 * refusals, end to end, and the portal used by a citizen and an auditor; then a search of every log
 * line of every component (the portal's among them) and every stored audit record for what must not
 * be there: a test citizen's id anywhere but a record's `subject` (and the signed `subject` claim it
 * comes from),
 * an eID token, a signed envelope in a log line, a value of the query string, or any value the
 * registries answered with (names, birth dates, addresses, number plates).
 */
describe('personal data stays out of logs and leaves', () => {
  let federation: TestFederation;
  let permits: InformationSystem;
  const tokens: string[] = [];
  /** Values the registries answered with, collected from the answers themselves. */
  const answered = new Set<string>();
  /** Values sent in query strings. */
  const queried = ['Anna Huber', '1985-03-14', 'Sendlinger'];

  beforeAll(async () => {
    federation = await startTestFederation();
    permits = await connectInformationSystem(federation.endpoints, 'DEMO/GOV/munich/parking-permits');
    const token = await federation.citizenToken(
      'population.address population.household vehicles.holder audit.read',
    );
    const narrow = await federation.citizenToken('vehicles.holder');
    tokens.push(token, narrow);
    const other = testCitizens[3]!;

    const keep = async (answer: Awaited<ReturnType<InformationSystem['call']>>) => {
      expect(answer.status, answer.body).toBe(200);
      for (const value of leaves(answer.json)) answered.add(value);
    };
    const withToken = { ...PURPOSE, 'einmal-eid-token': token };
    await keep(await permits.call('GET', ADDRESS, { headers: withToken }));
    await keep(await permits.call('GET', VEHICLES, { headers: withToken }));
    await keep(await permits.call('GET', HOUSEHOLD, { headers: withToken }));
    await keep(await permits.call('GET', `${COMPANY}?registerNumber=${encodeURIComponent('HRB 123456')}`));
    // An official acting for a declared subject with a legal basis.
    await keep(
      await permits.call('GET', ADDRESS, {
        headers: { ...PURPOSE, 'einmal-subject': other.id, 'einmal-legal-basis': 'de-bmg-34' },
      }),
    );

    // Refusals: at the client API, at the provider, by the eID verifier.
    const refusals = [
      // Query values that name the citizen, which the adapter refuses as parameters it does not take.
      permits.call(
        'GET',
        `${ADDRESS}?name=${encodeURIComponent('Anna Huber')}&birthDate=1985-03-14&street=Sendlinger`,
        { headers: withToken },
      ),
      permits.call('GET', ADDRESS, { headers: { ...withToken, 'einmal-subject': other.id } }),
      permits.call('GET', ADDRESS, {
        headers: { ...PURPOSE, 'einmal-subject': storyCitizen.id.toLowerCase() },
      }),
      permits.call('GET', ADDRESS, { headers: { ...PURPOSE, 'einmal-eid-token': narrow } }),
      permits.call('GET', `${ADDRESS}?name=${encodeURIComponent('Anna Huber')}`, {
        headers: { ...PURPOSE, 'einmal-subject': storyCitizen.id },
      }),
      permits.call('GET', ADDRESS, {
        headers: { ...withToken, 'einmal-hidden-until': '0000-01-01T00:00:00Z' },
      }),
      permits.call('GET', VEHICLES, {
        headers: { ...withToken, 'einmal-hidden-until': '2099-01-01T00:00:00Z', 'x-road-id': randomUUID() },
      }),
    ];
    for (const answer of await Promise.all(refusals)) {
      expect(answer.status, answer.body).toBeGreaterThanOrEqual(400);
      expect(answer.status, answer.body).toBeLessThan(500);
    }
    // The citizen reads her log on the city's gateway.
    const city = federation.endpoints.gateways.find((g) => g.id === 'DEMO/GOV/munich/gw1')!;
    const agent = new Agent({ connect: { ca: permits.tls.ca } });
    const own = await request(`${city.public}/citizen/v1/records`, {
      headers: { authorization: `Bearer ${token}` },
      dispatcher: agent,
    });
    expect(own.statusCode).toBe(200);
    await own.body.text();
    await agent.close();
    await usePortal(federation.endpoints.portal);
  }, 180_000);
  afterAll(async () => {
    await permits?.close();
    await federation?.close();
  });

  /**
   * The portal as its people use it, so that its log lines and what the gateways log of its calls
   * are searched too: the citizen reads her timeline, an entry and its evidence; an auditor
   * searches for her by id, opens a record and its evidence, and verifies a log.
   */
  async function usePortal(portal: string) {
    const citizen = createPortalBrowser(portal);
    await citizen.login(storyCitizen.id);
    let entries: { messageId: string; check: string }[] = [];
    for (let attempt = 0; attempt < 30; attempt += 1) {
      await citizen.get(attempt === 0 ? '/timeline' : '/timeline?reload=1');
      entries = JSON.parse((await citizen.get('/timeline/export.json')).body).entries;
      if (entries.length > 0 && entries.every((entry) => entry.check === 'verified')) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(entries.map((entry) => entry.check)).toContain('verified');
    const first = entries[0]!.messageId;
    expect((await citizen.get(`/timeline/entry/${first}`)).status).toBe(200);
    expect((await citizen.get(`/timeline/entry/${first}/evidence`)).status).toBe(200);
    expect((await citizen.get('/timeline/export.csv')).status).toBe(200);

    const auditor = createPortalBrowser(portal);
    const landing = await auditor.login(testAuditors[0]!.id, 'auditor');
    const found = await auditor.submit('/auditor/search', { subject: storyCitizen.id }, landing);
    const record = /href="(\/auditor\/record\?[^"]+)"/.exec(found.body)?.[1]?.replaceAll('&amp;', '&');
    expect(record, found.body.slice(0, 2000)).toBeDefined();
    expect((await auditor.get(record!)).status).toBe(200);
    expect((await auditor.get(record!.replace('/auditor/record?', '/auditor/record/evidence?'))).status).toBe(
      200,
    );
    const logs = await auditor.get('/auditor/logs');
    const city = 'DEMO/GOV/munich/gw1';
    const job = await auditor.submit('/auditor/logs/verify', { gateway: city, tree: city }, logs);
    expect(job.url.pathname).toMatch(/^\/auditor\/jobs\//);
    for (let attempt = 0; attempt < 60; attempt += 1) {
      const status = JSON.parse((await auditor.get(`${job.url.pathname}/status`)).body) as { done: boolean };
      if (status.done) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect((await auditor.get(job.url.pathname)).body).toContain('Das Protokoll ist in Ordnung');
  }

  /** What must never appear in a log line, with a name for the failure message. */
  const secrets = () => {
    const found: [string, string][] = [];
    for (const citizen of testCitizens) {
      found.push(['a citizen id', citizen.id], ['a citizen id', citizen.id.toLowerCase()]);
      found.push(
        ['a name', citizen.givenName],
        ['a family name', citizen.familyName],
        ['a birth date', citizen.birthDate],
      );
    }
    for (const token of tokens)
      found.push(['an eID token', token], ['an eID token signature', token.split('.')[2]!]);
    for (const value of queried)
      found.push(['a query value', value], ['a query value', encodeURIComponent(value)]);
    // Values the registries answered with, apart from words the directory publishes anyway.
    const published = JSON.stringify(federation.manifest);
    for (const value of answered) {
      if (value.length >= 4 && !published.includes(value) && !/^DEMO\//.test(value))
        found.push(['an answered value', value]);
    }
    return found;
  };

  it('answered with personal data, so the search below has something to find', () => {
    expect([...answered]).toEqual(expect.arrayContaining(['M-AH 1234', 'Sendlinger Straße', 'Lukas']));
  });

  it('keeps every personal value, token and signed envelope out of every component’s log lines', async () => {
    const lines = federation.logLines().map((line) => JSON.stringify(line));
    expect(lines.length).toBeGreaterThan(10);
    // The portal's own lines are among them.
    const messages = federation.logLines().map((line) => line.msg);
    expect(messages).toEqual(expect.arrayContaining(['portal login completed', 'log verification finished']));
    const envelopes: string[] = [];
    for (const gateway of federation.endpoints.gateways) {
      for (const row of await federation
        .gatewayDb(gateway.id)
        .selectFrom('audit_record')
        .selectAll()
        .execute()) {
        const record = JSON.parse(Buffer.from(row.canonical).toString('utf8'));
        for (const jws of [record.requestSignature, record.responseSignature]) if (jws) envelopes.push(jws);
      }
    }
    expect(envelopes.length).toBeGreaterThan(10);
    const forbidden = [
      ...secrets(),
      ...envelopes.map((jws) => ['a signed envelope', jws.split('.')[2]!] as [string, string]),
    ];
    for (const line of lines) {
      for (const [what, value] of forbidden) {
        expect(
          line.includes(value),
          `${what} (${value.slice(0, 24)}) in log line ${line.slice(0, 300)}`,
        ).toBe(false);
      }
    }
  });

  it('keeps citizens’ ids in a record’s subject only, and tokens, query and answered values out of every record', async () => {
    const forbidden = secrets();
    let records = 0;
    for (const gateway of federation.endpoints.gateways) {
      for (const row of await federation
        .gatewayDb(gateway.id)
        .selectFrom('audit_record')
        .selectAll()
        .execute()) {
        records++;
        const record = auditRecordSchema.parse(JSON.parse(Buffer.from(row.canonical).toString('utf8')));
        // The record and what its signed envelopes say, without the subject they are about.
        const { subject: _subject, requestSignature, responseSignature, ...rest } = record;
        const signed = [requestSignature, responseSignature].flatMap((jws) => {
          if (!jws) return [];
          const { subject: _claimed, ...claims } = jwsPayload(jws);
          return [JSON.stringify(claims)];
        });
        const text = [JSON.stringify(rest), ...signed].join('\n');
        for (const [what, value] of forbidden) {
          expect(
            text.includes(value),
            `${what} (${value.slice(0, 24)}) in a record of ${gateway.id}: ${text.slice(0, 400)}`,
          ).toBe(false);
        }
        // What the envelope signs of the query is its digest, never the query.
        if (requestSignature) expect(jwsPayload(requestSignature).query).toMatch(/^[A-Za-z0-9_-]{43}$/);
      }
    }
    expect(records).toBeGreaterThan(15);
  });

  it('keeps a citizen’s id out of the log lines when a path names one', async () => {
    // REST paths may name a citizen; the audit record keeps the path, the application log must not.
    const id = testCitizens[2]!.id;
    const before = federation.logLines().length;
    const forge = await openForgeKit(federation);
    try {
      const token = await federation.citizenToken('population.address');
      const answers = [
        // past the service, to the adapter, which does not serve it
        await permits.call('GET', `${ADDRESS}/${id}`, { headers: { ...PURPOSE, 'einmal-eid-token': token } }),
        // no route of the client API
        await permits.call('GET', `/r2/${id}`),
      ];
      const peer = {
        as: await forge.gatewayTls('DEMO/GOV/munich/gw1'),
        claims: requestClaims({
          client: 'DEMO/GOV/munich/parking-permits',
          service: ADDRESS.slice('/r1/'.length),
        }),
      };
      answers.push(
        // no route of the provider's peer listener, and a path in another spelling than the canonical
        await forge.send('DEMO/GOV/residents-office/gw1', { ...peer, method: 'GET', path: `/${id}` }),
        await forge.send('DEMO/GOV/residents-office/gw1', {
          ...peer,
          method: 'GET',
          path: `${ADDRESS}/%${id.charCodeAt(0).toString(16)}${id.slice(1)}`,
        }),
      );
      expect(answers.map((a) => a.status)).toEqual([404, 404, 404, 400]);
    } finally {
      await forge.close();
    }
    const lines = federation
      .logLines()
      .slice(before)
      .map((line) => JSON.stringify(line));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(line, line).not.toContain(id.slice(1));
  });
});
