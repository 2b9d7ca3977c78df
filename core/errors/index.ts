export { isDatabaseUnavailable } from './database-unavailable.ts';
export {
  EinmalError,
  type EinmalErrorOptions,
  ERROR_CODES,
  type ErrorCode,
  isEinmalError,
  isErrorCode,
  toEinmalError,
} from './einmal-error.ts';
export {
  type BodyFormat,
  type ErrorBody,
  type ErrorResponse,
  errorResponse,
  escapeXml,
  preferredFormat,
  toErrorBody,
} from './error-response.ts';
export { answerParserRefusal } from './parser-refusal.ts';
export {
  type AnsweredError,
  type ErroredRequest,
  type ErrorLog,
  errorHandlers,
  type RespondErrorOptions,
  respondError,
} from './respond-error.ts';
