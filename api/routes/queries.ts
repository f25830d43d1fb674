// The query routes: by profile id, and by vector. Both go to the current answer child.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ID_REGEXP } from '../../profiles/schema.js';
import type { QueryCallback } from '../../supervisor/query-router.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import { httpError, MAX_N, MAX_VECTOR_LENGTH } from '../errors.js';
import { outcomeError, sendError } from '../reply-error.js';

export type QueryTarget = Pick<Supervisor, 'recommend' | 'search'>;

const N_PATTERN = /^[0-9]+$/;

// During an outage every request fails the same way; one line a second with a count says as much
// as thousands and does not turn the log into the bottleneck.
let suppressedFailures = 0;
let lastFailureLog = 0;
function logFailure(request: FastifyRequest, code: string): void {
  const now = Date.now();
  if (now - lastFailureLog < 1000) {
    suppressedFailures++;
    return;
  }
  request.log.warn({ code, similarSinceLastLine: suppressedFailures }, 'query failed');
  suppressedFailures = 0;
  lastFailureLog = now;
}

function replyWith(request: FastifyRequest, reply: FastifyReply): QueryCallback {
  return (outcome) => {
    if (outcome.ok) {
      // The child already encoded the result as JSON: pass the bytes through untouched.
      reply.type('application/json; charset=utf-8').send(outcome.body);
      return;
    }
    const error = outcomeError(outcome);
    if (error.statusCode >= 500) logFailure(request, outcome.code);
    sendError(reply, error);
  };
}

const searchBody = {
  type: 'object',
  required: ['vector'],
  additionalProperties: false,
  properties: {
    vector: { type: 'array', minItems: 1, maxItems: MAX_VECTOR_LENGTH, items: { type: 'number' } },
    n: { type: 'integer', minimum: 1, maximum: MAX_N, default: 10 },
  },
} as const;

export function queryRoutes(app: FastifyInstance, target: QueryTarget): void {
  const reader = { config: { scope: 'read' } } as const;
  app.get<{ Params: { id: string; n: string } }>('/recommend/:id/:n', reader, (request, reply) => {
    const { id, n: rawN } = request.params;
    if (!ID_REGEXP.test(id)) return sendError(reply, httpError('TANDEM_ERR_BAD_ID'));
    if (!N_PATTERN.test(rawN) || Number(rawN) < 1) return sendError(reply, httpError('TANDEM_ERR_BAD_N', rawN));
    if (rawN.length > 6 || Number(rawN) > MAX_N) return sendError(reply, httpError('TANDEM_ERR_N_TOO_LARGE', rawN));
    target.recommend(id, Number(rawN), replyWith(request, reply));
    return reply;
  });

  app.post<{ Body: { vector: number[]; n: number } }>('/search', { ...reader, schema: { body: searchBody } }, (request, reply) => {
    const { vector, n } = request.body;
    // JSON has no NaN or Infinity literals, but 1e999 parses to Infinity.
    if (!vector.every(Number.isFinite))
      return sendError(reply, httpError('TANDEM_ERR_BAD_VECTOR', 'every number in vector must be finite'));
    if (vector.every((x) => x === 0))
      return sendError(reply, httpError('TANDEM_ERR_BAD_VECTOR', 'vector must not be all zeros: it has no direction'));
    target.search(Float32Array.from(vector), n, replyWith(request, reply));
    return reply;
  });
}
