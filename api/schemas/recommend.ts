// The JSON bodies of POST /recommend and POST /recommend/batch. Types only: the limits (n, ages,
// exclusions, batch size) are checked in api/query-spec.ts, so each gets its own error code.
import { Ajv } from 'ajv';
import { MAX_VECTOR_LENGTH } from '../errors.js';
import { DEMO_ID, errorResponses, READ_AUTH_STATUSES, READ_SECURITY, type RouteSchema } from './common.js';
import { answerHeaders, neighboursSchema } from './queries.js';

export const filterSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ageMin: { type: 'integer', description: 'youngest age returned' },
    ageMax: { type: 'integer', description: 'oldest age returned' },
    gender: { type: 'array', items: { type: 'string' }, description: 'genders returned (any of them)' },
    city: { type: 'string', description: 'the city returned profiles live in' },
  },
} as const;

export const queryBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', description: 'recommend for this stored profile' },
    vector: { type: 'array', minItems: 1, maxItems: MAX_VECTOR_LENGTH, items: { type: 'number' }, description: 'nearest to this vector' },
    profile: { type: 'object', description: 'attributes of someone not in the store (cold start), vectorized as the builder would' },
    n: { type: 'integer', description: 'how many results, 1 to 100 (default 10)' },
    filter: filterSchema,
    exclude: { type: 'array', items: { type: 'string' }, description: 'ids never returned (seen, blocked), up to 10,000' },
    mutual: { type: 'boolean', description: 'only reciprocal matches: each side is what the other is seeking' },
    cursor: { type: 'string', description: 'the `next` of the previous page' },
  },
} as const;

const answerSchema = {
  type: 'object',
  required: ['results', 'version', 'next'],
  properties: {
    results: neighboursSchema,
    version: { type: 'string', description: 'The index version and store seq that answered (as the Tandem-Version header).' },
    next: {
      type: ['string', 'null'],
      description: 'A cursor for the next page (same query, `cursor` set), or null when this page was the last.',
    },
  },
} as const;

export const recommendBodySchema: RouteSchema = {
  summary: 'Recommend by id, by vector, or for a profile not in the store; filtered, mutual, paged',
  description:
    "Exactly one of `id`, `vector` or `profile` (a cold start: its attributes are vectorized by the served version's vectorizer). " +
    'Filters are applied during the search; `mutual` needs an id or a profile. Pages: send `next` back as `cursor`.',
  tags: ['queries'],
  body: {
    ...queryBody,
    examples: [
      { id: DEMO_ID, n: 5 },
      { id: DEMO_ID, n: 5, filter: { ageMin: 25, ageMax: 45, gender: ['female', 'male'] }, mutual: true },
      { profile: { age: 31, gender: 'female', city: 'Lisbon', interests: ['climbing', 'jazz'], seeking: { genders: ['male'] } }, n: 3 },
    ],
  },
  security: READ_SECURITY,
  response: {
    200: { ...answerSchema, headers: answerHeaders },
    ...errorResponses(400, ...READ_AUTH_STATUSES, 404, 410, 413, 415, 422, 503, 504),
  },
};

export const batchBody = {
  type: 'object',
  required: ['queries'],
  additionalProperties: false,
  // Items are checked one by one (validateQueryBody), so one bad query does not fail the batch.
  properties: { queries: { type: 'array', items: { type: 'object' } } },
} as const;

const ajv = new Ajv({ allErrors: false, coerceTypes: false });
const validate = ajv.compile(queryBody);

/** Why one query of a batch does not fit the query body's schema, or null when it does. */
export function queryBodyProblem(query: unknown): string | null {
  if (validate(query)) return null;
  const error = validate.errors![0]!;
  return `query${error.instancePath.replaceAll('/', '.')} ${error.message ?? 'is invalid'}${error.keyword === 'additionalProperties' ? ` (${(error.params as { additionalProperty: string }).additionalProperty})` : ''}`;
}

export const batchSchema: RouteSchema = {
  summary: 'Up to 1,000 queries in one request',
  description:
    'Each query as POST /recommend takes it; answered in order, each with its answer or its own error: one bad query does not fail the batch.',
  tags: ['queries'],
  body: { ...batchBody, examples: [{ queries: [{ id: DEMO_ID, n: 2 }, { id: 'no-such-profile' }] }] },
  security: READ_SECURITY,
  response: {
    200: {
      type: 'object',
      required: ['results'],
      properties: {
        results: {
          type: 'array',
          items: { oneOf: [answerSchema, { type: 'object', required: ['error'], properties: { error: { $ref: 'ApiError#' } } }] },
        },
      },
    },
    ...errorResponses(400, ...READ_AUTH_STATUSES, 413, 415),
  },
};
