import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditRecordSchema } from '../../schemas/index.ts';
import { bundleRecordLineSchema } from './bundle-format.ts';
import { validateAuditRecord, validateRecordLine } from './record-validate.ts';

const valid: Record<string, unknown> = {
  logTime: '2026-05-01T10:00:00.123Z',
  messageId: '0f6b7c2e-1d2a-4b3c-8d4e-5f6a7b8c9d0e',
  side: 'consumer',
  gateway: 'DEMO/GOV/munich/gw1',
  client: 'DEMO/GOV/munich/parking-permits',
  service: 'DEMO/GOV/residents-office/register/address/v1',
  method: 'GET',
  path: '/address',
  subject: 'DE65402138797',
  userId: 'clerk-7',
  issue: 'permit-2026-17',
  purpose: 'parking-permit',
  legalBasis: 'de-bmg-34',
  consentRef: null,
  hiddenUntil: null,
  hiddenReason: null,
  status: 200,
  outcome: 'ok',
  errorCode: null,
  requestDigest: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
  responseDigest: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
  requestSignature: 'eyJhbGciOiJFUzI1NiJ9.eyJ2IjoxfQ.c2ln',
  responseSignature: null,
  eidDigest: null,
};
const fields = Object.keys(valid);

/** Values near the edges of what the record's fields accept. */
const edges: unknown[] = [
  null,
  undefined,
  0,
  -0,
  99,
  100,
  599,
  600,
  200.5,
  1e300,
  Number.NaN,
  true,
  '',
  '.',
  '..',
  'a',
  'A',
  'GET',
  'get',
  '/',
  '/a b',
  '/a?b',
  'x',
  'ok',
  'rejected',
  'failed',
  'consumer',
  'provider',
  'Client.InvalidHeader',
  'toString',
  '__proto__',
  'DE1234',
  'DE123',
  'de1234',
  'DEMO/GOV/munich',
  'DEMO/GOV/munich/gw1',
  'DEMO/GOV/./gw1',
  'DEMO/GOV/../gw1',
  'DEMO/GOV/.../gw1',
  'DEMO/GOV/a%2Fb/gw1',
  'DEMO/GOV/a%41/gw1',
  'DEMO/GOV/munich/gw1/',
  'DEMO//munich/gw1',
  'DEMO/GOV/munich/s/svc',
  'DEMO/GOV/munich/s/svc/v1/x',
  'DEMO/GOV/munich/s/svc/v1',
  'DEMO/GOV/munich/s/svc-v1',
  'DEMO/GOV/munich/s/svc/%761',
  `DEMO/GOV/${'m'.repeat(64)}/gw1`,
  `DEMO/GOV/${'m'.repeat(65)}/gw1`,
  '0F6B7C2E-1D2A-4B3C-8D4E-5F6A7B8C9D0E',
  '0f6b7c2e-1d2a-9b3c-8d4e-5f6a7b8c9d0e',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  ' 0f6b7c2e-1d2a-4b3c-8d4e-5f6a7b8c9d0e',
  '2026-05-01T10:00:00Z',
  '2026-05-01T10:00:00+02:00',
  '2026-02-29T10:00:00Z',
  '2024-02-29T10:00:00Z',
  '2026-05-01 10:00:00Z',
  '2026-05-01T10:00Z',
  'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
  'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCg',
  'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg',
  'a.b.c',
  'a.b.',
  'a.b.c.d',
  `a.b.${'c'.repeat(8188)}`,
  `a.b.${'c'.repeat(8189)}`,
  'parking:permit/2',
  '-parking',
  'tab\there',
  'x'.repeat(200),
  'x'.repeat(201),
  'ümlaut',
  'bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=',
  'bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB1=',
];
const edgy = fc.oneof(
  { arbitrary: fc.constantFrom(...edges), weight: 4 },
  fc.string({ maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('A', 'z', '0', '.', '/', '-', '_', '%', ' ', ':', '=', '+'),
    maxLength: 70,
  }),
  fc.integer(),
  fc.double(),
  fc.anything({ maxDepth: 1 }),
);

/** A record mutated at a few fields: a field set to an edge value, removed, or one added. */
const mutatedRecord = fc
  .array(
    fc.oneof(
      fc.record({ kind: fc.constant('set' as const), field: fc.constantFrom(...fields), value: edgy }),
      fc.record({ kind: fc.constant('delete' as const), field: fc.constantFrom(...fields) }),
      fc.record({ kind: fc.constant('add' as const), field: fc.string({ maxLength: 12 }), value: edgy }),
    ),
    { minLength: 0, maxLength: 3 },
  )
  .map((mutations) => {
    const record: Record<string, unknown> = { ...valid };
    for (const m of mutations) {
      if (m.kind === 'delete') delete record[m.field];
      else
        Object.defineProperty(record, m.field, {
          value: m.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return record;
  });

/** Round-trips through JSON, as the verifier only ever sees parsed JSON. */
const asJson = (value: unknown): unknown => {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
};

function agreeOnRecord(value: unknown): void {
  const expected = auditRecordSchema.safeParse(structuredClone(value));
  const actual = validateAuditRecord(structuredClone(value));
  expect(actual !== undefined).toBe(expected.success);
  if (expected.success) expect(actual).toEqual(expected.data);
}

describe('validateAuditRecord accepts exactly what auditRecordSchema accepts', () => {
  it('accepts a valid record and lower-cases its message id as the schema does', () => {
    expect(validateAuditRecord({ ...valid })).toEqual(valid);
    const upper = { ...valid, messageId: String(valid.messageId).toUpperCase() };
    expect(validateAuditRecord(upper)?.messageId).toBe(valid.messageId);
  });

  it('agrees on every edge value in every field', () => {
    for (const field of fields) {
      for (const value of edges) agreeOnRecord(asJson({ ...valid, [field]: value }));
      const { [field]: _removed, ...without } = valid;
      agreeOnRecord(without);
    }
  });

  it('agrees on mutated records', () => {
    fc.assert(
      fc.property(mutatedRecord, (record) => agreeOnRecord(asJson(record))),
      { numRuns: 5_000 },
    );
  });

  it('agrees on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => agreeOnRecord(value)),
      { numRuns: 2_000 },
    );
  });
});

describe('validateRecordLine accepts exactly what bundleRecordLineSchema accepts', () => {
  const line = fc.record(
    {
      index: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER + 1), edgy),
      canonical: fc.oneof(fc.string({ maxLength: 4 }), edgy),
      leaf: edgy,
      extra: edgy,
    },
    { requiredKeys: [] },
  );
  it('agrees on arbitrary and near-valid lines', () => {
    fc.assert(
      fc.property(fc.oneof(line, fc.jsonValue()), (raw) => {
        const value = asJson(raw);
        const expected = bundleRecordLineSchema.safeParse(value);
        const actual = validateRecordLine(value);
        expect(actual !== undefined).toBe(expected.success);
        if (expected.success) expect(actual).toEqual(expected.data);
      }),
      { numRuns: 5_000 },
    );
  });
});
