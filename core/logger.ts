import { type Logger, type LoggerOptions, pino } from 'pino';
import { EinmalError } from './errors.ts';

export type { Logger } from 'pino';

/**
 * Paths redacted from every log line: tokens, keys, credentials and personal data. Member and
 * service identifiers and digests are fine to log; subjects, names and addresses are not.
 */
export const REDACTED_PATHS = [
  'token',
  'eidToken',
  'accessToken',
  'idToken',
  'authorization',
  'password',
  'privateKey',
  'subject',
  'userId',
  'citizen',
  'address',
  '*.token',
  '*.eidToken',
  '*.accessToken',
  '*.idToken',
  '*.authorization',
  '*.password',
  '*.privateKey',
  '*.subject',
  '*.userId',
  '*.address',
  'req.headers.authorization',
  'req.headers["einmal-eid-token"]',
  'req.headers["einmal-subject"]',
  'req.headers["x-road-userid"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["einmal-eid-token"]',
  'headers["einmal-subject"]',
  'headers["x-road-userid"]',
  'headers.cookie',
];

const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * Whether `error` came from PostgreSQL (pg or PGlite): a SQLSTATE `code` next to the fields both
 * drivers fill in from the server's error message.
 */
function isDatabaseError(error: Record<string, unknown>): boolean {
  return (
    typeof error.code === 'string' &&
    SQLSTATE.test(error.code) &&
    ('severity' in error || 'routine' in error || 'query' in error)
  );
}

/**
 * A server message without the values it quotes: PostgreSQL embeds the offending input in its
 * messages (`date/time field value out of range: "0000-01-01…"`, `invalid byte sequence … 0x00`),
 * and that input may be a citizen's id or a whole record.
 */
const redactDatabaseMessage = (message: string): string =>
  message.replace(/"(?:[^"]|"")*"/g, '"[redacted]"').replace(/\b0x[0-9a-fA-F]+\b/g, '0x[redacted]');

/** What a database error may say in a log line: where it happened, never which values were involved. */
const DATABASE_FIELDS = [
  'severity',
  'routine',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
] as const;
/** Fields of Node's system errors that name the connection, not its content. */
const SYSTEM_FIELDS = ['errno', 'syscall', 'address', 'port'] as const;

/**
 * Serialises an error for a log line from an allow-list: type, message, code and stack, the cause
 * chain, and for database errors only the SQLSTATE and where it arose. A driver's `query`,
 * `params`, `detail`, `where`, `hint` and `internalQuery` never reach the log, and a database
 * message loses the values it quotes; so no value bound into SQL (an audit record, a request JWS,
 * a subject) can appear in the application log through an error.
 */
export function serializeError(error: unknown, depth = 0): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const source = error as Record<string, unknown>;
  const database = isDatabaseError(source);
  const out: Record<string, unknown> = {
    type: (error as { constructor?: { name?: unknown } }).constructor?.name ?? 'Object',
  };
  if (typeof source.message === 'string') {
    out.message = database ? redactDatabaseMessage(source.message) : source.message;
  }
  if (typeof source.code === 'string' || typeof source.code === 'number') out.code = source.code;
  for (const field of database ? DATABASE_FIELDS : SYSTEM_FIELDS) {
    if (source[field] !== undefined) out[field] = source[field];
  }
  // The project's own errors carry `detail` meant for the log; a driver's `detail` holds values.
  if (error instanceof EinmalError && error.detail !== undefined) {
    out.detail = source.detail;
  }
  // A database error's stack starts with its unredacted message; its frames are the driver's.
  if (!database && typeof source.stack === 'string') out.stack = source.stack;
  if (depth < 5) {
    if (source.cause !== undefined) out.cause = serializeError(source.cause, depth + 1);
    if (Array.isArray(source.errors)) {
      out.errors = source.errors.slice(0, 10).map((inner) => serializeError(inner, depth + 1));
    }
  }
  return out;
}

export interface LoggerSettings {
  readonly name: string;
  readonly level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  readonly destination?: pino.DestinationStream;
}

/**
 * The one pino root of a service; per request use `log.child({ requestId, messageId })`.
 *
 * @example
 * const log = createLogger({ name: 'gateway', level: config.LOG_LEVEL });
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    name: settings.name,
    level: settings.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError, cause: serializeError },
    base: { service: settings.name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that drops everything, for tools and tests that do not care. */
export const silentLogger: Logger = pino({ level: 'silent' });
