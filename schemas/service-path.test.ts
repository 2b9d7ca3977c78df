import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EinmalError } from '../core/index.ts';
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
    [`${base}/v1`, `${base}/v1`, '/'],
    [`${base}/v1/`, `${base}/v1`, '/'],
    [`${base}/v2.1/residents/DE65402138797`, `${base}/v2.1`, '/residents/DE65402138797'],
    [`${base}/residents/DE65402138797`, base, '/residents/DE65402138797'],
    [`${base}/version1/x`, base, '/version1/x'],
    [`${base}/v1/a%20b/c%3Fd`, `${base}/v1`, '/a%20b/c%3Fd'],
    [`${base}/v1/files/`, `${base}/v1`, '/files/'],
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
});
