// The JSON bodies of POST /recommend and POST /recommend/batch. Types only: the limits (n, ages,
// exclusions, batch size) are checked in api/query-spec.ts, so each gets its own error code.
import { Ajv } from 'ajv';
import { MAX_VECTOR_LENGTH } from '../errors.js';

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
