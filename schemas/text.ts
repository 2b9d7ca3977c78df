import { z } from 'zod';
import { hasControlCharacter } from './instant.ts';

/** A name or title: one line, no control characters (PostgreSQL text cannot even hold NUL). */
export const nameSchema = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => !hasControlCharacter(value), 'Must not contain control characters');
/** Prose for people: may run over lines, but holds no other control character. */
export const proseSchema = (max: number) =>
  z
    .string()
    .max(max)
    .refine(
      (value) => !hasControlCharacter(value.replace(/[\t\n\r]/g, '')),
      'Must not contain control characters other than line breaks and tabs',
    );
