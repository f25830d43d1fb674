// The write API's schemas: PUT, GET, DELETE /profiles/:id and POST /profiles/bulk. Bodies and ids
// are checked by the store's own validator (profiles/validate.ts) for its codes, so the profile
// schema is shown in the document, not applied by Fastify.
import { profileSchema } from '../../profiles/schema.js';
import { API_ERROR_ID, DEMO_ID, errorResponses, READ_AUTH_STATUSES, READ_SECURITY, type RouteSchema, WRITE_SECURITY } from './common.js';

const tags = ['profiles'];
const security = WRITE_SECURITY;
/** A profile the examples write and then delete, so a demo's own profiles are left alone. */
const EXAMPLE_ID = 'ada-lovelace';
const ada = { name: 'Ada', surname: 'Lovelace', age: 36, gender: 'female', city: 'London', interests: ['maths', 'poetry'] };

const { $schema: _draft, $id: _id, ...profileShape } = profileSchema;
/** A stored profile: the known fields, and every unknown one kept as given. */
const storedProfileSchema = { ...profileShape, additionalProperties: true } as const;

const idParam = (examples: string[]) => ({
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: profileShape.properties._id.pattern, examples } },
});
// Strings only, so validation never fails here: the route answers TANDEM_ERR_BAD_ID itself.
const idParamValidated = { type: 'object', properties: { id: { type: 'string' } } };

/** A refused profile: the error body with every problem, each with its field and code. */
const refusedSchema = {
  description: 'Malformed id, or the profile is refused: `problems` lists each field to fix.',
  type: 'object',
  allOf: [{ $ref: `${API_ERROR_ID}#` }],
  properties: {
    problems: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: { code: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  additionalProperties: true,
};

export const putProfileSchema: RouteSchema = {
  summary: 'Create or replace a profile',
  description: 'Kept in the store at once and served by the next query (no rebuild needed); answers with its change sequence.',
  tags,
  security,
  params: idParamValidated,
  documented: { params: idParam([EXAMPLE_ID]), body: { ...storedProfileSchema, examples: [ada] } },
  response: {
    200: { description: 'Replaced.', $ref: 'ProfileWritten#' },
    201: { description: 'Created.', $ref: 'ProfileWritten#' },
    ...errorResponses(401, 403, 413, 414, 415, 503),
    400: refusedSchema,
  },
};

export const getProfileSchema: RouteSchema = {
  summary: 'Read a profile',
  description: 'The profile as stored, unknown fields included. Needs no token.',
  tags,
  params: idParamValidated,
  documented: { params: idParam([DEMO_ID, 'no-such-profile']) },
  security: READ_SECURITY,
  response: { 200: storedProfileSchema, ...errorResponses(400, ...READ_AUTH_STATUSES, 404, 414, 503) },
};

export const deleteProfileSchema: RouteSchema = {
  summary: 'Delete a profile',
  description: 'Never returned by a query after this answer; the change sequence is in the `tandem-seq` header.',
  tags,
  security,
  params: idParamValidated,
  documented: { params: idParam([EXAMPLE_ID]) },
  response: {
    204: { description: 'Deleted.', type: 'null', headers: { 'tandem-seq': { type: 'string', description: 'change sequence' } } },
    ...errorResponses(400, 401, 403, 404, 413, 414, 415, 503),
  },
};

const bulkLines = [
  { _id: 'bulk-1', ...ada },
  { _id: 'bulk-2', name: 'Grace', surname: 'Hopper' },
];

export const bulkProfilesSchema: RouteSchema = {
  summary: 'Write many profiles from NDJSON',
  description:
    'One profile per line, `application/x-ndjson`, streamed: one result line per input line, in order ' +
    '(`{line, _id, ok: true, seq}` or `{line, _id, ok: false, code, message}`); a bad line does not stop the rest.',
  tags,
  security,
  documented: {
    body: {
      content: {
        'application/x-ndjson': {
          schema: { type: 'string', examples: [`${bulkLines.map((line) => JSON.stringify(line)).join('\n')}\n`] },
        },
      },
    },
  },
  response: {
    200: {
      description: 'One JSON result per input line (NDJSON).',
      content: { 'application/x-ndjson': { schema: { type: 'string' } } },
    },
    ...errorResponses(401, 403, 415, 503),
  },
};

/** Shared schemas the document lists as components. */
export const profileWrittenSchema = {
  $id: 'ProfileWritten',
  type: 'object',
  required: ['_id', 'seq', 'created'],
  additionalProperties: true,
  properties: { _id: { type: 'string' }, seq: { type: 'integer' }, created: { type: 'boolean' } },
} as const;
