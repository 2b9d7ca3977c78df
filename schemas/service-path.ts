import { EinmalError } from '../core/errors/index.ts';
import { parseServiceId, printServiceId, type ServiceId } from './identifiers.ts';

/** A client API request target split into the service and the path inside it. */
export interface ServicePath {
  readonly service: ServiceId;
  /** The path inside the service in canonical form, starting with `/` (`/` when empty). */
  readonly path: string;
  /**
   * The whole request path in its one canonical form, `/r1/{service id}[path]`: what the consumer
   * forwards, signs and logs, and the only form a provider accepts.
   */
  readonly canonical: string;
}

// A path longer than any sane request line is refused before it is split.
const MAX_PATH_LENGTH = 8192;

function invalidPath(message: string): EinmalError {
  return new EinmalError('Client.InvalidPath', { message });
}

const UNRESERVED = /^[A-Za-z0-9._~-]$/;
// pchar (RFC 3986 §3.3) apart from unreserved characters and percent-encodings.
const SUB_DELIMS_AND_SEPARATORS = new Set("!$&'()*+,;=:@");
const hex = (byte: number) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;

/**
 * The canonical spelling of one path segment (RFC 3986 §6.2.2): percent-encoded unreserved
 * characters decoded (`%61` is `a`), remaining percent-encodings in upper case, and every character
 * outside pchar percent-encoded. Two spellings of one resource become one string, so the path that
 * is signed, checked against access rules and logged is the path the adapter serves. Node hands
 * the request target over as latin1, one character per byte, so code units up to 0xFF are bytes.
 */
/** A segment of only unreserved characters and the pchar above is canonical as it is. */
const CANONICAL_SEGMENT = /^[A-Za-z0-9._~!$&'()*+,;=:@-]*$/;

function canonicalSegment(raw: string): string {
  if (CANONICAL_SEGMENT.test(raw)) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const char = raw[i]!;
    if (char === '%') {
      const pair = raw.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(pair))
        throw invalidPath('The service path has malformed percent-encoding');
      const decoded = String.fromCharCode(Number.parseInt(pair, 16));
      out += UNRESERVED.test(decoded) ? decoded : `%${pair.toUpperCase()}`;
      i += 2;
    } else if (UNRESERVED.test(char) || SUB_DELIMS_AND_SEPARATORS.has(char)) {
      out += char;
    } else {
      const code = char.charCodeAt(0);
      out += code <= 0xff ? hex(code) : [...Buffer.from(char, 'utf8')].map((byte) => hex(byte)).join('');
    }
  }
  return out;
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
 * `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE[/path...]`. Each segment is first brought to its
 * canonical spelling; everything after the service code is the endpoint path inside the service,
 * forwarded to the adapter, and stays percent-encoded.
 *
 * @throws EinmalError `Client.InvalidIdentifier` for a malformed service id,
 *   `Client.InvalidPath` for dot segments, encoded slashes or other path tricks.
 * @example
 * parseServicePath('DEMO/GOV/residents-office/register/address-v1/residents/DE65402138797')
 * // { service: {..., serviceCode: 'address-v1'}, path: '/residents/DE65402138797' }
 */
export function parseServicePath(rest: string): ServicePath {
  if (typeof rest !== 'string') throw invalidPath('The service path must be a string');
  if (rest.length > MAX_PATH_LENGTH) throw invalidPath('The service path is too long');
  if (rest.includes('?') || rest.includes('#')) {
    throw invalidPath('The service path must not contain a query or fragment');
  }
  const segments = rest.split('/').map(canonicalSegment);
  if (segments.length < 5) {
    throw new EinmalError('Client.InvalidIdentifier', {
      message: 'The path must name a service as INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE',
    });
  }
  const idSegments = segments.slice(0, 5);
  const pathSegments = segments.slice(5);
  const service = parseServiceId(idSegments.join('/'));
  pathSegments.forEach((segment, i) => {
    // An empty segment is allowed only as a trailing slash; `a//b` is a path trick.
    if (segment === '' && i !== pathSegments.length - 1) {
      throw invalidPath('The service path contains an empty segment');
    }
    checkPathSegment(segment);
  });
  const path = pathSegments.length === 0 ? '/' : `/${pathSegments.join('/')}`;
  // A lone trailing slash after the service addresses the same resource as none.
  const canonical = `/r1/${printServiceId(service)}${path === '/' ? '' : path}`;
  return { service, path, canonical };
}
