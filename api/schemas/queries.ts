// The query routes' schemas: GET /recommend/:id/:n and POST /search. Extend here (query
// parameters, more routes); api/routes/queries.ts only references these.
import { DEFAULT_DIMS } from '../../builder/vectorize.js';
import { ID_PATTERN } from '../../profiles/schema.js';
import { MAX_N, MAX_VECTOR_LENGTH } from '../errors.js';
import { DEMO_ID, errorResponses, READ_AUTH_STATUSES, READ_SECURITY, type RouteSchema } from './common.js';

/** One result row, as the answer child encodes it. */
export const neighbourSchema = {
  type: 'object',
  required: ['_id', 'name', 'surname', 'distance'],
  properties: {
    _id: { type: 'string' },
    name: { type: 'string' },
    surname: { type: 'string' },
    distance: { type: 'number', description: 'cosine distance, 0 = same direction' },
  },
} as const;

/** The 200 body of both routes; sent as the child's bytes, never re-serialized. */
export const neighboursSchema = {
  type: 'array',
  description: 'The nearest profiles, nearest first.',
  items: neighbourSchema,
} as const;

// What the route checks by hand (the order of its checks decides the code): shown, not validated.
const recommendParamsDocumented = {
  type: 'object',
  required: ['id', 'n'],
  properties: {
    id: {
      type: 'string',
      pattern: ID_PATTERN,
      description: 'The profile to find neighbours for (TANDEM_ERR_BAD_ID if malformed, TANDEM_ERR_UNKNOWN_ID if not indexed).',
      examples: [DEMO_ID, 'no-such-profile'],
    },
    n: {
      type: 'string',
      pattern: '^[0-9]+$',
      description: `How many, a whole number from 1 to ${MAX_N} (TANDEM_ERR_BAD_N, TANDEM_ERR_N_TOO_LARGE).`,
      examples: ['5', '3'],
    },
  },
} as const;

// Checked by hand too (api/query-spec.ts), so each bad one gets TANDEM_ERR_BAD_FILTER naming it.
const recommendQueryDocumented = {
  type: 'object',
  properties: {
    ageMin: { type: 'integer', minimum: 18, maximum: 120, description: 'Youngest age returned.', examples: [25] },
    ageMax: { type: 'integer', minimum: 18, maximum: 120, description: 'Oldest age returned (not under ageMin).', examples: [40] },
    gender: { type: 'string', description: 'Genders returned, comma-separated (any of them).', examples: ['female,nonbinary'] },
    city: { type: 'string', description: 'The city returned profiles live in.', examples: ['Lisbon'] },
    exclude: { type: 'string', description: 'Ids never returned (seen, blocked), comma-separated; up to 10,000 (POST for long lists).' },
    mutual: {
      type: 'string',
      enum: ['true', 'false'],
      description:
        'Reciprocal matching: only profiles the querying profile is seeking (its `seeking` genders and ages) that are seeking it too.',
      examples: ['true'],
    },
    cursor: { type: 'string', description: 'From the previous page\'s `Link: <…>; rel="next"`: the next page, from the same version.' },
  },
} as const;

/** The headers every answer carries. */
export const answerHeaders = {
  'Tandem-Version': {
    type: 'string',
    description: 'The index version that answered, and the store change seq its answer saw: `<version>; seq=<n>`.',
  },
  Link: { type: 'string', description: 'On a full page: `</recommend/…&cursor=…>; rel="next"`, the next page from the same version.' },
} as const;

export const recommendSchema: RouteSchema = {
  summary: 'The n profiles nearest to a profile, optionally filtered',
  description:
    'Nearest first, the profile itself excluded; n larger than the matching profiles returns all of them. ' +
    'Filters are applied during the search: n results whenever n profiles match. ' +
    'Answered by the current answer child from the served index version plus the changes since.',
  tags: ['queries'],
  // Strings only, so validation never fails here: the route's own checks give the specific codes.
  params: { type: 'object', properties: { id: { type: 'string' }, n: { type: 'string' } } },
  documented: { params: recommendParamsDocumented, querystring: recommendQueryDocumented },
  security: READ_SECURITY,
  response: {
    200: { ...neighboursSchema, headers: answerHeaders },
    ...errorResponses(400, ...READ_AUTH_STATUSES, 404, 410, 414, 503, 504),
  },
};

const exampleVector = Array.from({ length: DEFAULT_DIMS }, (_, i) => Math.round(Math.sin(i + 1) * 1000) / 1000);

export const searchBodySchema = {
  type: 'object',
  required: ['vector'],
  additionalProperties: false,
  properties: {
    vector: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_VECTOR_LENGTH,
      items: { type: 'number' },
      description: `The index's dimensions (${DEFAULT_DIMS} by default), finite numbers, not all zeros.`,
    },
    n: { type: 'integer', minimum: 1, maximum: MAX_N, default: 10 },
  },
  examples: [{ vector: exampleVector, n: 5 }],
} as const;

export const searchSchema: RouteSchema = {
  summary: 'The n profiles nearest to a vector',
  description: 'Same answer shape as /recommend; the vector is compared by cosine distance.',
  tags: ['queries'],
  body: searchBodySchema,
  security: READ_SECURITY,
  response: { 200: neighboursSchema, ...errorResponses(400, ...READ_AUTH_STATUSES, 413, 415, 503, 504) },
};
