// The HTTP API, in the main process. It holds no index: every query goes through the supervisor
// to the current answer child.
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import type { Logger } from 'pino';
import { LiveFeed } from '../inspect/live-feed.js';
import type { LiveAverages } from '../observe/live-averages.js';
import type { ProfileStore } from '../store/profile-store.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Tracer } from '../trace/tracer.js';
import { AUTH_DEFAULTS, type AuthSettings, registerAuth } from './auth.js';
import { CursorSigner } from './cursor.js';
import { BODY_LIMIT, httpError } from './errors.js';
import { type FastifyRaisedError, fromFastifyError } from './fastify-errors.js';
import { registerOpenApi } from './openapi.js';
import { sendError } from './reply-error.js';
import { inspectRoutes } from './routes/inspect.js';
import { loginRoutes } from './routes/login.js';
import { metricsRoute, observeRequests, type RequestObservers } from './routes/metrics.js';
import { observeRoutes } from './routes/observe.js';
import { profileRoutes } from './routes/profiles.js';
import { queryRoutes } from './routes/queries.js';

export interface ApiOptions {
  supervisor: Pick<Supervisor, 'query' | 'status' | 'ready' | 'querySeconds'>;
  /** Signs page cursors; without one, cursors last as long as this process. */
  cursorSecret?: string;
  tracer: Pick<Tracer, 'recent' | 'subscribe'>;
  log: Logger;
  /** The profile store and the tokens that may write it; without a store there is no write API. */
  profiles?: { store: ProfileStore; writeTokens: readonly string[] };
  /** Login, its tokens and whether reads need one; the write tokens above count as read and write. */
  auth?: Partial<AuthSettings>;
  /** Prometheus metrics (GET /metrics) and the query latency records; without them, neither. */
  observers?: RequestObservers;
  /** The trace's moving averages as `tandem stats` computes them, for /inspect. */
  liveAverages?: Pick<LiveAverages, 'latest'>;
}

// For 405 versus 404: which paths exist, and with which method.
const PROFILE_ROUTE_METHODS: [RegExp, string][] = [
  [/^\/profiles\/bulk$/, 'POST'],
  [/^\/profiles\/[^/]*$/, 'GET, PUT, DELETE'],
];
const ROUTE_METHODS: [RegExp, string][] = [
  [/^\/recommend\/[^/]*\/[^/]*$/, 'GET'],
  [/^\/recommend(\/batch)?$/, 'POST'],
  [/^\/search$/, 'POST'],
  [/^\/(health|ready|status|trace|metrics)$/, 'GET'],
  [/^\/(openapi\.json|docs(\/.*)?)$/, 'GET'],
  [/^\/inspect(\/.*)?$/, 'GET'],
  [/^\/api\/login$/, 'POST'],
];

export function buildApi(options: ApiOptions) {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    // One log line per request costs more than the search itself; errors are logged below.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // Long ids must reach our validator and get its 400, not the router's 404.
    routerOptions: { maxParamLength: 512 },
    return503OnClosing: true,
    // A string is not a number: "vector": ["1"] is a client bug to report, not to paper over.
    ajv: { customOptions: { coerceTypes: false } },
    // Errors the router raises before any hook (a bad URL, a parameter over maxParamLength).
    frameworkErrors: (error, request, reply) => sendError(reply, fromFastifyError(error, request.headers['content-type'])),
  });

  // JSON only: a text/plain body should be refused (415), not parsed into a string.
  app.removeContentTypeParser('text/plain');
  registerOpenApi(app);
  const { observers } = options;
  if (observers) observeRequests(app, observers);
  const auth = { ...AUTH_DEFAULTS, ...options.auth };
  // Before the routes, so that every route declared after it is guarded by its `config.scope`.
  registerAuth(app, {
    writeTokens: options.profiles?.writeTokens ?? [],
    // Without a configured secret, one per process: its tokens die with it.
    jwtSecret: auth.jwtSecret ?? randomBytes(32).toString('base64url'),
    readAuth: auth.readAuth,
  });
  // A plugin, so the routes are added after the document's onRoute hook is in place.
  app.register(async (api) => {
    loginRoutes(api, {
      password: auth.loginPassword,
      tokenTtlSec: auth.tokenTtlSec,
      maxAttempts: auth.loginMaxAttempts,
      windowSec: auth.loginWindowSec,
    });
    queryRoutes(api, options.supervisor, new CursorSigner(options.cursorSecret));
    observeRoutes(api, options.supervisor, options.tracer);
    if (observers) metricsRoute(api, observers.metrics);
    const { supervisor, tracer, log } = options;
    const feed = new LiveFeed(
      {
        status: () => supervisor.status(),
        tracer,
        querySeconds: supervisor.querySeconds,
        averages: () => options.liveAverages?.latest() ?? null,
      },
      { onDrop: (bufferedBytes) => log.warn({ bufferedBytes }, 'dropped an /inspect client that fell behind; it will reconnect') },
    );
    inspectRoutes(api, feed);
    // Its own context: the NDJSON body parser of /profiles/bulk must not apply to the query routes.
    const { profiles } = options;
    if (profiles) api.register(async (writes) => profileRoutes(writes, profiles.store));
  });

  const routes = options.profiles ? [...PROFILE_ROUTE_METHODS, ...ROUTE_METHODS] : ROUTE_METHODS;
  app.setNotFoundHandler((request, reply) => {
    const pathname = request.url.split('?')[0]!;
    const allowed = routes.find(([pattern]) => pattern.test(pathname))?.[1];
    if (allowed && !allowed.split(', ').includes(request.method)) {
      reply.header('allow', allowed === 'GET' ? 'GET, HEAD' : allowed);
      return sendError(reply, httpError('TANDEM_ERR_METHOD_NOT_ALLOWED', request.method, pathname, allowed));
    }
    return sendError(reply, httpError('TANDEM_ERR_NO_ROUTE', request.method, request.url));
  });

  app.setErrorHandler((error: FastifyRaisedError, request, reply) => {
    const apiError = fromFastifyError(error, request.headers['content-type']);
    if (apiError.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, apiError);
  });

  return app;
}
