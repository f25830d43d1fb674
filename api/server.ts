// The HTTP API, in the main process. It holds no index: every query goes through the supervisor
// to the current answer child.
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Tracer } from '../trace/tracer.js';
import { errors } from './errors.js';
import { sendError } from './reply-error.js';
import { observeRoutes } from './routes/observe.js';
import { queryRoutes } from './routes/queries.js';

export interface ApiOptions {
  supervisor: Pick<Supervisor, 'recommend' | 'search' | 'status' | 'ready'>;
  tracer: Pick<Tracer, 'recent'>;
  log: Logger;
}

// For 405 versus 404: which paths exist, and with which method.
const ROUTE_METHODS: [RegExp, string][] = [
  [/^\/recommend\/[^/]*\/[^/]*$/, 'GET'],
  [/^\/search$/, 'POST'],
  [/^\/(health|ready|status|trace)$/, 'GET'],
];

export function buildApi(options: ApiOptions) {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    // One log line per request costs more than the search itself; errors are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 256 * 1024,
    // Long ids must reach our validator and get its 400, not the router's 404.
    routerOptions: { maxParamLength: 512 },
    return503OnClosing: true,
    // A string is not a number: "vector": ["1"] is a client bug to report, not to paper over.
    ajv: { customOptions: { coerceTypes: false } },
  });

  // JSON only: a text/plain body should be refused (415), not parsed into a string.
  app.removeContentTypeParser('text/plain');
  queryRoutes(app, options.supervisor);
  observeRoutes(app, options.supervisor, options.tracer);

  app.setNotFoundHandler((request, reply) => {
    const pathname = request.url.split('?')[0]!;
    const allowed = ROUTE_METHODS.find(([pattern]) => pattern.test(pathname))?.[1];
    if (allowed && allowed !== request.method) {
      reply.header('allow', allowed === 'GET' ? 'GET, HEAD' : allowed);
      return sendError(reply, errors.methodNotAllowed(request.method, pathname, allowed));
    }
    return sendError(reply, errors.notFound(request.method, request.url));
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; validation?: unknown }, request, reply) => {
    const statusCode = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (statusCode >= 500) request.log.error({ err: error }, 'request failed');
    if (statusCode === 415) return sendError(reply, errors.unsupportedMediaType(request.headers['content-type']));
    return sendError(reply, {
      statusCode,
      code: error.validation ? 'TANDEM_ERR_BAD_BODY' : (error.code ?? 'TANDEM_ERR_INTERNAL'),
      message: statusCode === 500 ? 'internal error; see the server log' : error.message,
    });
  });

  return app;
}
