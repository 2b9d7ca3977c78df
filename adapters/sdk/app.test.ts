import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openDatabase } from '../../core/database/index.ts';
import { createLogger, EinmalError } from '../../core/index.ts';
import { storyCitizen, testCitizens } from '../sample-citizens.ts';
import { createAdapterApp } from './app.ts';
import { defineService, type PersonalDataContext } from './define-service.ts';
import { createAdapterTestkit } from './testkit.ts';

const anna = storyCitizen.id;
const lukas = testCitizens[1]!.id;

const personal = {
  title: 'Test data',
  description: 'Data about you.',
  personalData: true,
  personIds: ['subject'],
  eidScope: 'test.data',
  requiredLoa: 'substantial',
  purposes: [{ code: 'parking-permit', title: 'Parking permit' }],
  legalBases: [{ code: 'de-bmg-34', title: '§ 34 BMG' }],
  hideable: false,
} as const;

const noteSpec = {
  ...personal,
  code: 'note',
  version: 'v1',
  method: 'GET' as const,
  request: z.object({ colour: z.enum(['red', 'blue']).optional() }),
  response: z.object({ subject: z.string(), colour: z.string(), client: z.string() }),
  handler: (input: { colour?: 'red' | 'blue' | undefined }, context: PersonalDataContext) => {
    if (input.colour === 'blue') throw new EinmalError('Adapter.NotFound');
    return { subject: context.subject, colour: input.colour ?? 'none', client: context.client };
  },
};
const noteService = defineService(noteSpec);

const brokenService = defineService({
  ...personal,
  code: 'broken',
  version: 'v1',
  method: 'GET',
  request: z.object({}),
  response: z.object({ subject: z.string(), born: z.iso.date() }),
  handler: (_input, context) => ({ subject: context.subject, born: 'yesterday' }),
});

const leakyService = defineService({
  ...personal,
  code: 'leaky',
  version: 'v1',
  method: 'GET',
  request: z.object({}),
  response: z.object({ subject: z.string() }),
  handler: () => ({ subject: lukas }),
});

const lookupService = defineService({
  ...personal,
  code: 'lookup',
  version: 'v2',
  method: 'POST',
  path: '/search',
  request: z.object({ personId: z.string(), fields: z.array(z.string().max(20)).max(5) }),
  response: z.object({ subject: z.string(), fields: z.array(z.string()) }),
  handler: (input, context) => ({ subject: context.subject, fields: input.fields }),
});

/** A registry database the adapter has already closed (an adapter shutting down). */
const closedRegistry = await openDatabase({});
await sql`select 1`.execute(closedRegistry.db);
await closedRegistry.close();
const closedService = defineService({
  ...personal,
  code: 'closed',
  version: 'v1',
  method: 'GET',
  request: z.object({}),
  response: z.object({ subject: z.string() }),
  handler: async (_input, context) => {
    await sql`select 1`.execute(closedRegistry.db);
    return { subject: context.subject };
  },
});

/** A registry whose PostgreSQL server is down: nothing listens on port 1. */
const offlineRegistry = await openDatabase({ url: 'postgres://postgres@127.0.0.1:1/registry', poolSize: 1 });
const offlineService = defineService({
  ...personal,
  code: 'offline',
  version: 'v1',
  method: 'GET',
  request: z.object({}),
  response: z.object({ subject: z.string() }),
  handler: async (_input, context) => {
    await sql`select 1`.execute(offlineRegistry.db);
    return { subject: context.subject };
  },
});

const publicService = defineService({
  code: 'weather',
  version: 'v1',
  title: 'Weather',
  description: 'Public data.',
  personalData: false,
  method: 'GET',
  request: z.object({ city: z.string().regex(/^[A-Za-z]{1,40}$/) }),
  response: z.object({ city: z.string(), sunny: z.boolean() }),
  handler: (input) => ({ city: input.city, sunny: true }),
});

function build() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ name: 'adapter-test', destination });
  const app = createAdapterApp({
    services: [
      noteService,
      brokenService,
      leakyService,
      lookupService,
      offlineService,
      publicService,
      closedService,
    ],
    log,
    title: 'Test adapter',
  });
  return { app, kit: createAdapterTestkit(app), lines };
}

afterAll(() => offlineRegistry.close());

describe('adapter app', () => {
  it('answers with the handler output for the verified subject, with the verified context', async () => {
    const { kit } = build();
    const response = await kit.call({
      service: noteService,
      subject: anna,
      client: 'DEMO/GOV/munich/parking-permits',
      input: { colour: 'red' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      subject: anna,
      colour: 'red',
      client: 'DEMO/GOV/munich/parking-permits',
    });
  });

  it('logs what it released by message id and client, never the subject or the data', async () => {
    const { kit, lines } = build();
    const messageId = 'c0a8012e-7a3b-4c1d-9e2f-0123456789ab';
    const response = await kit.call({
      service: noteService,
      subject: anna,
      messageId,
      input: { colour: 'red' },
    });
    expect(response.status).toBe(200);
    const answered = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'answered');
    expect(answered).toEqual([
      expect.objectContaining({
        messageId,
        client: 'TEST/GOV/testkit/client',
        serviceId: 'TEST/GOV/testkit/provider/note-v1',
      }),
    ]);
    // Each key once: a log store keeps only one of two `service` keys.
    for (const line of lines) expect(line.match(/"service":/g) ?? []).toHaveLength(1);
    expect(lines.join('')).not.toContain(anna);
    expect(lines.join('')).not.toContain('"red"');
  });

  it('refuses a request that names another subject in the query or the body', async () => {
    const { kit } = build();
    const byQuery = await kit.call({ service: noteService, subject: anna, input: { subject: lukas } });
    expect(byQuery.status).toBe(403);
    expect(byQuery.body.type).toBe('Adapter.SubjectMismatch');
    expect(byQuery.headers.get('x-road-error')).toBe('Adapter.SubjectMismatch');
    const byBody = await kit.call({
      service: lookupService,
      subject: anna,
      input: { personId: lukas, fields: [] },
    });
    expect(byBody.body.type).toBe('Adapter.SubjectMismatch');
    const nested = await kit.call({
      service: lookupService,
      subject: anna,
      input: { personId: anna, fields: [], filter: [{ subject: lukas }] },
    });
    expect(nested.body.type).toBe('Adapter.SubjectMismatch');
    const same = await kit.call({
      service: lookupService,
      subject: anna,
      input: { personId: anna, fields: ['a'] },
    });
    expect(same.status).toBe(200);
    expect(same.body).toEqual({ subject: anna, fields: ['a'] });
  });

  it('refuses a personal-data call without a verified subject as Adapter.SubjectMissing, and logs why', async () => {
    const { kit, lines } = build();
    const response = await kit.call({ service: noteService, subject: null });
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('Adapter.SubjectMissing');
    const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === 'request refused');
    expect(logged).toMatchObject({
      code: 'Adapter.SubjectMissing',
      errorId: response.body.detail,
      detail: { reason: 'personal-data service called without a verified subject' },
    });
  });

  it('refuses requests without or with malformed verified-context headers', async () => {
    const { app, kit } = build();
    const bare = await app.request('/note-v1');
    expect(bare.status).toBe(400);
    const body = (await bare.json()) as Record<string, string>;
    expect(body.type).toBe('Client.InvalidHeader');
    expect(Object.keys(body).sort()).toEqual(['detail', 'message', 'type']);
    expect(body.detail).toMatch(/^[0-9a-f-]{36}$/);
    const badSubject = await kit.call({ service: noteService, subject: 'anna huber' });
    expect(badSubject.body.type).toBe('Client.InvalidHeader');
    expect(JSON.stringify(badSubject.body)).not.toContain('anna huber');
    const badMessageId = await kit.call({ service: noteService, subject: anna, messageId: 'not-a-uuid' });
    expect(badMessageId.body.type).toBe('Client.InvalidHeader');
    const noPurpose = await kit.call({ service: noteService, subject: anna, purpose: null });
    expect(noPurpose.body.type).toBe('Client.InvalidHeader');
    const otherService = await app.request('/note-v1', {
      headers: {
        'einmal-client': 'DEMO/GOV/munich/parking-permits',
        'einmal-service': 'DEMO/GOV/residents-office/register/address-v1',
        'einmal-subject': anna,
        'einmal-purpose': 'parking-permit',
        'einmal-message-id': crypto.randomUUID(),
      },
    });
    expect(((await otherService.json()) as { type: string }).type).toBe('Client.InvalidHeader');
  });

  it('refuses a query outside the schema as Client.InvalidQuery, naming the allowed values', async () => {
    const { kit, lines } = build();
    const badQuery = await kit.call({ service: noteService, subject: anna, input: { colour: 'green' } });
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.type).toBe('Client.InvalidQuery');
    expect(badQuery.body.message).toBe(
      'The query does not match the service: colour must be one of "red", "blue"',
    );
    const logged = lines
      .map((line) => JSON.parse(line))
      .find((entry) => entry.code === 'Client.InvalidQuery');
    expect(logged?.detail).toEqual({
      reason: 'input outside the request schema',
      issues: [{ path: ['colour'], code: 'invalid_value' }],
    });
    expect(lines.join('')).not.toContain('green');
  });

  it('refuses unknown query parameters instead of ignoring them', async () => {
    const { kit } = build();
    const misspelt = await kit.call({ service: noteService, subject: anna, input: { color: 'red' } });
    expect(misspelt.status).toBe(400);
    expect(misspelt.body.type).toBe('Client.InvalidQuery');
    expect(misspelt.body.message).toBe('Unknown query parameter color; allowed: colour');
    const none = await kit.call({ service: leakyService, subject: anna, input: { page: '2' } });
    expect(none.body.message).toBe('Unknown query parameter page; this service takes none');
    const invented = await kit.call({ service: noteService, subject: anna, input: { 'a<b>': 'x' } });
    expect(invented.body.message).toBe('Unknown query parameter ?; allowed: colour');
  });

  it('refuses a body that does not match the request schema with Client.InvalidBody', async () => {
    const { app, kit } = build();
    const badBody = await kit.call({ service: lookupService, subject: anna, input: { personId: anna } });
    expect(badBody.body.type).toBe('Client.InvalidBody');
    const notJson = await app.request('/lookup-v2/search', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'einmal-client': 'DEMO/GOV/munich/parking-permits',
        'einmal-service': 'DEMO/GOV/residents-office/register/lookup-v2',
        'einmal-subject': anna,
        'einmal-purpose': 'parking-permit',
        'einmal-message-id': crypto.randomUUID(),
      },
      body: '{"personId":',
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { type: string }).type).toBe('Client.InvalidBody');
    const huge = await kit.call({
      service: lookupService,
      subject: anna,
      input: { personId: anna, fields: ['x'.repeat(300_000)] },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.type).toBe('Client.BodyTooLarge');
  });

  it('withholds a malformed handler response as Adapter.InvalidResponse and logs it', async () => {
    const { kit, lines } = build();
    const response = await kit.call({ service: brokenService, subject: anna });
    expect(response.status).toBe(500);
    expect(response.body.type).toBe('Adapter.InvalidResponse');
    expect(JSON.stringify(response.body)).not.toContain('yesterday');
    const logged = lines
      .map((line) => JSON.parse(line))
      .find((entry) => entry.code === 'Adapter.InvalidResponse');
    expect(logged?.errorId).toBe(response.body.detail);
    expect(logged?.level).toBe(50);
  });

  it('answers 503 Server.Unavailable while its registry database is unreachable, and logs why', async () => {
    const { kit, lines } = build();
    const response = await kit.call({ service: offlineService, subject: anna });
    expect(response.status).toBe(503);
    expect(response.body).toMatchObject({ type: 'Server.Unavailable' });
    expect(JSON.stringify(response.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.code === 'Server.Unavailable');
    expect(logged?.errorId).toBe(response.body.detail);
    expect(JSON.stringify(logged?.err)).toContain('ECONNREFUSED');
  });

  it('answers 503 Server.Unavailable when its database handle is already closed', async () => {
    const { kit } = build();
    const response = await kit.call({ service: closedService, subject: anna });
    expect(response.status).toBe(503);
    expect(response.body.type).toBe('Server.Unavailable');
  });

  it('withholds a response about another subject', async () => {
    const { kit } = build();
    const response = await kit.call({ service: leakyService, subject: anna });
    expect(response.status).toBe(500);
    expect(response.body.type).toBe('Adapter.ResponseWithheld');
    expect(JSON.stringify(response.body)).not.toContain(lukas);
  });

  it('answers a non-personal service without a subject and passes handler errors on', async () => {
    const { kit } = build();
    const weather = await kit.call({ service: publicService, subject: null, input: { city: 'Munich' } });
    expect(weather.body).toEqual({ city: 'Munich', sunny: true });
    const asking = await kit.call({
      service: publicService,
      subject: null,
      input: { city: 'Munich', subject: anna },
    });
    expect(asking.body.type).toBe('Adapter.SubjectMismatch');
    const missing = await kit.call({ service: noteService, subject: anna, input: { colour: 'blue' } });
    expect(missing.status).toBe(404);
    expect(missing.body.type).toBe('Adapter.NotFound');
  });

  it('refuses unknown routes and wrong methods with stable codes', async () => {
    const { app } = build();
    const unknown = await app.request('/nothing-v1');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { type: string }).type).toBe('Client.UnknownService');
    const wrongMethod = await app.request('/note-v1', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toMatchObject({
      type: 'Client.MethodNotAllowed',
      message: 'This service answers GET only',
    });
  });

  it('logs a refused path only as far as its service: what follows may name a citizen', async () => {
    const { app, lines } = build();
    const refused = await app.request(`/note-v1/${anna}`);
    expect(refused.status).toBe(404);
    const logged = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'request refused');
    expect(logged).toEqual([expect.objectContaining({ code: 'Client.UnknownService', path: '/note-v1/…' })]);
    expect(lines.join('')).not.toContain(anna);
  });

  it('lists its services and derives an OpenAPI 3.1 document from the schemas', async () => {
    const { kit } = build();
    const listed = await kit.request('/_einmal/services');
    expect(listed.body.services.map((s: { code: string }) => s.code)).toEqual([
      'note',
      'broken',
      'leaky',
      'lookup',
      'offline',
      'weather',
      'closed',
    ]);
    expect(listed.body.services[3]).toMatchObject({ method: 'POST', path: '/search', eidScope: 'test.data' });
    const { body } = await kit.request('/_einmal/openapi');
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths)).toContain('/lookup-v2/search');
    expect(body.paths['/weather-v1'].get.parameters).toContainEqual({
      name: 'city',
      in: 'query',
      required: true,
      schema: { type: 'string', pattern: '^[A-Za-z]{1,40}$' },
    });
    expect(body.paths['/lookup-v2/search'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/lookup-v2.Request',
    );
    expect(body.components.schemas['lookup-v2.Request'].required).toEqual(['personId', 'fields']);
    expect(body.components.schemas['note-v1.Response'].properties.subject).toEqual({ type: 'string' });
    expect(body.components.parameters.subject).toMatchObject({ name: 'einmal-subject', in: 'header' });
    expect(Object.keys(body.paths['/note-v1'].get.responses)).toEqual([
      '200',
      '400',
      '403',
      '404',
      '405',
      '413',
      '500',
      '503',
    ]);
    expect(body.paths['/note-v1'].get['x-einmal'].personIds).toEqual(['subject']);
  });

  it('describes each service on its own, its paths relative to the service URL', async () => {
    const { kit } = build();
    const listed = await kit.request('/_einmal/services');
    expect(listed.body.services[3]).toMatchObject({
      serviceCode: 'lookup-v2',
      code: 'lookup',
      version: 'v2',
    });
    const { status, body } = await kit.request('/_einmal/services/lookup-v2/openapi');
    expect(status).toBe(200);
    expect(body.info).toEqual({ title: lookupService.title, version: 'v2' });
    // Appended to /r1/{service id}, the path is the call: `/r1/…/lookup-v2/search`.
    expect(Object.keys(body.paths)).toEqual(['/search']);
    expect(Object.keys(body.components.schemas).sort()).toEqual([
      'Error',
      'lookup-v2.Request',
      'lookup-v2.Response',
    ]);
    const weather = await kit.request('/_einmal/services/weather-v1/openapi');
    expect(Object.keys(weather.body.paths)).toEqual(['/']);
    expect((await kit.request('/_einmal/services/company-v1/openapi')).status).toBe(404);
  });

  it('answers health probes', async () => {
    const { app } = build();
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/readyz')).status).toBe(200);
  });
});

describe('defineService', () => {
  it('rejects declarations that could not be served safely', () => {
    const base = noteSpec;
    expect(() => defineService({ ...base, code: '..' })).toThrow(TypeError);
    // The version becomes part of the X-Road service code: a major version only.
    expect(() => defineService({ ...base, version: 'v1.2' })).toThrow(TypeError);
    expect(() => defineService({ ...base, version: '1' })).toThrow(TypeError);
    expect(defineService({ ...base, version: 'v3' }).serviceCode).toBe('note-v3');
    expect(() => defineService({ ...base, path: '/a/../b' })).toThrow(TypeError);
    expect(() => defineService({ ...base, purposes: [] })).toThrow(TypeError);
    expect(() => defineService({ ...base, eidScope: null })).toThrow(TypeError);
    expect(() =>
      createAdapterApp({ services: [noteService, noteService], log: createLogger({ name: 't' }) }),
    ).toThrow(TypeError);
  });
});

describe('adapter testkit', () => {
  it('passes a service that keeps its contract', async () => {
    const { kit } = build();
    const report = await kit.checkContract(lookupService, [
      { subject: anna, input: { personId: anna, fields: ['x'] } },
      { name: 'bad input', subject: anna, input: { personId: anna }, expectError: 'Client.InvalidBody' },
    ]);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.checks.map((c) => c.name)).toContain('lookup-v2 refuses to answer about another subject');
    expect(report.ok).toBe(true);
  });

  it('reports a service that breaks its contract', async () => {
    const { kit } = build();
    const report = await kit.checkContract(brokenService, [{ subject: anna }]);
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => !c.ok)?.problem).toContain('Adapter.InvalidResponse');
  });
});
