// Errors Fastify raises before a route runs (body parsing, limits, schemas) restated in our own
// table, so a client sees one vocabulary whatever layer refused the request.
import { type ApiError, httpError } from './errors.js';

export interface FastifyRaisedError extends Error {
  statusCode?: number;
  code?: string;
  validation?: unknown;
}

export function fromFastifyError(error: FastifyRaisedError, contentType: string | undefined): ApiError {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (error.validation) return httpError('TANDEM_ERR_BAD_BODY', error.message);
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpError('TANDEM_ERR_BODY_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return httpError('TANDEM_ERR_UNSUPPORTED_MEDIA_TYPE', contentType);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return httpError('TANDEM_ERR_BAD_JSON', error.message);
    // Raised by the login route's rate limiter (routes/login.ts); the message is how long to wait.
    case 'TANDEM_ERR_TOO_MANY_ATTEMPTS':
      return httpError('TANDEM_ERR_TOO_MANY_ATTEMPTS', error.message);
  }
  if (status === 415) return httpError('TANDEM_ERR_UNSUPPORTED_MEDIA_TYPE', contentType);
  if (status === 414) return httpError('TANDEM_ERR_URI_TOO_LONG', error.message);
  if (status === 400 && error instanceof SyntaxError) return httpError('TANDEM_ERR_BAD_JSON', error.message);
  if (status < 500) return { ...httpError('TANDEM_ERR_BAD_REQUEST', error.message), statusCode: status };
  return httpError('TANDEM_ERR_INTERNAL', 'internal error; see the server log');
}
