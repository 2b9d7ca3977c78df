import { EinmalError } from '../../core/errors/index.ts';
import type { PersonPaths } from './person-paths.ts';

/** Field names that name a data subject in a request. */
const REQUEST_SUBJECT_FIELDS = new Set(['subject', 'personId']);
/** Field names that name a data subject in a response. */
const RESPONSE_SUBJECT_FIELDS = new Set(['subject']);
/** Deeper than any sane request; beyond it, refuse rather than miss a field. */
const MAX_DEPTH = 32;

/**
 * Every value of a subject-naming field anywhere in `value` (objects and arrays, at any depth).
 * Returns null when the structure is too deep to inspect.
 */
function collectSubjectValues(value: unknown, fields: ReadonlySet<string>): unknown[] | null {
  const found: unknown[] = [];
  const visit = (node: unknown, depth: number): boolean => {
    if (depth > MAX_DEPTH) return false;
    if (Array.isArray(node)) return node.every((item) => visit(item, depth + 1));
    if (node === null || typeof node !== 'object') return true;
    for (const [key, child] of Object.entries(node)) {
      if (fields.has(key)) found.push(child);
      if (!visit(child, depth + 1)) return false;
    }
    return true;
  };
  return visit(value, 0) ? found : null;
}

/**
 * Refuses a request that asks about anyone but the verified subject: every `subject` or `personId`
 * field in the input must equal it (and without a verified subject, there may be none).
 */
export function assertRequestAboutSubject(input: unknown, subject: string | null): void {
  const values = collectSubjectValues(input, REQUEST_SUBJECT_FIELDS);
  if (values === null)
    throw new EinmalError('Client.InvalidBody', {
      message: 'The request is nested too deeply',
      detail: { reason: 'request nested too deeply to check' },
    });
  if (values.some((value) => subject === null || value !== subject)) {
    throw new EinmalError('Adapter.SubjectMismatch', {
      detail: { reason: 'the request names another subject' },
    });
  }
}

/**
 * Refuses to release a response about anyone but the verified subject: every value at a path the
 * service declared (`personIds`, e.g. `licences[].holderId`) and every `subject` field anywhere must
 * equal it. A violation is a bug in the adapter: the answer is withheld (500
 * `Adapter.ResponseWithheld`), the log says where, and the caller learns nothing more.
 */
export function assertResponseAboutSubject(
  output: unknown,
  subject: string | null,
  personIds: PersonPaths,
): void {
  const named = collectSubjectValues(output, RESPONSE_SUBJECT_FIELDS);
  if (named === null) {
    throw new EinmalError('Adapter.ResponseWithheld', {
      detail: { reason: 'response nested too deeply to check' },
    });
  }
  const declared = personIds.valuesIn(output);
  const others = [...declared, ...named].filter((value) => subject === null || value !== subject);
  if (others.length > 0) {
    throw new EinmalError('Adapter.ResponseWithheld', {
      detail: {
        reason: 'the handler answered about another person; response withheld',
        personIds: personIds.declared,
        otherValues: others.length,
      },
    });
  }
}
