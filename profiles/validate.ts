// Validates one profile outside Fastify (the import reads NDJSON, CSV and pickle): ajv checks the
// schema, then the rules JSON Schema cannot state. Every problem is reported at once, each with a
// stable code and a message naming the field, so one pass over a bad file tells all that is wrong.
import { Ajv, type ErrorObject } from 'ajv';
import type { ProfileErrorCode, ProfileProblem } from './errors.js';
import { MAX_AGE, MAX_ID_LENGTH, MAX_NAME_LENGTH, MIN_AGE, type Profile, profileSchema } from './schema.js';

export type ProfileCheck = { ok: true; profile: Profile } | { ok: false; problems: ProfileProblem[] };

export interface ProfileCheckOptions {
  /** The index dimensions a given vector must have; any length when absent. */
  dims?: number;
}

// coerceTypes false: "18" is not an age. verbose: the offending value comes with each error.
const ajv = new Ajv({ allErrors: true, coerceTypes: false, useDefaults: false, removeAdditional: false, verbose: true });
const checkSchema = ajv.compile(profileSchema);

const AGE_RULE = `a whole number from ${MIN_AGE} to ${MAX_AGE}`;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return typeof value === 'number' ? String(value) : `a ${typeof value}`;
}

/** `/seeking/genders/1` -> `seeking.genders[1]`. */
function fieldOf(instancePath: string): string {
  let field = '';
  for (const raw of instancePath.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    field += /^\d+$/.test(segment) ? `[${segment}]` : field === '' ? segment : `.${segment}`;
  }
  return field;
}

function typeName(error: ErrorObject): string {
  const type = String(error.params.type);
  return type === 'integer' ? 'a whole number' : type === 'array' || type === 'object' ? `an ${type}` : `a ${type}`;
}

function codeFor(top: string, error: ErrorObject): ProfileProblem['code'] {
  if (top === '_id') return 'TANDEM_ERR_BAD_ID';
  if (top === 'age') return 'TANDEM_ERR_BAD_AGE';
  if (top === 'seeking') return 'TANDEM_ERR_BAD_SEEKING';
  if (top === 'vector') return 'TANDEM_ERR_BAD_VECTOR';
  if (top === 'name' || top === 'surname') {
    if (error.keyword === 'maxLength') return 'TANDEM_ERR_NAME_TOO_LONG';
    // null is a name left out; a number or an object is the wrong type.
    return error.keyword === 'type' && error.data !== null ? 'TANDEM_ERR_BAD_FIELD' : 'TANDEM_ERR_MISSING_NAME';
  }
  return 'TANDEM_ERR_BAD_FIELD';
}

function messageFor(field: string, code: ProfileErrorCode, error: ErrorObject): string {
  const got = describe(error.data);
  switch (error.keyword) {
    case 'required':
      return `\`${field}\` is missing: give it as a non-empty string`;
    case 'type':
      if (code === 'TANDEM_ERR_MISSING_NAME') return `\`${field}\` is null: give it as a non-empty string`;
      return code === 'TANDEM_ERR_BAD_AGE' || (code === 'TANDEM_ERR_BAD_SEEKING' && field.startsWith('seeking.age'))
        ? `\`${field}\` must be ${AGE_RULE}, got ${got}`
        : error.params.type === 'number' && typeof error.data === 'number' // ajv's number type refuses NaN and ±Infinity
          ? `\`${field}\` must be a finite number, got ${got}`
          : `\`${field}\` must be ${typeName(error)}, got ${got}`;
    case 'minimum':
    case 'maximum':
      return `\`${field}\` must be ${AGE_RULE}, got ${got}`;
    case 'pattern':
      return code === 'TANDEM_ERR_BAD_ID'
        ? `\`_id\` must be 1 to ${MAX_ID_LENGTH} characters of letters, digits, "_" or "-", got ${got}`
        : `\`${field}\` is blank: give it as a non-empty string`;
    case 'minLength':
      return `\`${field}\` is empty: give it as a non-empty string`;
    case 'maxLength':
      return `\`${field}\` is ${[...(error.data as string)].length} characters; at most ${MAX_NAME_LENGTH} fit a result row`;
    case 'additionalProperties':
      return `\`${field}\` is not a field of seeking: use genders, ageMin, ageMax`;
    case 'minItems':
      return `\`${field}\` is empty: give the profile's numbers, or leave \`vector\` out to have one computed`;
    case 'maxItems':
      return `\`${field}\` has ${(error.data as unknown[]).length} numbers; at most ${String(error.params.limit)}`;
    default:
      return `\`${field}\` ${error.message ?? 'is invalid'}`;
  }
}

function schemaProblem(error: ErrorObject): ProfileProblem {
  if (error.keyword === 'type' && error.instancePath === '') {
    return { code: 'TANDEM_ERR_BAD_PROFILE', field: '', message: `a profile must be a JSON object, got ${describe(error.data)}` };
  }
  const field =
    error.keyword === 'required'
      ? String(error.params.missingProperty)
      : error.keyword === 'additionalProperties'
        ? `${fieldOf(error.instancePath)}.${String(error.params.additionalProperty)}`
        : fieldOf(error.instancePath);
  const top = field.split(/[.[]/, 1)[0]!;
  const code = error.keyword === 'required' && top === '_id' ? 'TANDEM_ERR_BAD_ID' : codeFor(top, error);
  const message =
    code === 'TANDEM_ERR_BAD_ID' && error.keyword === 'required'
      ? '`_id` is missing: give 1 to 128 characters of letters, digits, "_" or "-"'
      : messageFor(field, code, error);
  return { code, field, message };
}

/**
 * Why a vector cannot go into a cosine index as float32, or null when it can. Checked after the
 * schema, which has already made it a non-empty array of numbers.
 */
export function vectorProblem(vector: readonly number[], dims?: number): string | null {
  if (dims !== undefined && vector.length !== dims) return `\`vector\` has ${vector.length} numbers; the index has ${dims} dimensions`;
  let nonZero = false;
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i]!;
    if (!Number.isFinite(x)) return `\`vector[${i}]\` is ${x}: every number must be finite`;
    // The store and the index keep float32: a finite double can still overflow it.
    const f = Math.fround(x);
    if (!Number.isFinite(f)) return `\`vector[${i}]\` is ${x}, beyond the float32 range (about ±3.4e38)`;
    if (f !== 0) nonZero = true;
  }
  // Cosine distance is undefined for a zero vector: the index would rank it arbitrarily.
  return nonZero ? null : '`vector` is all zeros (as float32): cosine distance needs a direction';
}

/** Checks what the schema cannot: the seeking age range, and the vector's values. */
function ruleProblems(profile: Profile, problems: ProfileProblem[], options: ProfileCheckOptions): void {
  const failed = (top: string) => problems.some((p) => p.field === top || p.field.startsWith(`${top}.`) || p.field.startsWith(`${top}[`));
  const seeking = profile.seeking;
  if (seeking && !failed('seeking') && seeking.ageMin !== undefined && seeking.ageMax !== undefined && seeking.ageMin > seeking.ageMax) {
    problems.push({
      code: 'TANDEM_ERR_BAD_SEEKING',
      field: 'seeking',
      message: `\`seeking.ageMin\` (${seeking.ageMin}) is above \`seeking.ageMax\` (${seeking.ageMax}): swap them or widen the range`,
    });
  }
  if (profile.vector && !failed('vector')) {
    const problem = vectorProblem(profile.vector, options.dims);
    if (problem) problems.push({ code: 'TANDEM_ERR_BAD_VECTOR', field: 'vector', message: problem });
  }
}

/** The profile itself (not a copy: unknown fields stay as given), or every problem found. */
export function validateProfile(input: unknown, options: ProfileCheckOptions = {}): ProfileCheck {
  const problems: ProfileProblem[] = [];
  const seen = new Set<string>();
  if (!checkSchema(input)) {
    for (const error of checkSchema.errors ?? []) {
      const problem = schemaProblem(error);
      // One report per code and field: "" fails both minLength and the `\S` pattern.
      const key = `${problem.code} ${problem.field}`;
      if (!seen.has(key)) {
        seen.add(key);
        problems.push(problem);
      }
    }
  }
  if (problems.some((p) => p.code === 'TANDEM_ERR_BAD_PROFILE')) return { ok: false, problems };
  const profile = input as Profile;
  ruleProblems(profile, problems, options);
  return problems.length === 0 ? { ok: true, profile } : { ok: false, problems };
}
