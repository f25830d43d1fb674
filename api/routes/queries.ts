// The query routes: by profile id (GET, with filters as query parameters), by vector (POST
// /search), any of id, vector or profile with a JSON body (POST /recommend), and many at once
// (POST /recommend/batch). All go to the answer child through the supervisor.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ID_REGEXP } from '../../profiles/schema.js';
import type { QueryOutcome } from '../../supervisor/query-router.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import type { CursorSigner } from '../cursor.js';
import { type ApiError, errorPayload, httpError, MAX_BATCH, MAX_N } from '../errors.js';
import { type CheckedQuery, checkQuery, fromQueryString, hasParameters, type QueryInput } from '../query-spec.js';
import { outcomeError, sendError } from '../reply-error.js';
import { recommendSchema, searchSchema } from '../schemas/queries.js';
import { batchSchema, queryBodyProblem, recommendBodySchema } from '../schemas/recommend.js';

export type QueryTarget = Pick<Supervisor, 'query'>;

const N_PATTERN = /^[0-9]+$/;
/** A body may exclude 10,000 ids, and a batch hold 1,000 queries: more than the default limit. */
const QUERY_BODY_LIMIT = 1024 * 1024;
const BATCH_BODY_LIMIT = 8 * 1024 * 1024;

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

/** Fastify validates a body only when there is one. */
const noBody = () => httpError('TANDEM_ERR_BAD_BODY', 'send the query as a JSON body (content-type: application/json)');

type Answered = Extract<QueryOutcome, { ok: true }>;

/** `Tandem-Version`: the index version that answered and the store seq its answer saw. */
function versionTag(outcome: Answered): string | null {
  return outcome.version === undefined ? null : `${outcome.version}; seq=${outcome.seq ?? 0}`;
}

function nextCursor(outcome: Answered, checked: CheckedQuery, cursors: CursorSigner): string | null {
  if (!outcome.next || outcome.version === undefined) return null;
  return cursors.issue({ version: outcome.version, seq: outcome.seq ?? 0, mark: outcome.next }, checked.fingerprint);
}

function ask(target: QueryTarget, checked: CheckedQuery): Promise<QueryOutcome> {
  return new Promise((resolve) => target.query(checked.spec, resolve));
}

function failure(request: FastifyRequest, outcome: Extract<QueryOutcome, { ok: false }>): ApiError {
  const error = outcomeError(outcome);
  if (error.statusCode >= 500) logFailure(request, outcome.code);
  return error;
}

/** `{results, version, next}`: the child's result bytes are spliced in, never parsed again. */
function answerBody(outcome: Answered, next: string | null): Buffer {
  const tail = `,"version":${JSON.stringify(versionTag(outcome))},"next":${JSON.stringify(next)}}`;
  return Buffer.concat([Buffer.from('{"results":'), outcome.body, Buffer.from(tail)]);
}

function sendAnswer(reply: FastifyReply, outcome: Answered, body: Buffer): FastifyReply {
  const tag = versionTag(outcome);
  if (tag) reply.header('tandem-version', tag);
  return reply.type('application/json; charset=utf-8').send(body);
}

/** api/auth.ts guards routes by scope: a query is a read. */
const READER = { config: { scope: 'read' } } as const;

/** GET /recommend/:id/:n's parameters as a checked query, or the 4xx; the order of the checks decides the code. */
function checkRecommend(
  params: { id: string; n: string },
  query: Record<string, string | string[]>,
  cursors: CursorSigner,
): CheckedQuery | ApiError {
  const { id, n: rawN } = params;
  if (!ID_REGEXP.test(id)) return httpError('TANDEM_ERR_BAD_ID');
  if (!N_PATTERN.test(rawN) || Number(rawN) < 1) return httpError('TANDEM_ERR_BAD_N', rawN);
  if (rawN.length > 6 || Number(rawN) > MAX_N) return httpError('TANDEM_ERR_N_TOO_LARGE', rawN);
  const input = fromQueryString(id, Number(rawN), query);
  return 'statusCode' in input ? input : checkQuery(input, cursors);
}

/** The `Link` of a full page: the same URL with the next page's cursor. */
function nextLink(id: string, rawN: string, query: Record<string, string | string[]>, cursor: string): string {
  // A cursor is base64url and ".": nothing in it to encode, so without other parameters the query is just it.
  if (!hasParameters(query)) return `</recommend/${encodeURIComponent(id)}/${rawN}?cursor=${cursor}>; rel="next"`;
  const params = new URLSearchParams(query as Record<string, string>);
  params.set('cursor', cursor);
  return `</recommend/${encodeURIComponent(id)}/${rawN}?${params}>; rel="next"`;
}

export function queryRoutes(app: FastifyInstance, target: QueryTarget, cursors: CursorSigner): void {
  // Not async: the answer arrives through a callback; an async handler added a promise and a microtask hop per request.
  app.get<{ Params: { id: string; n: string }; Querystring: Record<string, string | string[]> }>(
    '/recommend/:id/:n',
    { ...READER, schema: recommendSchema },
    (request, reply) => {
      const checked = checkRecommend(request.params, request.query, cursors);
      if ('statusCode' in checked) {
        sendError(reply, checked);
        return;
      }
      const { id, n: rawN } = request.params;
      target.query(checked.spec, (outcome) => {
        try {
          if (!outcome.ok) {
            sendError(reply, failure(request, outcome));
            return;
          }
          const next = nextCursor(outcome, checked, cursors);
          if (next) reply.header('link', nextLink(id, rawN, request.query, next));
          sendAnswer(reply, outcome, outcome.body);
        } catch (err) {
          // What an async handler's rejection did: the error handler answers it.
          reply.send(err);
        }
      });
      // Returning nothing: a sync handler's return value would be sent as the body.
    },
  );

  app.post<{ Body: { vector: number[]; n: number } }>('/search', { ...READER, schema: searchSchema }, async (request, reply) => {
    if (!request.body) return sendError(reply, noBody());
    const checked = checkQuery({ vector: request.body.vector, n: request.body.n }, cursors);
    if ('statusCode' in checked) return sendError(reply, checked);
    const outcome = await ask(target, checked);
    return outcome.ok ? sendAnswer(reply, outcome, outcome.body) : sendError(reply, failure(request, outcome));
  });

  app.post<{ Body: QueryInput }>(
    '/recommend',
    { ...READER, schema: recommendBodySchema, bodyLimit: QUERY_BODY_LIMIT },
    async (request, reply) => {
      if (!request.body) return sendError(reply, noBody());
      const checked = checkQuery(request.body, cursors);
      if ('statusCode' in checked) return sendError(reply, checked);
      const outcome = await ask(target, checked);
      if (!outcome.ok) return sendError(reply, failure(request, outcome));
      return sendAnswer(reply, outcome, answerBody(outcome, nextCursor(outcome, checked, cursors)));
    },
  );

  // One bad query does not fail the batch: each gets its own answer or error, in order.
  app.post<{ Body: { queries: QueryInput[] } }>(
    '/recommend/batch',
    { ...READER, schema: batchSchema, bodyLimit: BATCH_BODY_LIMIT },
    async (request, reply) => {
      if (!request.body) return sendError(reply, noBody());
      const { queries } = request.body;
      if (queries.length > MAX_BATCH) return sendError(reply, httpError('TANDEM_ERR_BATCH_TOO_LARGE', queries.length));
      const parts = await Promise.all(
        queries.map(async (input): Promise<Buffer> => {
          const problem = queryBodyProblem(input);
          if (problem) return Buffer.from(JSON.stringify({ error: errorPayload(httpError('TANDEM_ERR_BAD_BODY', problem)) }));
          const checked = checkQuery(input, cursors);
          if ('statusCode' in checked) return Buffer.from(JSON.stringify({ error: errorPayload(checked) }));
          const outcome = await ask(target, checked);
          if (!outcome.ok) return Buffer.from(JSON.stringify({ error: errorPayload(failure(request, outcome)) }));
          return answerBody(outcome, nextCursor(outcome, checked, cursors));
        }),
      );
      const items = parts.flatMap((part, i) => (i === 0 ? [part] : [Buffer.from(','), part]));
      return reply.type('application/json; charset=utf-8').send(Buffer.concat([Buffer.from('{"results":['), ...items, Buffer.from(']}')]));
    },
  );
}
