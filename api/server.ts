// The HTTP API, in the main process. It holds no index: every query goes through the supervisor
// to the current answer child.
import Fastify, { LogController, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { QueryOutcome } from '../supervisor/query-router.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Tracer } from '../supervisor/tracer.js';
import { errorPayload, errors, MAX_N, type ApiError } from './errors.js';

export interface ApiOptions {
  supervisor: Pick<Supervisor, 'recommend' | 'status' | 'ready'>;
  tracer: Pick<Tracer, 'recent'>;
  log: Logger;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const N_PATTERN = /^[0-9]+$/;

function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  if (error.retryAfterSec !== undefined) reply.header('retry-after', String(error.retryAfterSec));
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send(errorPayload(error));
}

function outcomeError(outcome: Extract<QueryOutcome, { ok: false }>): ApiError {
  switch (outcome.code) {
    case 'UNKNOWN_ID': {
      const message = outcome.body ? (JSON.parse(outcome.body.toString('utf8')) as { message: string }).message : 'unknown id';
      return errors.unknownId(message);
    }
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

export function buildApi(options: ApiOptions) {
  const app = Fastify({
    loggerInstance: options.log,
    // One log line per request costs more than the search itself; errors are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    // Long ids must reach our validator and get its 400, not the router's 404.
    routerOptions: { maxParamLength: 512 },
    return503OnClosing: true,
  });

  app.get<{ Params: { id: string; n: string } }>('/recommend/:id/:n', (request, reply) => {
    const { id, n: rawN } = request.params;
    if (!ID_PATTERN.test(id)) return sendError(reply, errors.badId());
    if (!N_PATTERN.test(rawN) || Number(rawN) < 1) return sendError(reply, errors.badN(rawN));
    if (rawN.length > 6 || Number(rawN) > MAX_N) return sendError(reply, errors.nTooLarge(rawN));
    options.supervisor.recommend(id, Number(rawN), (outcome) => {
      if (outcome.ok) {
        // The child already encoded the result as JSON: pass the bytes through untouched.
        reply.type('application/json; charset=utf-8').send(outcome.body);
      } else {
        const error = outcomeError(outcome);
        if (error.statusCode >= 500) request.log.warn({ id, code: outcome.code }, 'query failed');
        sendError(reply, error);
      }
    });
    return reply;
  });

  app.get('/health', async () => ({ status: 'ok', uptimeSec: Math.round(process.uptime()) }));

  app.get('/ready', async (_request, reply) => {
    const status = options.supervisor.status();
    if (!options.supervisor.ready) {
      return sendError(reply, { ...errors.noIndex(), message: `not ready: supervisor is ${status.state}, no index version is being served` });
    }
    return { ready: true, version: status.servingVersion };
  });

  app.get('/status', async () => options.supervisor.status());

  app.get<{ Querystring: { limit?: string } }>('/trace', async (request, reply) => {
    const raw = request.query.limit ?? '200';
    if (!/^[0-9]{1,4}$/.test(raw) || Number(raw) < 1) {
      return sendError(reply, { statusCode: 400, code: 'TANDEM_ERR_BAD_LIMIT', message: 'limit must be a whole number from 1 to 9999' });
    }
    return options.tracer.recent(Number(raw));
  });

  app.setNotFoundHandler((request, reply) => sendError(reply, errors.notFound(request.method, request.url)));

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const statusCode = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (statusCode >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, {
      statusCode,
      code: error.code ?? 'TANDEM_ERR_INTERNAL',
      message: statusCode === 500 ? 'internal error; see the server log' : error.message,
    });
  });

  return app;
}
