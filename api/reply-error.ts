// Sending an ApiError, and turning a failed query into one.
import type { FastifyReply } from 'fastify';
import type { QueryOutcome } from '../supervisor/query-router.js';
import { type ApiError, errorPayload, errors } from './errors.js';

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  if (error.retryAfterSec !== undefined) reply.header('retry-after', String(error.retryAfterSec));
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(errorPayload(error));
}

function childMessage(outcome: Extract<QueryOutcome, { ok: false }>, fallback: string): string {
  if (!outcome.body) return fallback;
  try {
    return (JSON.parse(outcome.body.toString('utf8')) as { message?: string }).message ?? fallback;
  } catch {
    return fallback;
  }
}

export function outcomeError(outcome: Extract<QueryOutcome, { ok: false }>): ApiError {
  switch (outcome.code) {
    case 'UNKNOWN_ID':
      return errors.unknownId(childMessage(outcome, 'unknown id'));
    case 'BAD_QUERY':
      return errors.badQuery(childMessage(outcome, 'the query does not fit the index being served'));
    case 'NO_INDEX':
    case 'NO_ANSWERER':
      return errors.noIndex();
    case 'OVERLOADED':
      return errors.overloaded();
    case 'TIMEOUT':
      return errors.timeout();
    default:
      return errors.internal(`query failed: ${outcome.code}`);
  }
}
