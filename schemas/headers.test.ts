import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { storyCitizen } from '../adapters/index.ts';
import { EinmalError } from '../core/errors/index.ts';
import {
  exchangeMessageId,
  HEADER,
  messageIdSchema,
  parseClientRequestHeaders,
  printClientId,
  subjectIdSchema,
} from './index.ts';

const token = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJERTY1NDAyMTM4Nzk3In0.c2lnbmF0dXJl';

function parse(headers: Record<string, string>) {
  return parseClientRequestHeaders((name) => headers[name]);
}

function refusal(headers: Record<string, string>): EinmalError {
  try {
    parse(headers);
  } catch (error) {
    expect(error).toBeInstanceOf(EinmalError);
    return error as EinmalError;
  }
  throw new Error('expected a refusal');
}

const client = { [HEADER.client]: 'DEMO/GOV/munich/parking-permits' };

describe('parseClientRequestHeaders', () => {
  it('reads a full request of the parking-permit story', () => {
    const context = parse({
      ...client,
      'x-road-id': '6F9619FF-8B86-4011-B42D-00C04FC964FF',
      'x-road-userid': 'EE:officer-17',
      'x-road-issue': 'PP-2026/0042',
      'x-road-represented-party': 'GOV/munich',
      'einmal-eid-token': token,
      'einmal-subject': storyCitizen.id,
      'einmal-purpose': 'parking-permit',
      'einmal-legal-basis': 'de-bmg-34',
      'einmal-consent-reference': 'urn:consent:123',
      'einmal-hidden-until': '2026-07-01T12:00:00+02:00',
      'einmal-hidden-reason': 'Ongoing investigation 4711',
    });
    expect(printClientId(context.client)).toBe('DEMO/GOV/munich/parking-permits');
    expect(context).toMatchObject({
      messageId: '6F9619FF-8B86-4011-B42D-00C04FC964FF',
      userId: 'EE:officer-17',
      issue: 'PP-2026/0042',
      representedParty: 'GOV/munich',
      eidToken: token,
      subject: storyCitizen.id,
      purpose: 'parking-permit',
      legalBasis: 'de-bmg-34',
      consentRef: 'urn:consent:123',
      hiddenUntil: '2026-07-01T10:00:00.000Z',
      hiddenReason: 'Ongoing investigation 4711',
    });
  });

  it('leaves absent headers out', () => {
    expect(parse(client)).toEqual({ client: expect.any(Object) });
  });

  it.each([
    [{}, 'Client.MissingClient', ''],
    [{ [HEADER.client]: '' }, 'Client.MissingClient', ''],
    [{ [HEADER.client]: 'DEMO/GOV/../x' }, 'Client.InvalidIdentifier', 'X-Road-Client'],
    [
      { [HEADER.client]: 'DEMO/GOV/munich/a, DEMO/GOV/munich/b' },
      'Client.InvalidIdentifier',
      'X-Road-Client',
    ],
    [{ ...client, 'x-road-id': 'not a uuid' }, 'Client.InvalidMessageId', 'X-Road-Id'],
    [{ ...client, 'x-road-id': '-starts-with-a-dash' }, 'Client.InvalidMessageId', 'X-Road-Id'],
    [{ ...client, 'x-road-id': 'a'.repeat(129) }, 'Client.InvalidMessageId', 'X-Road-Id'],
    [{ ...client, 'x-road-id': 'id/../x' }, 'Client.InvalidMessageId', 'X-Road-Id'],
    [{ ...client, 'x-road-id': '' }, 'Client.InvalidMessageId', 'X-Road-Id'],
    [{ ...client, 'x-road-userid': 'a\r\nX-Evil: 1' }, 'Client.InvalidHeader', 'X-Road-UserId'],
    [{ ...client, 'x-road-userid': 'x'.repeat(201) }, 'Client.InvalidHeader', 'X-Road-UserId'],
    [{ ...client, 'x-road-issue': 'Fall Nr. ä' }, 'Client.InvalidHeader', 'X-Road-Issue'],
    [{ ...client, 'x-road-represented-party': 'A/B/C' }, 'Client.InvalidHeader', 'X-Road-Represented-Party'],
    [{ ...client, 'einmal-eid-token': 'abc.def' }, 'Client.InvalidHeader', 'Einmal-Eid-Token'],
    [{ ...client, 'einmal-eid-token': `${token}.x.y` }, 'Client.InvalidHeader', 'Einmal-Eid-Token'],
    [
      { ...client, 'einmal-eid-token': `a.${'b'.repeat(8190)}.c` },
      'Client.InvalidHeader',
      'Einmal-Eid-Token',
    ],
    [{ ...client, 'einmal-subject': 'de65402138797' }, 'Client.InvalidSubject', 'Einmal-Subject'],
    [{ ...client, 'einmal-subject': 'DE123' }, 'Client.InvalidSubject', 'Einmal-Subject'],
    [{ ...client, 'einmal-subject': 'DE 65402138797' }, 'Client.InvalidSubject', 'Einmal-Subject'],
    [{ ...client, 'einmal-purpose': '-parking' }, 'Client.InvalidHeader', 'Einmal-Purpose'],
    [{ ...client, 'einmal-legal-basis': 'x'.repeat(129) }, 'Client.InvalidHeader', 'Einmal-Legal-Basis'],
    [{ ...client, 'einmal-consent-reference': 'a b' }, 'Client.InvalidHeader', 'Einmal-Consent-Reference'],
    [{ ...client, 'einmal-hidden-until': 'tomorrow' }, 'Client.InvalidHeader', 'Einmal-Hidden-Until'],
    [{ ...client, 'einmal-hidden-until': '2026-07-01' }, 'Client.InvalidHeader', 'Einmal-Hidden-Until'],
    // Valid for zod and Date, refused by PostgreSQL: the year 0000, and past 9999 once in UTC.
    [
      { ...client, 'einmal-hidden-until': '0000-01-01T00:00:00Z' },
      'Client.InvalidHeader',
      'Einmal-Hidden-Until',
    ],
    [
      { ...client, 'einmal-hidden-until': '9999-12-31T23:59:59.999-00:01' },
      'Client.InvalidHeader',
      'Einmal-Hidden-Until',
    ],
    [{ ...client, 'einmal-hidden-reason': 'why' }, 'Client.InvalidHeader', 'Einmal-Hidden-Reason'],
  ])('refuses %j with %s', (headers, code, header) => {
    const error = refusal(headers as Record<string, string>);
    expect(error.code).toBe(code);
    expect(error.message).toContain(header);
  });

  it('never echoes the refused value', () => {
    const error = refusal({ ...client, 'einmal-subject': 'de65402138797' });
    expect(error.message).not.toContain('65402138797');
  });

  it('refuses arbitrary header values only with client error codes', () => {
    const names = Object.values(HEADER);
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...names), fc.string({ unit: 'binary', maxLength: 60 })),
        (headers) => {
          try {
            parse({ ...client, ...headers });
          } catch (error) {
            return error instanceof EinmalError && error.status === 400 && error.code.startsWith('Client.');
          }
          return true;
        },
      ),
    );
  });
});

describe('subjectIdSchema', () => {
  it('accepts the demo citizens and country-prefixed ids', () => {
    expect(subjectIdSchema.safeParse(storyCitizen.id).success).toBe(true);
    expect(subjectIdSchema.safeParse('EE38001085718').success).toBe(true);
    expect(subjectIdSchema.safeParse(`DE${'1'.repeat(33)}`).success).toBe(false);
    expect(subjectIdSchema.safeParse('65402138797').success).toBe(false);
  });
});

describe('client-chosen message ids', () => {
  const munich = 'DEMO/GOV/munich/parking-permits';
  const rosenheim = 'DEMO/GOV/rosenheim/parking-permits';

  it('accepts any id of the safe form, as pr-rest only recommends UUIDs', () => {
    const context = parseClientRequestHeaders(
      (name) => ({ 'x-road-client': munich, 'x-road-id': 'DEMO-client-generated-id-1' })[name],
    );
    expect(context.messageId).toBe('DEMO-client-generated-id-1');
  });

  it('signs and logs a UUID as it is, any other id as a UUID of the client and the id', () => {
    expect(exchangeMessageId(munich, '6F9619FF-8B86-4011-B42D-00C04FC964FF')).toBe(
      '6f9619ff-8b86-4011-b42d-00c04fc964ff',
    );
    const mine = exchangeMessageId(munich, 'DEMO-client-generated-id-1');
    expect(messageIdSchema.parse(mine)).toBe(mine);
    expect(mine[14]).toBe('8');
    expect(exchangeMessageId(munich, 'DEMO-client-generated-id-1')).toBe(mine);
    // The same chosen id of another client is another exchange, never a duplicate of this one.
    expect(exchangeMessageId(rosenheim, 'DEMO-client-generated-id-1')).not.toBe(mine);
    expect(exchangeMessageId(munich, 'DEMO-client-generated-id-2')).not.toBe(mine);
  });
});
