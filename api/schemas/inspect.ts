// Schemas of the /inspect routes: the page and its files, the machines as graphs, the live stream.
// Open objects (additionalProperties) as in observe.ts: a field added must show up, not be dropped.
import { errorResponses, type RouteSchema } from './common.js';
import { statusBodySchema, traceRecordSchema } from './observe.js';

const tags = ['inspect'];
const nullableNumber = { type: 'number', nullable: true } as const;

const stateSchema = {
  type: 'object',
  required: ['id', 'key', 'parent', 'type', 'initial'],
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    key: { type: 'string' },
    parent: { type: 'string', nullable: true },
    type: { type: 'string', enum: ['atomic', 'compound', 'parallel', 'final', 'history'] },
    initial: { type: 'boolean' },
  },
} as const;

const transitionSchema = {
  type: 'object',
  required: ['id', 'source', 'targets', 'kind', 'event'],
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    source: { type: 'string' },
    targets: { type: 'array', items: { type: 'string' } },
    kind: { type: 'string', enum: ['event', 'after', 'always'] },
    event: { type: 'string' },
    guard: { type: 'string' },
    reenter: { type: 'boolean' },
  },
} as const;

const querySecondSchema = {
  type: 'object',
  required: ['t', 'count', 'errors', 'p50', 'p99', 'max'],
  additionalProperties: true,
  properties: {
    t: { type: 'integer' },
    count: { type: 'integer' },
    errors: { type: 'integer' },
    p50: nullableNumber,
    p99: nullableNumber,
    max: nullableNumber,
  },
} as const;

const kinds = (value: object) => ({
  type: 'object',
  required: ['query', 'fetch', 'swap'],
  properties: { query: value, fetch: value, swap: value },
});

/** The trace's moving averages, as `tandem stats` prints them, over the window ending now (ms). */
const averagesSchema = {
  type: 'object',
  nullable: true,
  required: ['minute', 'windowMinutes', 'averages', 'counts'],
  additionalProperties: true,
  properties: {
    minute: { type: 'integer' },
    windowMinutes: { type: 'integer' },
    averages: kinds(nullableNumber),
    counts: kinds({ type: 'integer' }),
  },
} as const;

const snapshotSchema = {
  type: 'object',
  required: ['now', 'status', 'trace', 'seconds', 'averages'],
  additionalProperties: true,
  properties: {
    now: { type: 'integer' },
    status: statusBodySchema,
    trace: { type: 'array', items: traceRecordSchema },
    seconds: { type: 'array', items: querySecondSchema },
    averages: averagesSchema,
  },
} as const;

const text = (type: string) => ({ [type]: { schema: { type: 'string' } } });

export const inspectPageSchema: RouteSchema = {
  summary: 'The inspector page',
  description:
    'Both statecharts drawn from their definitions, the current state of each highlighted live, each child, and a timeline of ' +
    'swaps, fetches, drains, crashes and restarts above the query rate and p50/p99 latency. Its files are served by this service.',
  tags,
  response: { 200: { description: 'HTML.', content: text('text/html') }, ...errorResponses() },
};

export const inspectAssetSchema: RouteSchema = {
  summary: 'A file of the inspector page',
  description: "The page's ES modules and styles (inspect/page/), and the layout library's browser build (elkjs).",
  tags,
  params: {
    type: 'object',
    required: ['file'],
    properties: { file: { type: 'string', description: 'A file name, e.g. `inspect.mjs`.', examples: ['inspect.mjs', 'no-such-file.js'] } },
  },
  response: {
    200: { description: 'The file.', content: { ...text('text/javascript'), ...text('text/css'), ...text('text/html') } },
    ...errorResponses(404),
  },
};

export const inspectMachinesSchema: RouteSchema = {
  summary: 'The statecharts as graphs',
  description:
    'The supervisor and slot machines read from their XState definitions: every state (nested ones name their parent) and ' +
    'every transition (event, `after` delay or eventless `always`; guard; targets, none for one that stays).',
  tags,
  response: {
    200: {
      type: 'object',
      required: ['machines'],
      additionalProperties: true,
      properties: {
        machines: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'states', 'transitions'],
            additionalProperties: true,
            properties: {
              id: { type: 'string' },
              states: { type: 'array', items: stateSchema },
              transitions: { type: 'array', items: transitionSchema },
            },
          },
        },
      },
    },
    ...errorResponses(),
  },
};

export const inspectEventsSchema: RouteSchema = {
  summary: 'The live stream behind the inspector',
  description:
    'With `Accept: text/event-stream`: server-sent events, first `snapshot` (status, recent trace records, recent query seconds), ' +
    'then `trace` (each trace record as it happens) and `tick` every second (`{now, status, seconds, averages}`: the status, the query ' +
    'seconds finished since, the moving averages of `tandem stats` over the last 10 minutes). A client that falls 1 MiB behind is dropped; its EventSource reconnects. Otherwise: the snapshot as JSON.',
  tags,
  response: {
    200: {
      description: 'The event stream, or the snapshot.',
      content: { 'text/event-stream': { schema: { type: 'string' } }, 'application/json': { schema: snapshotSchema } },
    },
    ...errorResponses(),
  },
};
