import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger, silentLogger } from '../../core/index.ts';
import { storyCitizen, testCitizens } from '../sample-citizens.ts';
import { createAdapterApp } from './app.ts';
import { defineService, type ServiceDefinition } from './define-service.ts';
import { createAdapterTestkit } from './testkit.ts';

const anna = storyCitizen.id;
const lukas = testCitizens[1]!.id;

const policy = {
  title: 'Dog licences',
  description: 'The dog licences you hold.',
  personalData: true,
  eidScope: 'dogs.licences',
  requiredLoa: 'substantial',
  purposes: [{ code: 'dog-tax', title: 'Dog tax' }],
  legalBases: [{ code: 'city-dog-tax-by-law', title: 'Dog tax by-law' }],
  hideable: false,
  method: 'GET',
  request: z.object({}),
} as const;

const licencesResponse = z.object({
  licences: z.array(z.object({ holderId: z.string(), dogName: z.string() })),
});

/** The leak: the subject's licence, and another citizen's under a field not called `subject`. */
const leakOf = (subject: string) => ({
  licences: [
    { holderId: subject, dogName: 'Bello' },
    { holderId: subject === lukas ? anna : lukas, dogName: 'Rex' },
  ],
});

/** The dog licence service declaring `licences[].holderId`, answering what `answer` returns. */
const licencesService = (answer: (subject: string) => z.input<typeof licencesResponse>) =>
  defineService({
    ...policy,
    code: 'dog-licences',
    version: 'v1',
    personIds: ['licences[].holderId'],
    response: licencesResponse,
    handler: (_input, { subject }) => answer(subject),
  });

/** An honest answer: the subject's own licence. */
const ownLicence = (subject: string) => ({ licences: [{ holderId: subject, dogName: 'Bello' }] });

/** The dog licence service without its person identifiers, to declare them in each test. */
const base = {
  ...policy,
  code: 'dog-licences',
  version: 'v1',
  response: licencesResponse,
  handler: () => leakOf(anna),
};

function serve(service: ServiceDefinition) {
  const app = createAdapterApp({ services: [service], log: silentLogger });
  return createAdapterTestkit(app);
}

describe('person identifiers in an answer', () => {
  it('withholds a list that names a second person under another field name', async () => {
    const service = licencesService(leakOf);
    const response = await serve(service).call({ service, subject: anna });
    expect(response.status).toBe(500);
    expect(response.body.type).toBe('Adapter.ResponseWithheld');
    expect(JSON.stringify(response.body)).not.toMatch(/Rex|Bello/);
    expect(JSON.stringify(response.body)).not.toContain(lukas);
  });

  it('answers a list that names only the subject', async () => {
    const service = licencesService(ownLicence);
    const response = await serve(service).call({ service, subject: anna });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ licences: [{ holderId: anna, dogName: 'Bello' }] });
  });

  it('checks nested lists and optional, nullable objects at any depth', async () => {
    const response = z.object({
      households: z.array(
        z.object({
          members: z.array(
            z.object({ personId: z.string(), guardian: z.object({ ref: z.string() }).nullable().optional() }),
          ),
        }),
      ),
    });
    const answers: Record<string, unknown> = {
      subjectOnly: { households: [{ members: [{ personId: anna, guardian: null }] }] },
      nestedOther: { households: [{ members: [{ personId: anna }] }, { members: [{ personId: lukas }] }] },
      guardianOther: { households: [{ members: [{ personId: anna, guardian: { ref: lukas } }] }] },
    };
    let answer = 'subjectOnly';
    const service = defineService({
      ...policy,
      code: 'households',
      version: 'v1',
      personIds: ['households[].members[].personId', 'households[].members[].guardian.ref'],
      response,
      handler: () => answers[answer] as z.input<typeof response>,
    });
    const kit = serve(service);
    expect((await kit.call({ service, subject: anna })).status).toBe(200);
    answer = 'nestedOther';
    expect((await kit.call({ service, subject: anna })).body.type).toBe('Adapter.ResponseWithheld');
    answer = 'guardianOther';
    expect((await kit.call({ service, subject: anna })).body.type).toBe('Adapter.ResponseWithheld');
  });

  it('still withholds a `subject` field about someone else, declared or not', async () => {
    const service = defineService({
      ...policy,
      code: 'dog-licences',
      version: 'v1',
      personIds: ['licences[].holderId'],
      response: licencesResponse.extend({ owner: z.object({ subject: z.string() }) }),
      handler: (_input, { subject }) => ({
        licences: [{ holderId: subject, dogName: 'Bello' }],
        owner: { subject: lukas },
      }),
    });
    expect((await serve(service).call({ service, subject: anna })).body.type).toBe(
      'Adapter.ResponseWithheld',
    );
  });

  it('refuses at start-up a personal-data service that declares no person identifiers', () => {
    expect(() => defineService({ ...base, personIds: [] })).toThrow(
      "personal-data service 'dog-licences' must declare where its response names persons",
    );
    // A plain JavaScript caller can leave the field out altogether.
    expect(() => defineService({ ...base } as never)).toThrow(TypeError);
    // Nor can a hand-made definition bypass the declaration.
    const handMade = { ...base, path: '/' } as unknown as ServiceDefinition;
    expect(() => createAdapterApp({ services: [handMade], log: createLogger({ name: 't' }) })).toThrow(
      "service 'dog-licences' was not declared with defineService",
    );
  });

  it('refuses at start-up a path the response does not have, or one that is not a text field', () => {
    expect(() => defineService({ ...base, personIds: ['licences[].holderID'] })).toThrow(
      "person-identifier path 'licences[].holderID': the response has no field 'holderID' there",
    );
    expect(() => defineService({ ...base, personIds: ['licences.holderId'] })).toThrow(TypeError);
    expect(() => defineService({ ...base, personIds: ['licences[]'] })).toThrow(
      'it does not name a string field',
    );
    expect(() => defineService({ ...base, personIds: ['licences[].holderId; drop'] })).toThrow(
      "invalid person-identifier path 'licences[].holderId; drop'",
    );
  });

  it('refuses a public service that claims to name persons', () => {
    expect(() =>
      defineService({
        code: 'dogs',
        version: 'v1',
        title: 'Dogs',
        description: 'How many dogs live in the city.',
        personalData: false,
        personIds: ['count'],
        method: 'GET',
        request: z.object({}),
        response: z.object({ count: z.string() }),
        handler: () => ({ count: '12' }),
      } as never),
    ).toThrow('names persons (personIds) but declares no personal data');
  });
});

describe('checkContract and a leaking handler', () => {
  const examples = [
    { name: 'Anna', subject: anna },
    { name: 'Lukas', subject: lukas },
  ];

  it('catches another person under another name even when only `subject` is declared', async () => {
    const response = licencesResponse.extend({ subject: z.string() });
    const service = defineService({
      ...policy,
      code: 'dog-licences',
      version: 'v1',
      personIds: ['subject'],
      response,
      handler: (_input, { subject }) => ({ subject, ...leakOf(subject) }),
    });
    const report = await serve(service).checkContract(service, examples);
    expect(report.ok).toBe(false);
    expect(report.checks.find((check) => check.name === 'dog-licences-v1 example Anna')?.problem).toBe(
      'names the subject at licences[].holderId, which personIds does not declare; answers about another person at licences[].holderId',
    );
  });

  it('catches it as a withheld answer when the field is declared', async () => {
    const service = licencesService(leakOf);
    const report = await serve(service).checkContract(service, examples);
    expect(report.ok).toBe(false);
    expect(report.checks.filter((check) => !check.ok).map((check) => check.problem)).toEqual([
      'expected 200, got 500 Adapter.ResponseWithheld',
      'expected 200, got 500 Adapter.ResponseWithheld',
    ]);
  });

  it('passes the honest handler', async () => {
    const service = licencesService(ownLicence);
    const report = await serve(service).checkContract(service, examples);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
  });
});
