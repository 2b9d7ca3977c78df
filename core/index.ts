export { loadConfig } from './config.ts';
export {
  type Database,
  type DatabaseSettings,
  isDatabaseReachable,
  isDatabaseUnavailable,
  type MigrationSet,
  migrateToLatest,
  openDatabase,
} from './database.ts';
export {
  EinmalError,
  type EinmalErrorOptions,
  ERROR_CODES,
  type ErrorCode,
  isEinmalError,
  isErrorCode,
  toEinmalError,
} from './errors.ts';
export {
  createLogger,
  type Logger,
  type LoggerSettings,
  REDACTED_PATHS,
  serializeError,
  silentLogger,
} from './logger.ts';
export { siblingModule } from './module-url.ts';
