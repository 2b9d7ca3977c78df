import { EinmalError } from '../../core/errors/index.ts';

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
    throw new EinmalError('Client.InvalidBody', { message: 'The request is nested too deeply' });
  if (values.some((value) => subject === null || value !== subject)) {
    throw new EinmalError('Adapter.SubjectMismatch', { detail: 'request names another subject' });
  }
}

/**
 * Refuses to release a response about anyone but the verified subject: every `subject` field in the
 * output must equal it. A violation is a bug in the adapter, so the caller learns nothing more.
 */
export function assertResponseAboutSubject(output: unknown, subject: string | null): void {
  const values = collectSubjectValues(output, RESPONSE_SUBJECT_FIELDS);
  if (values === null || values.some((value) => subject === null || value !== subject)) {
    throw new EinmalError('Adapter.SubjectMismatch', { detail: 'response names another subject' });
  }
}
