import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  auditRecordSchema,
  canonicalInstantSchema,
  EARLIEST_INSTANT,
  hasControlCharacter,
  instantSchema,
  LATEST_INSTANT,
} from './index.ts';

const recordTime = auditRecordSchema.shape.logTime;

describe('instantSchema', () => {
  it.each([
    ['2026-07-01T12:00:00+02:00', '2026-07-01T10:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0000-12-31T23:00:00-01:00', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['2026-05-01T10:00:00.123456Z', '2026-05-01T10:00:00.123Z'],
  ])('accepts %s as %s', (text, normalised) => {
    expect(instantSchema.parse(text)).toBe(normalised);
  });

  it.each([
    '0000-01-01T00:00:00Z',
    '0000-12-31T23:59:59.999Z',
    '0001-01-01T00:30:00+01:00',
    '9999-12-31T23:59:59.999-00:01',
    '+010000-01-01T00:00:00.000Z',
    '2026-05-01',
    '2026-05-01T10:00:00',
    '2026-02-30T10:00:00Z',
    '',
  ])('refuses %j', (text) => {
    expect(instantSchema.safeParse(text).success).toBe(false);
  });

  it('accepts only what the record schema takes, normalised, within the years 0001–9999', () => {
    const around = fc.oneof(
      fc.integer({ min: EARLIEST_INSTANT - 86_400_000 * 2, max: EARLIEST_INSTANT + 86_400_000 * 2 }),
      fc.integer({ min: LATEST_INSTANT - 86_400_000 * 2, max: LATEST_INSTANT + 86_400_000 * 2 }),
      fc.integer({ min: -8.64e15, max: 8.64e15 }),
    );
    const offset = fc.constantFrom('Z', '+00:00', '+14:00', '-12:00', '+05:30', '-00:01');
    fc.assert(
      fc.property(around, offset, (ms, zone) => {
        const iso = new Date(ms).toISOString();
        // The same instant written in another zone, as a caller may write it.
        const shift =
          zone === 'Z'
            ? 0
            : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4))) * 60_000;
        const texts =
          Math.abs(ms + shift) <= 8.64e15
            ? [iso, new Date(ms + shift).toISOString().replace('Z', zone)]
            : [iso];
        for (const text of texts) {
          const parsed = instantSchema.safeParse(text);
          if (!/^\d{4}-/.test(text)) {
            expect(parsed.success).toBe(false);
            continue;
          }
          const inRange = ms >= EARLIEST_INSTANT && ms <= LATEST_INSTANT;
          expect(parsed.success, text).toBe(inRange && recordTime.safeParse(text).success);
          if (parsed.success) {
            expect(parsed.data).toBe(iso);
            expect(recordTime.safeParse(parsed.data).success).toBe(true);
            expect(canonicalInstantSchema.safeParse(parsed.data).success).toBe(true);
          }
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('keeps a signed instant only in its one spelling', () => {
    expect(canonicalInstantSchema.safeParse('2026-07-01T10:00:00.000Z').success).toBe(true);
    expect(canonicalInstantSchema.safeParse('2026-07-01T10:00:00Z').success).toBe(false);
    expect(canonicalInstantSchema.safeParse('2026-07-01T12:00:00.000+02:00').success).toBe(false);
  });
});

describe('hasControlCharacter', () => {
  it('finds NUL, other C0 and C1 controls and DEL, and nothing else', () => {
    for (const text of ['a\u0000b', '\t', '\r\n', '\u001f', '\u007f', '\u0085', '\u009f']) {
      expect(hasControlCharacter(text)).toBe(true);
    }
    for (const text of ['', 'abc', 'München', 'a b', '\u00a0', '😀'])
      expect(hasControlCharacter(text)).toBe(false);
  });
});
