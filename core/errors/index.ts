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
export { type ErrorBody, type ErrorResponse, errorResponse, toErrorBody } from './error-response.ts';
export { answerParserRefusal } from './parser-refusal.ts';
export {
  type AnsweredError,
  type ErroredRequest,
  type ErrorLog,
  errorHandlers,
  type RespondErrorOptions,
  respondError,
} from './respond-error.ts';
