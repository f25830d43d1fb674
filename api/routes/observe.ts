// Routes for people and orchestrators watching the service: health, readiness, status, trace.
import type { FastifyInstance } from 'fastify';
import type { Supervisor } from '../../supervisor/supervisor.js';
import type { Tracer } from '../../trace/tracer.js';
import { httpError } from '../errors.js';
import { sendError } from '../reply-error.js';
import { healthSchema, readySchema, statusSchema, traceSchema } from '../schemas/observe.js';

export function observeRoutes(
  app: FastifyInstance,
  supervisor: Pick<Supervisor, 'status' | 'ready'>,
  tracer: Pick<Tracer, 'recent'>,
): void {
  app.get('/health', { schema: healthSchema }, async () => ({ status: 'ok', uptimeSec: Math.round(process.uptime()) }));

  app.get('/ready', { schema: readySchema }, async (_request, reply) => {
    if (!supervisor.ready) {
      const { state } = supervisor.status();
      return sendError(reply, httpError('TANDEM_ERR_NO_INDEX', `not ready: supervisor is ${state}, no index version is being served`));
    }
    return { ready: true, version: supervisor.status().servingVersion };
  });

  app.get('/status', { schema: statusSchema }, async () => supervisor.status());

  app.get<{ Querystring: { limit?: string } }>('/trace', { schema: traceSchema }, async (request, reply) => {
    const raw = request.query.limit ?? '200';
    if (!/^[0-9]{1,4}$/.test(raw) || Number(raw) < 1) return sendError(reply, httpError('TANDEM_ERR_BAD_LIMIT'));
    return tracer.recent(Number(raw));
  });
}
