// The profile contract shared by the write API, the import and the builder: one JSON Schema
// (draft-07, plain data so Fastify's ajv can compile it too) and the TypeScript shape it admits.
// What JSON Schema cannot say (ageMin <= ageMax, a vector's dimensions and values) is checked in
// validate.ts, which is the one entry point outside Fastify.
import { MAX_ROW_BYTES } from '../index-version/row-table.js';

export const MAX_ID_LENGTH = 128;
export const ID_PATTERN = `^[A-Za-z0-9_-]{1,${MAX_ID_LENGTH}}$`;
/** The same rule for a path parameter. */
export const ID_REGEXP = new RegExp(ID_PATTERN);
/**
 * Longest name and surname, in code points (what ajv's maxLength counts). JSON.stringify writes a
 * code point as at most 6 bytes (`\u001f`, a lone surrogate), so `{"_id":…,"name":…,"surname":…,
 * "distance":` stays under MAX_ROW_BYTES even when both are this long: see ROW_BYTES_WORST_CASE.
 */
export const MAX_NAME_LENGTH = 256;
export const MIN_AGE = 18;
export const MAX_AGE = 120;
/** Same bound as POST /search: the index's own dimensions decide what fits. */
export const MAX_VECTOR_LENGTH = 4096;

const ROW_FRAME_BYTES = '{"_id":"","name":"","surname":"","distance":'.length;
export const ROW_BYTES_WORST_CASE = ROW_FRAME_BYTES + MAX_ID_LENGTH + 2 * 6 * MAX_NAME_LENGTH;
if (ROW_BYTES_WORST_CASE >= MAX_ROW_BYTES) throw new Error('MAX_NAME_LENGTH lets a result row outgrow MAX_ROW_BYTES');

export interface Seeking {
  genders?: string[];
  ageMin?: number;
  ageMax?: number;
}

export interface Profile {
  _id: string;
  name: string;
  surname: string;
  age?: number;
  gender?: string;
  city?: string;
  interests?: string[];
  bio?: string;
  seeking?: Seeking;
  vector?: number[];
  /** Unknown fields are allowed and kept as given. */
  [field: string]: unknown;
}

const age = { type: 'integer', minimum: MIN_AGE, maximum: MAX_AGE } as const;
// `\S`: a name of spaces is as good as none to the person reading a result.
const personName = { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH, pattern: '\\S' } as const;

export const PROFILE_SCHEMA_ID = 'tandem:profile';

export const profileSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: PROFILE_SCHEMA_ID,
  type: 'object',
  required: ['_id', 'name', 'surname'],
  properties: {
    _id: { type: 'string', pattern: ID_PATTERN },
    name: personName,
    surname: personName,
    age,
    gender: { type: 'string' },
    city: { type: 'string' },
    interests: { type: 'array', items: { type: 'string' } },
    bio: { type: 'string' },
    seeking: {
      type: 'object',
      // Closed, unlike the profile: a misspelt `agemin` would silently filter nothing.
      additionalProperties: false,
      properties: {
        genders: { type: 'array', items: { type: 'string' } },
        ageMin: age,
        ageMax: age,
      },
    },
    vector: { type: 'array', minItems: 1, maxItems: MAX_VECTOR_LENGTH, items: { type: 'number' } },
  },
  additionalProperties: true,
} as const;
