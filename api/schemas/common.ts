// What every route's schema shares: the one error body, the demo id the examples use, and a
// route schema's shape (validated parts, plus parts only the OpenAPI document shows).
import { HTTP_ERRORS } from '../errors.js';

/** The first profile `generate-cli` (and so `make multi`) makes with the default seed 42. */
export const DEMO_ID = '5968fa1544570fd02f89c896';

export const API_ERROR_ID = 'ApiError';

export const apiErrorSchema = {
  $id: API_ERROR_ID,
  type: 'object',
  description: 'Every error: a stable code from the one error table (api/errors.ts) and a message that says what to do.',
  required: ['statusCode', 'error', 'code', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    code: { type: 'string', enum: Object.keys(HTTP_ERRORS) },
    message: { type: 'string' },
  },
  // A refused profile adds its `problems`; nothing an error carries may be dropped by the serializer.
  additionalProperties: true,
} as const;

const WHY: Record<number, string> = {
  400: 'The request is malformed: see `code` and `message`.',
  401: 'No bearer token where one is needed, a wrong login password, or an expired or forged token.',
  403: "A token this service does not know, or a login token without the route's scope.",
  404: 'No such profile.',
  410: 'The cursor pages through an index version no child holds any more: start from the first page.',
  413: 'The body is over 256 KiB.',
  414: 'A path segment is over 512 characters.',
  415: 'The body is not `application/json`.',
  422: "A profile without a vector, and the served version's vectorizer is not one this service can run.",
  429: 'Too many login attempts from this address; `Retry-After` says when to try again.',
  500: 'A bug: the message never carries internal detail.',
  503: 'Not ready (no index version served yet), overloaded, or the store is unavailable; `Retry-After: 1`.',
  504: 'The answer process did not reply in time; `Retry-After: 1`.',
};

/** A write route needs a token with the write scope. */
export const WRITE_SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }];
/** A read route: open, or (TANDEM_READ_AUTH=required) a token with the read scope. */
export const READ_SECURITY: Record<string, string[]>[] = [{}, { bearerAuth: [] }];
/** What a read route may answer when TANDEM_READ_AUTH=required. */
export const READ_AUTH_STATUSES = [401, 403] as const;

/** The error responses of a route, each the shared error body; 500 can happen anywhere. */
export function errorResponses(...statuses: (keyof typeof WHY)[]) {
  const all = [...new Set([...statuses, 500])].sort();
  return Object.fromEntries(all.map((status) => [status, { description: WHY[status], $ref: `${API_ERROR_ID}#` }]));
}

/**
 * A route schema. `documented` holds schemas the OpenAPI document shows in place of the validated
 * ones: where a route checks its input by hand to answer with its own codes (a Fastify schema
 * failure would answer TANDEM_ERR_BAD_BODY instead).
 */
export interface RouteSchema {
  summary: string;
  description: string;
  tags: string[];
  params?: object;
  querystring?: object;
  body?: object;
  response: Record<number, object>;
  security?: Record<string, string[]>[];
  documented?: { params?: object; querystring?: object; body?: object };
  hide?: boolean;
}
