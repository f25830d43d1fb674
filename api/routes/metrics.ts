// GET /metrics for Prometheus, and the hook that counts every request by route pattern (never the
// raw URL: a scanner's junk paths would each make a new series).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceMetrics } from '../../observe/metrics.js';
import { UNMATCHED_ROUTE } from '../../observe/metrics.js';
import type { QueryLatencyLog } from '../../observe/query-latency.js';
import { metricsSchema } from '../schemas/observe.js';

export interface RequestObservers {
  metrics: Pick<ServiceMetrics, 'onRequest' | 'text' | 'contentType'>;
  /** Query routes' latency for the trace file (`tandem stats`). */
  queryLatency?: Pick<QueryLatencyLog, 'add'>;
}

/** The query routes are the ones the OpenAPI document tags `queries`. */
function isQueryRoute(request: FastifyRequest): boolean {
  const schema = request.routeOptions.schema;
  return schema !== undefined && 'tags' in schema && Array.isArray(schema.tags) && schema.tags.includes('queries');
}

/** On the root instance, before the routes, so every route and the 404 handler are counted. */
export function observeRequests(app: FastifyInstance, observers: RequestObservers): void {
  // route -> method -> the query latency key ("GET /recommend/:id/:n"), or null for a route that is not a query's.
  const queryKeys = new Map<string, Map<string, string | null>>();
  const queryKeyOf = (request: FastifyRequest, route: string): string | null => {
    let byMethod = queryKeys.get(route);
    if (!byMethod) {
      byMethod = new Map();
      queryKeys.set(route, byMethod);
    }
    let key = byMethod.get(request.method);
    if (key === undefined) {
      key = isQueryRoute(request) ? `${request.method} ${route}` : null;
      byMethod.set(request.method, key);
    }
    return key;
  };
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const ms = reply.elapsedTime;
    observers.metrics.onRequest(route, request.method, reply.statusCode, ms);
    if (observers.queryLatency) {
      const key = queryKeyOf(request, route);
      if (key !== null) observers.queryLatency.add(key, ms);
    }
    done();
  });
}

export function metricsRoute(app: FastifyInstance, metrics: RequestObservers['metrics']): void {
  app.get('/metrics', { schema: metricsSchema }, async (_request, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType).send(text);
  });
}
