import { z } from 'zod';
import { EinmalError } from '../../core/index.ts';

/** A building permit as the building authority's own HTTP/JSON API returns it. */
const upstreamPermitSchema = z.object({
  permitNumber: z.string().regex(/^BP-\d{4}-\d{3,6}$/),
  site: z.object({ street: z.string().max(200), houseNumber: z.string().max(20), city: z.string().max(100) }),
  project: z.string().max(500),
  status: z.enum(['submitted', 'in-review', 'granted', 'refused', 'withdrawn']),
  decidedOn: z.iso.date().nullable(),
});

/** The authority's answer to `GET /v2/applicants/{personId}/permits`. */
const upstreamAnswerSchema = z.object({
  applicant: z.object({ personId: z.string().max(64) }),
  permits: z.array(upstreamPermitSchema).max(500),
});

export type UpstreamAnswer = z.output<typeof upstreamAnswerSchema>;

export interface UpstreamSettings {
  /** Base URL of the authority's API, e.g. `https://permits.internal.example/api`. */
  readonly baseUrl: string;
  /** The API token the authority issued to this adapter (sent as a bearer token). */
  readonly token: string;
  /** How long one call may take before the adapter answers 503 (default 5000 ms). */
  readonly timeoutMs?: number;
}

/** Largest upstream answer read; a register that answers more is broken, not busy. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * The building authority's existing HTTP/JSON API, as the adapter calls it: the verified subject goes
 * into the path (percent-encoded), the answer is size-limited and validated before anything of it
 * is used. An authority that cannot be reached or answers 5xx is `Adapter.UpstreamUnavailable`
 * (503: try again later); one that answers something unexpected is `Adapter.UpstreamInvalid`.
 *
 * @example
 * const permits = createPermitsApi({ baseUrl: 'https://permits.internal/api', token });
 * const answer = await permits.permitsOf('DE65402138797'); // null when none are on file
 */
export function createPermitsApi(settings: UpstreamSettings) {
  const base = new URL(settings.baseUrl.endsWith('/') ? settings.baseUrl : `${settings.baseUrl}/`);
  return {
    async permitsOf(personId: string): Promise<UpstreamAnswer | null> {
      const url = new URL(`v2/applicants/${encodeURIComponent(personId)}/permits`, base);
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { accept: 'application/json', authorization: `Bearer ${settings.token}` },
          redirect: 'error',
          signal: AbortSignal.timeout(settings.timeoutMs ?? 5000),
        });
      } catch (error) {
        throw new EinmalError('Adapter.UpstreamUnavailable', {
          cause: error,
          detail: { reason: 'no answer' },
        });
      }
      if (response.status === 404) {
        await response.body?.cancel();
        return null;
      }
      if (response.status >= 500 || response.status === 429) {
        await response.body?.cancel();
        throw new EinmalError('Adapter.UpstreamUnavailable', {
          detail: { reason: 'upstream status', status: response.status },
        });
      }
      if (
        response.status !== 200 ||
        !/^application\/json\b/i.test(response.headers.get('content-type') ?? '')
      ) {
        await response.body?.cancel();
        throw new EinmalError('Adapter.UpstreamInvalid', {
          detail: { reason: 'unexpected status or type', status: response.status },
        });
      }
      const text = await readLimited(response);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new EinmalError('Adapter.UpstreamInvalid', { detail: { reason: 'not JSON' } });
      }
      const parsed = upstreamAnswerSchema.safeParse(body);
      if (!parsed.success) {
        throw new EinmalError('Adapter.UpstreamInvalid', {
          detail: {
            reason: 'answer outside the agreed schema',
            issues: parsed.error.issues.slice(0, 10).map((issue) => ({ path: issue.path, code: issue.code })),
          },
        });
      }
      return parsed.data;
    },
  };
}

async function readLimited(response: Response): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_ANSWER_BYTES) {
    await response.body?.cancel();
    throw new EinmalError('Adapter.UpstreamInvalid', { detail: { reason: 'answer too large' } });
  }
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw new EinmalError('Adapter.UpstreamInvalid', { detail: { reason: 'answer too large' } });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
