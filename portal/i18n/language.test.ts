import { describe, expect, it } from 'vitest';
import { chooseLanguage } from './language.ts';
import { calendarDaySchema, nextDay, startOfDay } from './time-zone.ts';

describe('the language of a page', () => {
  it('follows the switch first, then Accept-Language by weight, then German', () => {
    expect(chooseLanguage('en', 'de-DE,de;q=0.9')).toBe('en');
    expect(chooseLanguage(undefined, 'en-GB,en;q=0.9,de;q=0.8')).toBe('en');
    expect(chooseLanguage(undefined, 'fr-FR, de;q=0.5, en;q=0.7')).toBe('en');
    expect(chooseLanguage(undefined, 'de-AT')).toBe('de');
    expect(chooseLanguage(undefined, 'fr, it')).toBe('de');
    expect(chooseLanguage(undefined, undefined)).toBe('de');
  });

  it('ignores what it does not understand', () => {
    expect(chooseLanguage('klingon', 'en;q=0, de;q=1')).toBe('de');
    expect(chooseLanguage(undefined, 'en;q=banana')).toBe('en');
    expect(chooseLanguage(undefined, `${'x,'.repeat(1000)}en`)).toBe('de');
  });
});

describe('days in the portal’s time zone', () => {
  it('starts a day at local midnight, also on the days the clocks change', () => {
    expect(startOfDay('2026-01-15', 'Europe/Berlin').toISOString()).toBe('2026-01-14T23:00:00.000Z');
    expect(startOfDay('2026-07-15', 'Europe/Berlin').toISOString()).toBe('2026-07-14T22:00:00.000Z');
    expect(startOfDay('2026-03-29', 'Europe/Berlin').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfDay('2026-10-25', 'Europe/Berlin').toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(startOfDay('2026-07-15', 'UTC').toISOString()).toBe('2026-07-15T00:00:00.000Z');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
  });
});

it('reads only calendar days that exist', () => {
  for (const day of ['2026-02-28', '2028-02-29', '1999-12-31'])
    expect(calendarDaySchema.safeParse(day).success, day).toBe(true);
  for (const day of [
    '2026-02-30',
    '2026-13-01',
    '0000-01-01',
    '2026-1-1',
    '2026-01-01T00:00',
    '9999-99-99',
    '',
  ]) {
    expect(calendarDaySchema.safeParse(day).success, day).toBe(false);
  }
});
