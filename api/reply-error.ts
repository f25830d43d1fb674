// Sending an ApiError, and turning a failed query into one.
import type { FastifyReply } from 'fastify';
import type { QueryErrorCode } from '../channel/errors.js';
import type { QueryOutcome } from '../supervisor/query-router.js';
import { type ApiError, errorPayload, httpError } from './errors.js';

/** `extra` adds fields to the standard error body (a rejected profile's `problems`). */
export function sendError(reply: FastifyReply, error: ApiError, extra: Record<string, unknown> = {}): FastifyReply {
  if (error.retryAfterSec !== undefined) reply.header('retry-after', String(error.retryAfterSec));
  return reply
    .code(error.statusCode)
    .type('application/json; charset=utf-8')
    .send({ ...errorPayload(error), ...extra });
}

function childMessage(outcome: Extract<QueryOutcome, { ok: false }>): string | undefined {
  if (!outcome.body) return undefined;
  try {
    return (JSON.parse(outcome.body.toString('utf8')) as { message?: string }).message;
  } catch {
    return undefined;
  }
}

type Failed = Extract<QueryOutcome, { ok: false }>;

/** Every channel code's HTTP error: the compiler checks that none is missing. */
const HTTP_ERROR_OF: Record<QueryErrorCode, (outcome: Failed) => ApiError> = {
  UNKNOWN_ID: (outcome) => httpError('TANDEM_ERR_UNKNOWN_ID', childMessage(outcome) ?? 'unknown id'),
  BAD_QUERY: (outcome) => httpError('TANDEM_ERR_BAD_QUERY', childMessage(outcome) ?? 'the query does not fit the index being served'),
  NO_INDEX: () => httpError('TANDEM_ERR_NO_INDEX'),
  NO_ANSWERER: () => httpError('TANDEM_ERR_NO_INDEX'),
  CHANGES_UNAVAILABLE: () => httpError('TANDEM_ERR_STORE_UNAVAILABLE', 'the live profile changes could not be read; retry shortly'),
  OVERLOADED: () => httpError('TANDEM_ERR_OVERLOADED'),
  TIMEOUT: () => httpError('TANDEM_ERR_QUERY_TIMEOUT'),
  INTERNAL: (outcome) => httpError('TANDEM_ERR_INTERNAL', `query failed: ${outcome.code}`),
  VERSION_GONE: () => httpError('TANDEM_ERR_CURSOR_EXPIRED'),
  NO_VECTORIZER: (outcome) => httpError('TANDEM_ERR_NO_VECTORIZER', childMessage(outcome) ?? 'give the profile a vector'),
};

export function outcomeError(outcome: Failed): ApiError {
  return HTTP_ERROR_OF[outcome.code](outcome);
}
