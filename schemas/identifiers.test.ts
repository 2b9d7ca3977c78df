import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EinmalError } from '../core/errors/index.ts';
import {
  clientIdSchema,
  clientOfService,
  currentServiceId,
  gatewayIdSchema,
  isServiceVersion,
  memberIdSchema,
  memberOf,
  memberUrn,
  parseClientId,
  parseGatewayId,
  parseLegacyServiceId,
  parseMemberId,
  parseMemberUrn,
  parseServiceId,
  parseSubsystemId,
  printClientId,
  printedClientIdSchema,
  printedLegacyServiceIdSchema,
  printedServiceIdSchema,
  printGatewayId,
  printMemberId,
  printServiceId,
  printSubsystemId,
  sameClient,
  sameMember,
  serviceIdSchema,
  subsystemIdSchema,
  versionedServiceCode,
} from './index.ts';

const partChars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-'.split('');
const part = fc
  .array(fc.constantFrom(...partChars), { minLength: 1, maxLength: 64 })
  .map((chars) => chars.join(''))
  .filter((p) => p !== '.' && p !== '..');
const parts = (n: number) => fc.array(part, { minLength: n, maxLength: n }).map((list) => list.join('/'));

const kinds = [
  { name: 'member', parse: parseMemberId, print: printMemberId, valid: parts(3) },
  { name: 'client', parse: parseClientId, print: printClientId, valid: fc.oneof(parts(3), parts(4)) },
  { name: 'subsystem', parse: parseSubsystemId, print: printSubsystemId, valid: parts(4) },
  { name: 'service', parse: parseServiceId, print: printServiceId, valid: parts(5) },
  { name: 'gateway', parse: parseGatewayId, print: printGatewayId, valid: parts(4) },
] as const;

function refusal(run: () => unknown): EinmalError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EinmalError);
    return error as EinmalError;
  }
  throw new Error('expected a refusal');
}

describe.each(kinds)('$name identifiers', ({ parse, print, valid }) => {
  it('print(parse(x)) returns x for every valid identifier', () => {
    fc.assert(fc.property(valid, (text) => print(parse(text) as never) === text));
  });

  it('any string either parses or is refused with Client.InvalidIdentifier', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 120 }),
      fc
        .array(fc.oneof(part, fc.constantFrom('', '.', '..', '%2F', '%2f', '%', '%zz', '%00', 'a b', 'ä')), {
          maxLength: 8,
        })
        .map((list) => list.join('/')),
    );
    fc.assert(
      fc.property(hostile, (text) => {
        try {
          parse(text);
        } catch (error) {
          return error instanceof EinmalError && error.code === 'Client.InvalidIdentifier';
        }
        return true;
      }),
    );
  });
});

describe('identifier refusals', () => {
  it.each([
    ['DEMO/GOV/..', '"..'],
    ['DEMO/./munich', '"."'],
    ['DEMO/GOV/mu%2Fnich', 'encoded slash'],
    ['DEMO/GOV/mu%2fnich', 'encoded slash'],
    ['DEMO/GOV/mu\u0007nich', 'control character'],
    ['DEMO/GOV/mu%0Anich', 'control character'],
    [`DEMO/GOV/${'a'.repeat(65)}`, 'longer than 64'],
    ['DEMO//munich', 'empty'],
    ['DEMO/GOV/', 'empty'],
    ['DEMO/GOV', 'form INSTANCE/CLASS/MEMBER'],
    ['DEMO/GOV/munich/extra', 'form INSTANCE/CLASS/MEMBER'],
    ['DEMO/GOV/m%zz', 'percent-encoding'],
    ['DEMO/GOV/münchen', 'may only contain'],
    ['DEMO/GOV/mu nich', 'may only contain'],
  ])('refuses member %j (%s)', (text, reason) => {
    const error = refusal(() => parseMemberId(text));
    expect(error.code).toBe('Client.InvalidIdentifier');
    expect(error.message).toContain(reason);
  });

  it('refuses wrong part counts for each kind', () => {
    expect(refusal(() => parseClientId('DEMO/GOV/munich/a/b')).message).toContain('[/SUBSYSTEM]');
    expect(refusal(() => parseSubsystemId('DEMO/GOV/munich')).code).toBe('Client.InvalidIdentifier');
    expect(refusal(() => parseServiceId('DEMO/GOV/munich/register')).code).toBe('Client.InvalidIdentifier');
    // X-Road's service ids have five parts; a sixth (the version of before) is refused.
    expect(refusal(() => parseServiceId('DEMO/GOV/m/r/s/v1')).message).toContain('SERVICECODE');
    expect(refusal(() => parseGatewayId('DEMO/GOV/munich')).code).toBe('Client.InvalidIdentifier');
  });

  it('refuses non-strings without a TypeError', () => {
    expect(refusal(() => parseMemberId(42 as never)).code).toBe('Client.InvalidIdentifier');
  });

  it('decodes each part on its own', () => {
    expect(parseMemberId('DEMO/GOV/%6Dunich')).toEqual({
      instance: 'DEMO',
      memberClass: 'GOV',
      memberCode: 'munich',
    });
  });
});

describe('identifier zod schemas', () => {
  it('parse the text form into objects', () => {
    expect(serviceIdSchema.parse('DEMO/GOV/residents-office/register/address-v1')).toEqual({
      instance: 'DEMO',
      memberClass: 'GOV',
      memberCode: 'residents-office',
      subsystemCode: 'register',
      serviceCode: 'address-v1',
    });
    expect(clientIdSchema.parse('DEMO/GOV/munich')).not.toHaveProperty('subsystemCode');
    expect(gatewayIdSchema.parse('DEMO/GOV/munich/gw1').serverCode).toBe('gw1');
    expect(subsystemIdSchema.parse('DEMO/GOV/munich/parking-permits').subsystemCode).toBe('parking-permits');
  });

  it('report zod issues instead of throwing', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        for (const schema of [
          memberIdSchema,
          clientIdSchema,
          subsystemIdSchema,
          serviceIdSchema,
          gatewayIdSchema,
        ]) {
          const result = schema.safeParse(text);
          if (!result.success && result.error.issues.length === 0) return false;
        }
        return true;
      }),
    );
    const result = memberIdSchema.safeParse('DEMO/GOV/..');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('".."');
    expect(memberIdSchema.safeParse(7).success).toBe(false);
  });

  it('printed schemas accept only the canonical spelling', () => {
    expect(printedClientIdSchema.parse('DEMO/GOV/munich/parking-permits')).toBe(
      'DEMO/GOV/munich/parking-permits',
    );
    expect(printedClientIdSchema.safeParse('DEMO/GOV/%6Dunich').success).toBe(false);
    expect(printedClientIdSchema.safeParse('DEMO/GOV/../x').success).toBe(false);
  });
});

describe('service ids written before five parts', () => {
  it('read a six-part id as the five-part id with the version in the service code', () => {
    expect(parseLegacyServiceId('DEMO/GOV/residents-office/register/address/v1').serviceCode).toBe(
      'address-v1',
    );
    expect(currentServiceId('DEMO/GOV/residents-office/register/address/v1')).toBe(
      'DEMO/GOV/residents-office/register/address-v1',
    );
    expect(currentServiceId('DEMO/GOV/residents-office/register/address-v1')).toBe(
      'DEMO/GOV/residents-office/register/address-v1',
    );
    expect(refusal(() => parseLegacyServiceId('DEMO/GOV/m/r/s/v1/x')).code).toBe('Client.InvalidIdentifier');
  });

  it('keep both spellings storable in records, each only canonical', () => {
    expect(printedLegacyServiceIdSchema.parse('DEMO/GOV/m/r/address/v1')).toBe('DEMO/GOV/m/r/address/v1');
    expect(printedLegacyServiceIdSchema.parse('DEMO/GOV/m/r/address-v1')).toBe('DEMO/GOV/m/r/address-v1');
    expect(printedLegacyServiceIdSchema.safeParse('DEMO/GOV/m/r/address/%761').success).toBe(false);
    expect(printedLegacyServiceIdSchema.safeParse('DEMO/GOV/m/r/a/v1/x').success).toBe(false);
    expect(printedServiceIdSchema.safeParse('DEMO/GOV/m/r/address/v1').success).toBe(false);
  });

  it('name a version in the service code as `<code>-v<major>`', () => {
    expect(versionedServiceCode('address', 'v1')).toBe('address-v1');
    expect(isServiceVersion('v2')).toBe(true);
    expect(isServiceVersion('v2.1')).toBe(false);
  });
});

describe('identifier relations', () => {
  const service = parseServiceId('DEMO/GOV/residents-office/register/address-v1');

  it('finds the member and the providing subsystem of a service', () => {
    expect(printMemberId(memberOf(service))).toBe('DEMO/GOV/residents-office');
    expect(memberOf(service)).not.toHaveProperty('serviceCode');
    expect(printSubsystemId(clientOfService(service))).toBe('DEMO/GOV/residents-office/register');
  });

  it('compares members and clients', () => {
    const munich = parseClientId('DEMO/GOV/munich/parking-permits');
    expect(sameMember(munich, parseGatewayId('DEMO/GOV/munich/gw1'))).toBe(true);
    expect(sameMember(munich, service)).toBe(false);
    expect(sameClient(munich, parseClientId('DEMO/GOV/munich/parking-permits'))).toBe(true);
    expect(sameClient(munich, parseClientId('DEMO/GOV/munich'))).toBe(false);
  });

  it('round-trips member URNs and refuses malformed ones', () => {
    fc.assert(
      fc.property(parts(3), (text) => printMemberId(parseMemberUrn(memberUrn(parseMemberId(text)))) === text),
    );
    expect(memberUrn(parseMemberId('DEMO/GOV/munich'))).toBe('urn:einmal:DEMO:GOV:munich');
    for (const urn of [
      'urn:other:DEMO:GOV:munich',
      'urn:einmal:DEMO:GOV',
      'urn:einmal:DEMO:GOV:munich:x',
      'urn:einmal:DEMO:GOV:..',
      'urn:einmal:DEMO:GOV:%6Dunich',
    ]) {
      expect(refusal(() => parseMemberUrn(urn)).code).toBe('Client.InvalidIdentifier');
    }
  });
});
