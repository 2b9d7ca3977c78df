import { z } from 'zod';
import { EinmalError, isErrorCode } from '../../core/index.ts';
import type { RegistryRequest } from '../../protocol/index.ts';

/** How the registration client reaches the registry, e.g. `createRegistryFetch(...).fetch`. */
export type RegistrationFetch = RegistryRequest;

const submittedSchema = z.object({ id: z.uuid(), gateway: z.string(), status: z.string() });
const TIMEOUT_MS = 15_000;

/**
 * Submits a signed registration request to the registry's public `POST /registrations`.
 * A refusal becomes the registry's error code (e.g. `Registry.DuplicateRegistration`).
 *
 * @example
 * const { id } = await submitRegistration({ registry: 'https://localhost:4400', request, fetch });
 */
export async function submitRegistration(options: {
  registry: string;
  request: string;
  fetch: RegistrationFetch;
}): Promise<{ id: string; gateway: string; status: string }> {
  const response = await call(options.fetch, `${base(options.registry)}/registrations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ request: options.request.trim() }),
  });
  const parsed = submittedSchema.safeParse(parseJson(response.body));
  if (!parsed.success) {
    throw new EinmalError('Server.Unavailable', { message: 'The registry answered with an unexpected body' });
  }
  return parsed.data;
}

/**
 * The issued certificate chain (PEM) of an approved registration, or `undefined` while pending.
 *
 * @example
 * const pem = await fetchRegistrationCertificate({ registry, id, fetch });
 */
export async function fetchRegistrationCertificate(options: {
  registry: string;
  id: string;
  fetch: RegistrationFetch;
}): Promise<string | undefined> {
  const url = `${base(options.registry)}/registrations/${encodeURIComponent(options.id)}/certificate`;
  try {
    const response = await call(options.fetch, url, { method: 'GET', headers: {} });
    return response.body;
  } catch (error) {
    if (error instanceof EinmalError && error.code === 'Client.NotFound') return undefined;
    throw error;
  }
}

const base = (registry: string) => registry.replace(/\/+$/, '');

async function call(
  fetch: RegistrationFetch,
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  let status: number;
  let body: string;
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    status = response.status;
    body = await response.text();
  } catch (cause) {
    throw new EinmalError('Server.Unavailable', {
      message: `The registry at ${url} could not be reached`,
      cause,
    });
  }
  if (status >= 400) {
    const failure = parseJson(body) as { type?: unknown; message?: unknown } | undefined;
    const code =
      typeof failure?.type === 'string' && isErrorCode(failure.type) ? failure.type : 'Server.Unavailable';
    const message =
      typeof failure?.message === 'string' ? failure.message : `The registry answered ${status}`;
    throw new EinmalError(code, { message });
  }
  return { status, body };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
