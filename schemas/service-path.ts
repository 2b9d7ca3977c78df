import { EinmalError } from '../core/index.ts';
import { parseServiceId, type ServiceId } from './identifiers.ts';

/** A client API request target split into the service and the path inside it. */
export interface ServicePath {
  readonly service: ServiceId;
  /** The path inside the service, still percent-encoded, starting with `/` (`/` when empty). */
  readonly path: string;
}

const VERSION = /^v[0-9]+(\.[0-9]+)*$/;
// A path longer than any sane request line is refused before it is split.
const MAX_PATH_LENGTH = 8192;

function invalidPath(message: string): EinmalError {
  return new EinmalError('Client.InvalidPath', { message });
}

/**
 * Checks one raw segment of the path inside a service: no dot segments (also not encoded), no
 * encoded slash or backslash, no control characters, well-formed percent-encoding. Servers behind
 * the adapter may normalise any of these into a different resource than the one signed and logged.
 */
function checkPathSegment(raw: string): void {
  if (/%(2f|5c)/i.test(raw)) throw invalidPath('The service path contains an encoded slash');
  if (raw.includes('\\')) throw invalidPath('The service path contains a backslash');
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch {
    throw invalidPath('The service path has malformed percent-encoding');
  }
  if (segment === '.' || segment === '..') throw invalidPath('The service path contains a dot segment');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f]/.test(segment)) {
    throw invalidPath('The service path contains a control character');
  }
}

/**
 * Splits the client API path after `/r1/` (X-Road pr-rest §4.2), raw and still percent-encoded:
 * `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION][/path...]`. The segment right after SERVICE
 * is the version when it looks like one (`v1`, `v2.1`); what follows stays encoded.
 *
 * @throws EinmalError `Client.InvalidIdentifier` for a malformed service id,
 *   `Client.InvalidPath` for dot segments, encoded slashes or other path tricks.
 * @example
 * parseServicePath('DEMO/GOV/residents-office/register/address/v1/residents/DE65402138797')
 * // { service: {..., serviceCode: 'address', serviceVersion: 'v1'}, path: '/residents/DE65402138797' }
 */
export function parseServicePath(rest: string): ServicePath {
  if (typeof rest !== 'string') throw invalidPath('The service path must be a string');
  if (rest.length > MAX_PATH_LENGTH) throw invalidPath('The service path is too long');
  if (rest.includes('?') || rest.includes('#')) {
    throw invalidPath('The service path must not contain a query or fragment');
  }
  const segments = rest.split('/');
  if (segments.length < 5) {
    throw new EinmalError('Client.InvalidIdentifier', {
      message: 'The path must name a service as INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE[/VERSION]',
    });
  }
  const idSegments = segments.slice(0, 5);
  let pathSegments = segments.slice(5);
  const candidate = pathSegments[0];
  if (candidate !== undefined && VERSION.test(candidate)) {
    idSegments.push(candidate);
    pathSegments = pathSegments.slice(1);
  }
  const service = parseServiceId(idSegments.join('/'));
  pathSegments.forEach((segment, i) => {
    // An empty segment is allowed only as a trailing slash; `a//b` is a path trick.
    if (segment === '' && i !== pathSegments.length - 1) {
      throw invalidPath('The service path contains an empty segment');
    }
    checkPathSegment(segment);
  });
  const path = pathSegments.length === 0 ? '/' : `/${pathSegments.join('/')}`;
  return { service, path };
}
