import { LANGUAGES, type Language } from './messages.ts';

/** The cookie that keeps a language chosen with the switch. */
export const LANGUAGE_COOKIE = 'einmal-lang';

const isLanguage = (value: string | undefined): value is Language =>
  value !== undefined && (LANGUAGES as readonly string[]).includes(value);

/**
 * The language to answer in: the one chosen with the switch (cookie), else the best match of
 * `Accept-Language` (RFC 9110 §12.5.4, by weight and order), else German.
 *
 * @example
 * chooseLanguage(undefined, 'en-GB,en;q=0.9,de;q=0.8'); // 'en'
 */
export function chooseLanguage(chosen: string | undefined, acceptLanguage: string | undefined): Language {
  if (isLanguage(chosen)) return chosen;
  const ranges = (acceptLanguage ?? '')
    .slice(0, 512)
    .split(',')
    .map((part, order) => {
      const [range = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return {
        primary: range.trim().toLowerCase().split('-')[0],
        weight: q === undefined ? 1 : Number(q),
        order,
      };
    })
    .filter((r) => r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.order - b.order);
  for (const range of ranges) if (isLanguage(range.primary)) return range.primary;
  return 'de';
}
