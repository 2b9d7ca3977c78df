import { type Logger, type LoggerOptions, pino } from 'pino';

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
    base: { service: settings.name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that drops everything, for tools and tests that do not care. */
export const silentLogger: Logger = pino({ level: 'silent' });
