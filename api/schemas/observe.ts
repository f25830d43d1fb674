// Schemas of the routes for people and orchestrators: health, readiness, status, trace. Their
// bodies are serialized through these, so every object is open (additionalProperties): a field
// added to the status must show up, not be dropped by the serializer.
import { errorResponses, type RouteSchema } from './common.js';

const tags = ['observe'];
const nullableString = { type: 'string', nullable: true } as const;
const nullableInteger = { type: 'integer', nullable: true } as const;

export const healthSchema: RouteSchema = {
  summary: 'Liveness',
  description: 'Answers while the main process runs, whatever the children do.',
  tags,
  response: {
    200: {
      type: 'object',
      required: ['status'],
      additionalProperties: true,
      properties: { status: { type: 'string', enum: ['ok'] }, uptimeSec: { type: 'integer' } },
    },
    ...errorResponses(),
  },
};

export const readySchema: RouteSchema = {
  summary: 'Readiness',
  description: 'Ready once an index version is served; 503 before that, and while shutting down.',
  tags,
  response: {
    200: {
      type: 'object',
      required: ['ready', 'version'],
      additionalProperties: true,
      properties: { ready: { type: 'boolean', enum: [true] }, version: nullableString },
    },
    ...errorResponses(503),
  },
};

const slotSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    slot: { type: 'integer' },
    pid: nullableInteger,
    role: { type: 'string', enum: ['answer', 'share', 'fetch', 'draining'] },
    state: { type: 'string' },
    version: nullableString,
    restarts: { type: 'integer' },
    lastFailure: nullableString,
    liveChanges: { type: 'object', nullable: true, additionalProperties: true },
    answered: { type: 'integer', description: 'Queries it answered (the spare too, while it shares the load).' },
  },
} as const;

/** GET /status's body; the /inspect stream carries it too. */
export const statusBodySchema = {
  type: 'object',
  required: ['state', 'servingVersion', 'latestVersion', 'answerer', 'quarantined', 'slots', 'queries', 'swaps'],
  additionalProperties: true,
  properties: {
    state: { type: 'string' },
    servingVersion: nullableString,
    latestVersion: nullableString,
    answerer: nullableInteger,
    quarantined: { type: 'array', items: { type: 'string' } },
    slots: { type: 'array', items: slotSchema },
    queries: { type: 'object', additionalProperties: true },
    swaps: { type: 'integer' },
    freshness: { type: 'object', additionalProperties: true },
  },
} as const;

export const statusSchema: RouteSchema = {
  summary: 'Supervisor state',
  description:
    'The supervisor state, the version served, the newest seen, quarantined versions, each child (pid, role, state, ' +
    'version, restarts, last failure), query counters and the swap count.',
  tags,
  response: { 200: statusBodySchema, ...errorResponses() },
};

/** One statechart trace record (trace/trace-record.ts); the /inspect stream carries them too. */
export const traceRecordSchema = {
  type: 'object',
  required: ['ts', 'actor', 'event', 'from', 'to'],
  additionalProperties: true,
  properties: {
    ts: { type: 'string' },
    actor: { type: 'string' },
    event: { type: 'string' },
    from: nullableString,
    to: { type: 'string' },
    seq: { type: 'integer' },
    version: { type: 'string' },
    slot: { type: 'integer' },
  },
} as const;

export const traceSchema: RouteSchema = {
  summary: 'Recent statechart trace records',
  description: 'The newest `limit` records, oldest first: every statechart event and transition.',
  tags,
  // Shown only: the route checks `limit` by hand for TANDEM_ERR_BAD_LIMIT.
  documented: {
    querystring: {
      type: 'object',
      properties: {
        limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: 'How many, 1 to 9999 (default 200).', examples: ['20'] },
      },
    },
  },
  response: { 200: { type: 'array', items: traceRecordSchema }, ...errorResponses(400) },
};

export const metricsSchema: RouteSchema = {
  summary: 'Prometheus metrics',
  description:
    'The Prometheus text format (`tandem_` names): requests and latency by route, queries in flight, shed, retried, timed ' +
    "out and held, swaps and their duration, fetch durations, restarts by slot and reason, quarantined versions, the served version's age, " +
    "live-update lag, each child's memory and CPU, and the main process's own (README, Metrics).",
  tags,
  response: {
    200: {
      description: 'Prometheus text exposition format 0.0.4.',
      content: { 'text/plain': { schema: { type: 'string' } } },
    },
    ...errorResponses(),
  },
};
