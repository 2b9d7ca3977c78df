import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalRecord } from './index.ts';

describe('canonical JSON (RFC 8785)', () => {
  it('serialises the RFC 8785 §3.2.2 example exactly', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts members by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const expected = [
      ['\r', 'Carriage Return'],
      ['1', 'One'],
      ['\u0080', 'Control'],
      ['\u00f6', 'Latin Small Letter O With Diaeresis'],
      ['\u20ac', 'Euro Sign'],
      ['\ud83d\ude00', 'Emoji: Grinning Face'],
      ['\ufb33', 'Hebrew Letter Dalet With Dagesh'],
    ].map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
    expect(canonicalJson(input)).toBe(`{${expected.join(',')}}`);
  });

  it('encodes a record as UTF-8 bytes of its canonical text, nested objects sorted too', () => {
    const bytes = canonicalRecord({ z: { b: 2, a: 1 }, a: 'München', n: -0, skipped: undefined });
    expect(Buffer.from(bytes).toString('utf8')).toBe('{"a":"München","n":0,"z":{"a":1,"b":2}}');
    expect(bytes.byteLength).toBe(40); // 39 characters, ü takes two bytes
  });

  it('does not depend on member order, and round-trips through JSON.parse', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalJson(reverseMembers(value))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what canonical JSON cannot represent, with Audit.InvalidRecord', () => {
    for (const bad of [
      { n: Number.NaN },
      { n: Number.POSITIVE_INFINITY },
      { s: 'lone \ud800 surrogate' },
      { '\udc00': 'lone surrogate key' },
      { list: [1, undefined] },
      { big: 1n },
      { when: new Date(0) },
      { f: () => 1 },
    ]) {
      expect(() => canonicalRecord(bad as Record<string, unknown>)).toThrow(
        expect.objectContaining({ code: 'Audit.InvalidRecord' }),
      );
    }
    // The refusal names where in the value the problem is.
    expect(() => canonicalJson({ a: { ok: 1, b: [1, Number.NaN] } })).toThrow(
      expect.objectContaining({ detail: { path: '$.a.b[1]', reason: 'numbers must be finite' } }),
    );
    expect(() => canonicalJson({ a: [{ '\udc00': 1 }] })).toThrow(
      expect.objectContaining({ detail: { path: '$.a[0]', reason: 'strings must be well-formed Unicode' } }),
    );
    expect(() => canonicalRecord([] as never)).toThrow(
      expect.objectContaining({ code: 'Audit.InvalidRecord' }),
    );
  });
});

function reverseMembers(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseMembers);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).reverse();
    return Object.fromEntries(entries.map(([key, member]) => [key, reverseMembers(member)]));
  }
  return value;
}
