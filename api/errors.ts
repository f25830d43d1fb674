// Every error the API answers with: a stable code, the HTTP status, and a message a person can
// act on. One module, so the table of what can go wrong is in one place.
export interface ApiError {
  statusCode: number;
  code: string;
  message: string;
  retryAfterSec?: number;
}

export const MAX_N = 100;
/** Longest vector POST /search accepts; the index's own dimensions decide what fits. */
export const MAX_VECTOR_LENGTH = 4096;

export const errors = {
  badN: (raw: string): ApiError => ({
    statusCode: 400,
    code: 'TANDEM_ERR_BAD_N',
    message: `n must be a positive whole number (1 to ${MAX_N}), got ${JSON.stringify(raw.slice(0, 40))}`,
  }),
  nTooLarge: (n: string): ApiError => ({
    statusCode: 400,
    code: 'TANDEM_ERR_N_TOO_LARGE',
    message: `n is ${n.length > 12 ? `${n.slice(0, 12)}…` : n}; at most ${MAX_N} recommendations can be asked for at once`,
  }),
  badId: (): ApiError => ({
    statusCode: 400,
    code: 'TANDEM_ERR_BAD_ID',
    message: 'id must be 1 to 128 characters of letters, digits, "_" or "-"',
  }),
  badVector: (message: string): ApiError => ({ statusCode: 400, code: 'TANDEM_ERR_BAD_VECTOR', message }),
  badQuery: (message: string): ApiError => ({ statusCode: 400, code: 'TANDEM_ERR_BAD_QUERY', message }),
  unsupportedMediaType: (contentType: string | undefined): ApiError => ({
    statusCode: 415,
    code: 'TANDEM_ERR_UNSUPPORTED_MEDIA_TYPE',
    message: `send the body as JSON with content-type: application/json (got ${contentType ? JSON.stringify(contentType.slice(0, 80)) : 'no content-type'})`,
  }),
  badLimit: (): ApiError => ({ statusCode: 400, code: 'TANDEM_ERR_BAD_LIMIT', message: 'limit must be a whole number from 1 to 9999' }),
  methodNotAllowed: (method: string, path: string, allowed: string): ApiError => ({
    statusCode: 405,
    code: 'TANDEM_ERR_METHOD_NOT_ALLOWED',
    message: `${method} is not supported on ${path.slice(0, 200)}; use ${allowed}`,
  }),
  unknownId: (message: string): ApiError => ({ statusCode: 404, code: 'TANDEM_ERR_UNKNOWN_ID', message }),
  noIndex: (): ApiError => ({
    statusCode: 503,
    code: 'TANDEM_ERR_NO_INDEX',
    message: 'no index version is being served yet; build one with `make index` or wait for the builder',
    retryAfterSec: 1,
  }),
  overloaded: (): ApiError => ({
    statusCode: 503,
    code: 'TANDEM_ERR_OVERLOADED',
    message: 'too many queries in flight; retry shortly',
    retryAfterSec: 1,
  }),
  timeout: (): ApiError => ({
    statusCode: 504,
    code: 'TANDEM_ERR_QUERY_TIMEOUT',
    message: 'the answer process did not reply in time; retry shortly',
    retryAfterSec: 1,
  }),
  internal: (message: string): ApiError => ({ statusCode: 500, code: 'TANDEM_ERR_INTERNAL', message }),
  notFound: (method: string, url: string): ApiError => ({
    statusCode: 404,
    code: 'TANDEM_ERR_NO_ROUTE',
    message: `no route ${method} ${url.slice(0, 200)}; try GET /recommend/:id/:n, POST /search, GET /health, /ready, /status or /trace`,
  }),
};

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function errorPayload(error: ApiError) {
  return { statusCode: error.statusCode, error: REASONS[error.statusCode] ?? 'Error', code: error.code, message: error.message };
}
