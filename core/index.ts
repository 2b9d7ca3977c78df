export { type Clock, systemClock } from './clock.ts';
export { loadConfig } from './config.ts';
export {
  type AnsweredError,
  answerParserRefusal,
  type BodyFormat,
  EinmalError,
  type EinmalErrorOptions,
  ERROR_CODES,
  type ErrorBody,
  type ErrorCode,
  type ErroredRequest,
  type ErrorResponse,
  errorHandlers,
  errorResponse,
  escapeXml,
  isDatabaseUnavailable,
  isEinmalError,
  isErrorCode,
  preferredFormat,
  respondError,
  toEinmalError,
} from './errors/index.ts';
export { parseJsonDocument, readJsonFile } from './json-file.ts';
export {
  createLogger,
  type Logger,
  type LoggerSettings,
  REDACTED_PATHS,
  serializeError,
  silentLogger,
} from './logger.ts';
export { siblingModule } from './module-url.ts';
