// Sending an ApiError, and turning a failed query into one.
import type { FastifyReply } from 'fastify';
import type { QueryErrorCode } from '../channel/errors.js';
import type { QueryOutcome } from '../supervisor/query-router.js';
import { type ApiError, errorPayload, type HttpErrorCode, httpError } from './errors.js';

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  if (error.retryAfterSec !== undefined) reply.header('retry-after', String(error.retryAfterSec));
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(errorPayload(error));
}

function childMessage(outcome: Extract<QueryOutcome, { ok: false }>): string | undefined {
  if (!outcome.body) return undefined;
  try {
    return (JSON.parse(outcome.body.toString('utf8')) as { message?: string }).message;
  } catch {
    return undefined;
  }
}

/** Every channel code has its HTTP code: the compiler checks that none is missing. */
const HTTP_CODE_OF: Record<QueryErrorCode, HttpErrorCode> = {
  UNKNOWN_ID: 'TANDEM_ERR_UNKNOWN_ID',
  BAD_QUERY: 'TANDEM_ERR_BAD_QUERY',
  NO_INDEX: 'TANDEM_ERR_NO_INDEX',
  NO_ANSWERER: 'TANDEM_ERR_NO_INDEX',
  OVERLOADED: 'TANDEM_ERR_OVERLOADED',
  TIMEOUT: 'TANDEM_ERR_QUERY_TIMEOUT',
  INTERNAL: 'TANDEM_ERR_INTERNAL',
};

export function outcomeError(outcome: Extract<QueryOutcome, { ok: false }>): ApiError {
  switch (HTTP_CODE_OF[outcome.code]) {
    case 'TANDEM_ERR_UNKNOWN_ID':
      return httpError('TANDEM_ERR_UNKNOWN_ID', childMessage(outcome) ?? 'unknown id');
    case 'TANDEM_ERR_BAD_QUERY':
      return httpError('TANDEM_ERR_BAD_QUERY', childMessage(outcome) ?? 'the query does not fit the index being served');
    case 'TANDEM_ERR_NO_INDEX':
      return httpError('TANDEM_ERR_NO_INDEX');
    case 'TANDEM_ERR_OVERLOADED':
      return httpError('TANDEM_ERR_OVERLOADED');
    case 'TANDEM_ERR_QUERY_TIMEOUT':
      return httpError('TANDEM_ERR_QUERY_TIMEOUT');
    default:
      return httpError('TANDEM_ERR_INTERNAL', `query failed: ${outcome.code}`);
  }
}
