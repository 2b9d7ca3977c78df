import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EinmalError } from '../core/errors/index.ts';
import { parseServicePath, printServiceId } from './index.ts';

const base = 'DEMO/GOV/residents-office/register/address';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EinmalError);
    return (error as EinmalError).code;
  }
  return 'accepted';
}

describe('parseServicePath', () => {
  it.each([
    [base, `${base}`, '/'],
    [`${base}/`, base, '/'],
    [`${base}-v1`, `${base}-v1`, '/'],
    [`${base}-v1/`, `${base}-v1`, '/'],
    // X-Road reads what follows the service code as the endpoint path, never as a version.
    [`${base}/v1`, base, '/v1'],
    [`${base}-v2/residents/DE65402138797`, `${base}-v2`, '/residents/DE65402138797'],
    [`${base}/residents/DE65402138797`, base, '/residents/DE65402138797'],
    [`${base}-v1/a%20b/c%3Fd`, `${base}-v1`, '/a%20b/c%3Fd'],
    [`${base}-v1/files/`, `${base}-v1`, '/files/'],
  ])('splits %j', (rest, service, path) => {
    const parsed = parseServicePath(rest);
    expect(printServiceId(parsed.service)).toBe(service);
    expect(parsed.path).toBe(path);
  });

  it.each([
    [`${base}/v1/../admin`, 'Client.InvalidPath'],
    [`${base}/v1/./x`, 'Client.InvalidPath'],
    [`${base}/v1/%2e%2e/admin`, 'Client.InvalidPath'],
    [`${base}/v1/.%2E`, 'Client.InvalidPath'],
    [`${base}/v1/a%2Fb`, 'Client.InvalidPath'],
    [`${base}/v1/a%2fb`, 'Client.InvalidPath'],
    [`${base}/v1/a%5Cb`, 'Client.InvalidPath'],
    [`${base}/v1/a\\b`, 'Client.InvalidPath'],
    [`${base}/v1/a%0d%0aX-Injected:1`, 'Client.InvalidPath'],
    [`${base}/v1/a%zz`, 'Client.InvalidPath'],
    [`${base}/v1//a`, 'Client.InvalidPath'],
    [`${base}/v1/a?b=c`, 'Client.InvalidPath'],
    ['DEMO/GOV/residents-office/register', 'Client.InvalidIdentifier'],
    ['DEMO/GOV/../register/address', 'Client.InvalidIdentifier'],
    ['DEMO/GOV/residents-office/reg%2Fister/address', 'Client.InvalidIdentifier'],
    ['', 'Client.InvalidIdentifier'],
  ])('refuses %j with %s', (rest, code) => {
    expect(codeOf(() => parseServicePath(rest))).toBe(code);
  });

  it('never lets a dot segment or encoded slash through, and fails only with its two codes', () => {
    const segment = fc.oneof(
      fc.constantFrom('..', '.', '%2e', '%2E%2e', '%2F', 'a%2fb', '', 'v1', 'x', '%00', '%', 'DE65402138797'),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (tail) => {
        const rest = [base, ...tail].join('/');
        try {
          const { path } = parseServicePath(rest);
          const decoded = path.split('/').map((s) => decodeURIComponent(s));
          return (
            path.startsWith('/') && !decoded.includes('..') && !decoded.includes('.') && !/%2f/i.test(path)
          );
        } catch (error) {
          return (
            error instanceof EinmalError &&
            ['Client.InvalidPath', 'Client.InvalidIdentifier'].includes(error.code)
          );
        }
      }),
    );
  });

  it.each([
    ['DEMO/GOV/residents-office/register/%61ddress-v1', '/r1/DEMO/GOV/residents-office/register/address-v1'],
    [
      '%44EMO/GOV/residents-office/register/address-%761',
      '/r1/DEMO/GOV/residents-office/register/address-v1',
    ],
    [`${base}-v1/`, `/r1/${base}-v1`],
    [`${base}/v1/residents/%44E65402138797`, `/r1/${base}/v1/residents/DE65402138797`],
    [`${base}/v1/a%7eb/c%2db`, `/r1/${base}/v1/a~b/c-b`],
    [`${base}/v1/a%3fb/c%3Ad`, `/r1/${base}/v1/a%3Fb/c%3Ad`],
    [`${base}/v1/a b/"q"`, `/r1/${base}/v1/a%20b/%22q%22`],
    [`${base}/v1/caf\u00c3\u00a9`, `/r1/${base}/v1/caf%C3%A9`],
    [`${base}/v1/x;y=1/(z)`, `/r1/${base}/v1/x;y=1/(z)`],
  ])('brings %j to its one canonical form', (rest, canonical) => {
    expect(parseServicePath(rest).canonical).toBe(canonical);
  });

  it('gives every spelling of a path one canonical form, which is its own canonical form', () => {
    // A segment as tokens: unreserved characters (which may be spelt percent-encoded, in either
    // case) and characters that stay as they are or stay encoded.
    const token = fc.oneof(
      fc.record({ char: fc.constantFrom(...'abcXYZ019-._~'), encode: fc.boolean(), upper: fc.boolean() }),
      fc.record({
        char: fc.constantFrom('%3F', '%3f', '%20', '!', '@', '('),
        encode: fc.constant(false),
        upper: fc.constant(false),
      }),
    );
    const spell = (tokens: { char: string; encode: boolean; upper: boolean }[], alias: boolean) =>
      tokens
        .map(({ char, encode, upper }) => {
          if (!alias || !encode) return char.startsWith('%') ? `%${char.slice(1).toUpperCase()}` : char;
          const hex = char.charCodeAt(0).toString(16);
          return `%${upper ? hex.toUpperCase() : hex}`;
        })
        .join('');
    fc.assert(
      fc.property(fc.array(fc.array(token, { minLength: 1, maxLength: 6 }), { maxLength: 4 }), (tail) => {
        const plain = [base, 'v1', ...tail.map((t) => spell(t, false))].join('/');
        const alias = [base, 'v1', ...tail.map((t) => spell(t, true))].join('/');
        let expected: string;
        try {
          expected = parseServicePath(plain).canonical;
        } catch (error) {
          // Dot segments are refused in every spelling.
          expect(codeOf(() => parseServicePath(alias))).toBe((error as EinmalError).code);
          return;
        }
        expect(expected).toBe(`/r1/${plain}`);
        const canonical = parseServicePath(alias).canonical;
        expect(canonical).toBe(expected);
        expect(parseServicePath(canonical.slice('/r1/'.length)).canonical).toBe(canonical);
      }),
    );
  });
});
