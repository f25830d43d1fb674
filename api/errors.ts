// Every error the HTTP API answers with, keyed by its stable code: the status, and a message a
// person can act on. The one table of this boundary: the profile and store contracts' codes are
// taken in whole, the API's own are added here.
import { PROFILE_ERRORS } from '../profiles/errors.js';
import { STORE_ERRORS } from '../store/errors.js';

export const MAX_N = 100;
/** Most ids one query may exclude (profiles already seen or blocked). */
export const MAX_EXCLUDED = 10_000;
/** Most queries in one POST /recommend/batch. */
export const MAX_BATCH = 1000;
/** Longest vector POST /search accepts; the index's own dimensions decide what fits. */
export const MAX_VECTOR_LENGTH = 4096;
/** Largest request body, bytes. */
export const BODY_LIMIT = 256 * 1024;

const short = (text: string, max: number) => JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);

/** The routes a lost client is pointed to. */
const ROUTES_HINT =
  'GET /recommend/:id/:n, POST /recommend, POST /recommend/batch, POST /search, GET /health, /ready, /status, /trace or /inspect';

type ContractTable = Record<string, { statusCode: number; summary: string }>;
type FromContract<T extends ContractTable> = { [K in keyof T]: { status: T[K]['statusCode']; message: (why?: string) => string } };

/** A contract's codes as HTTP errors: its status, the caller's reason or the contract's summary. */
function fromContract<T extends ContractTable>(table: T): FromContract<T> {
  const entries = Object.entries(table).map(([code, { statusCode, summary }]) => [
    code,
    { status: statusCode, message: (why?: string) => why ?? summary },
  ]);
  return Object.fromEntries(entries) as FromContract<T>;
}

export const HTTP_ERRORS = {
  ...fromContract(PROFILE_ERRORS),
  ...fromContract(STORE_ERRORS),
  TANDEM_ERR_BAD_N: { status: 400, message: (raw: string) => `n must be a positive whole number (1 to ${MAX_N}), got ${short(raw, 40)}` },
  TANDEM_ERR_N_TOO_LARGE: {
    status: 400,
    message: (raw: string) =>
      `n is ${raw.length > 12 ? `${raw.slice(0, 12)}…` : raw}; at most ${MAX_N} recommendations can be asked for at once`,
  },
  TANDEM_ERR_BAD_ID: { status: 400, message: (why?: string) => why ?? 'id must be 1 to 128 characters of letters, digits, "_" or "-"' },
  TANDEM_ERR_BAD_VECTOR: { status: 400, message: (why: string) => why },
  TANDEM_ERR_BAD_QUERY: { status: 400, message: (why: string) => why },
  TANDEM_ERR_BAD_LIMIT: { status: 400, message: () => 'limit must be a whole number from 1 to 9999' },
  /** A filter parameter that cannot be met as given; the message names it and says why. */
  TANDEM_ERR_BAD_FILTER: { status: 400, message: (why: string) => why },
  TANDEM_ERR_TOO_MANY_EXCLUDED: {
    status: 400,
    message: (count: number) => `exclude lists ${count} ids; at most ${MAX_EXCLUDED} can be excluded from one query`,
  },
  /** `mutual` tests the querying profile's own `seeking`: a bare vector has none. */
  TANDEM_ERR_NEEDS_PROFILE: { status: 400, message: (why: string) => why },
  TANDEM_ERR_BAD_CURSOR: { status: 400, message: (why: string) => `the cursor is not one this service issued: ${why}` },
  TANDEM_ERR_CURSOR_MISMATCH: {
    status: 400,
    message: () => 'the cursor belongs to another query: send it with the same id or vector, filter and exclusions as its first page',
  },
  TANDEM_ERR_BATCH_TOO_LARGE: {
    status: 400,
    message: (count: number) => `the batch holds ${count} queries; at most ${MAX_BATCH} fit in one request`,
  },
  /** The body does not match the route's JSON schema; the message names the field. */
  TANDEM_ERR_BAD_BODY: { status: 400, message: (why: string) => why },
  /** The body is not JSON at all (or empty). */
  TANDEM_ERR_BAD_JSON: { status: 400, message: (why: string) => `the body is not valid JSON: ${why}` },
  /** An NDJSON line over the body limit: reported, skipped, the stream goes on. */
  TANDEM_ERR_LINE_TOO_LONG: { status: 400, message: (why: string) => why },
  /** Any other malformed request the HTTP layer refuses (bad header, bad URL encoding). */
  TANDEM_ERR_BAD_REQUEST: { status: 400, message: (why: string) => why },
  TANDEM_ERR_UNAUTHORIZED: {
    status: 401,
    message: (scope: 'read' | 'write') =>
      scope === 'write'
        ? 'this route changes profiles: send Authorization: Bearer <write token, or a token from POST /api/login>'
        : 'reads need a token here (TANDEM_READ_AUTH=required): send Authorization: Bearer <token from POST /api/login, or a write token>',
  },
  TANDEM_ERR_BAD_PASSWORD: { status: 401, message: () => 'wrong password' },
  TANDEM_ERR_TOKEN_EXPIRED: { status: 401, message: () => 'the token has expired: get a new one from POST /api/login' },
  /** Shaped as a JWT but not one of ours: malformed, bad signature, another algorithm. */
  TANDEM_ERR_BAD_TOKEN: {
    status: 401,
    message: () => 'the token is not valid here (malformed or not signed by this service): log in again',
  },
  TANDEM_ERR_FORBIDDEN: { status: 403, message: (why?: string) => why ?? 'the token is not one this service accepts' },
  TANDEM_ERR_UNKNOWN_ID: { status: 404, message: (why: string) => why },
  TANDEM_ERR_NO_ROUTE: {
    status: 404,
    message: (method: string, url: string) => `no route ${method} ${url.slice(0, 200)}; try ${ROUTES_HINT}`,
  },
  /** A 404, not a 503: nothing will change by retrying until the operator sets a password. */
  TANDEM_ERR_LOGIN_DISABLED: {
    status: 404,
    message: () => 'login is not configured on this service (TANDEM_LOGIN_PASSWORD is unset); use a write token',
  },
  TANDEM_ERR_METHOD_NOT_ALLOWED: {
    status: 405,
    message: (method: string, path: string, allowed: string) => `${method} is not supported on ${path.slice(0, 200)}; use ${allowed}`,
  },
  TANDEM_ERR_CURSOR_EXPIRED: {
    status: 410,
    message: () => 'the index version this cursor pages through is no longer held: start again from the first page',
  },
  TANDEM_ERR_BODY_TOO_LARGE: { status: 413, message: () => `the body is too large: at most ${BODY_LIMIT / 1024} KiB` },
  TANDEM_ERR_URI_TOO_LONG: { status: 414, message: (why: string) => `the URL is too long: ${why}` },
  TANDEM_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: (contentType: string | undefined) =>
      `send the body as JSON with content-type: application/json (got ${contentType ? short(contentType, 80) : 'no content-type'})`,
  },
  TANDEM_ERR_NO_VECTORIZER: { status: 422, message: (why: string) => why },
  TANDEM_ERR_TOO_MANY_ATTEMPTS: {
    status: 429,
    message: (after: string) => `too many login attempts from this address; retry in ${after} (see Retry-After)`,
  },
  TANDEM_ERR_INTERNAL: { status: 500, message: (why: string) => why },
  TANDEM_ERR_NO_INDEX: {
    status: 503,
    retryAfterSec: 1,
    message: (why?: string) => why ?? 'no index version is being served yet; build one with `make index` or wait for the builder',
  },
  TANDEM_ERR_OVERLOADED: { status: 503, retryAfterSec: 1, message: () => 'too many queries in flight; retry shortly' },
  TANDEM_ERR_SHUTTING_DOWN: { status: 503, retryAfterSec: 1, message: () => 'shutting down' },
  TANDEM_ERR_STORE_UNAVAILABLE: {
    status: 503,
    retryAfterSec: 1,
    message: (why?: string) => why ?? STORE_ERRORS.TANDEM_ERR_STORE_UNAVAILABLE.summary,
  },
  TANDEM_ERR_QUERY_TIMEOUT: { status: 504, retryAfterSec: 1, message: () => 'the answer process did not reply in time; retry shortly' },
} as const satisfies Record<string, { status: number; retryAfterSec?: number; message: (...args: never[]) => string }>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export interface ApiError {
  statusCode: number;
  code: HttpErrorCode;
  message: string;
  retryAfterSec?: number;
}

type MessageArgs<C extends HttpErrorCode> = Parameters<(typeof HTTP_ERRORS)[C]['message']>;

export function httpError<C extends HttpErrorCode>(code: C, ...args: MessageArgs<C>): ApiError {
  const entry = HTTP_ERRORS[code];
  const message = (entry.message as (...a: MessageArgs<C>) => string)(...args);
  return { statusCode: entry.status, code, message, ...('retryAfterSec' in entry ? { retryAfterSec: entry.retryAfterSec } : {}) };
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  410: 'Gone',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function errorPayload(error: ApiError) {
  return { statusCode: error.statusCode, error: REASONS[error.statusCode] ?? 'Error', code: error.code, message: error.message };
}
