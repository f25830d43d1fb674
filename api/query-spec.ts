// One query as every route asks it (GET /recommend/:id/:n, POST /recommend, each query of a batch):
// checked here once, so a bad parameter gets the same code and message whichever route it came by.
import type { PageRequest, QueryFilter } from '../channel/query-batch.js';
import { ID_REGEXP, MAX_AGE, MIN_AGE } from '../profiles/schema.js';
import type { QuerySpec } from '../supervisor/query-router.js';
import type { CursorSigner } from './cursor.js';
import { queryFingerprint } from './cursor.js';
import { type ApiError, httpError, MAX_EXCLUDED, MAX_N } from './errors.js';

/** A query as a client sends it, before it is checked. */
export interface QueryInput {
  id?: string;
  vector?: number[];
  profile?: Record<string, unknown>;
  n?: number;
  filter?: { ageMin?: number; ageMax?: number; gender?: string[]; city?: string };
  exclude?: string[];
  mutual?: boolean;
  cursor?: string;
}

export interface CheckedQuery {
  spec: QuerySpec;
  /** Ties a cursor to its query (api/cursor.ts). */
  fingerprint: string;
}

const GENDER = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const MAX_CITY_LENGTH = 256;
export const DEFAULT_N = 10;

const bad = (why: string) => httpError('TANDEM_ERR_BAD_FILTER', why);

function checkAge(name: string, value: number | undefined): ApiError | null {
  if (value === undefined) return null;
  if (!Number.isInteger(value) || value < MIN_AGE || value > MAX_AGE)
    return bad(`${name} must be a whole number of years from ${MIN_AGE} to ${MAX_AGE}, got ${JSON.stringify(value)}`);
  return null;
}

function checkFilter(input: QueryInput): QueryFilter | ApiError {
  const { ageMin, ageMax, gender, city } = input.filter ?? {};
  const ageProblem = checkAge('ageMin', ageMin) ?? checkAge('ageMax', ageMax);
  if (ageProblem) return ageProblem;
  if (ageMin !== undefined && ageMax !== undefined && ageMin > ageMax)
    return bad(`ageMin (${ageMin}) is over ageMax (${ageMax}): no age is in that range`);
  const badGender = gender?.find((g) => typeof g !== 'string' || !GENDER.test(g));
  if (badGender !== undefined)
    return bad(
      `gender ${JSON.stringify(badGender).slice(0, 80)} is not a gender name: a letter, then letters, digits, "_" or "-" (several: comma-separated)`,
    );
  if (gender !== undefined && gender.length === 0) return bad('gender is empty: name at least one gender, or leave it out');
  if (city !== undefined && (typeof city !== 'string' || city.length === 0 || city.length > MAX_CITY_LENGTH))
    return bad(`city must be 1 to ${MAX_CITY_LENGTH} characters`);
  const exclude = input.exclude;
  if (exclude !== undefined) {
    if (exclude.length > MAX_EXCLUDED) return httpError('TANDEM_ERR_TOO_MANY_EXCLUDED', exclude.length);
    const badId = exclude.find((id) => typeof id !== 'string' || !ID_REGEXP.test(id));
    if (badId !== undefined) return bad(`exclude holds ${JSON.stringify(badId).slice(0, 80)}, which is not a profile id`);
  }
  const filter: QueryFilter = {};
  if (ageMin !== undefined) filter.ageMin = ageMin;
  if (ageMax !== undefined) filter.ageMax = ageMax;
  if (gender !== undefined) filter.genders = [...new Set(gender)].sort();
  if (city !== undefined) filter.city = city;
  if (exclude?.length) filter.exclude = [...new Set(exclude)].sort();
  if (input.mutual) filter.mutual = true;
  return filter;
}

function checkVector(vector: number[]): ApiError | null {
  // JSON has no NaN or Infinity literals, but 1e999 parses to Infinity.
  if (!vector.every(Number.isFinite)) return httpError('TANDEM_ERR_BAD_VECTOR', 'every number in vector must be finite');
  if (vector.every((x) => x === 0)) return httpError('TANDEM_ERR_BAD_VECTOR', 'vector must not be all zeros: it has no direction');
  return null;
}

/** The query to send, or the 4xx that says what is wrong with it. */
export function checkQuery(input: QueryInput, cursors: CursorSigner): CheckedQuery | ApiError {
  const subjects = (['id', 'vector', 'profile'] as const).filter((key) => input[key] !== undefined);
  if (subjects.length !== 1)
    return httpError(
      'TANDEM_ERR_BAD_QUERY',
      `give exactly one of id, vector or profile (got ${subjects.length ? subjects.join(', ') : 'none'})`,
    );
  const n = input.n ?? DEFAULT_N;
  if (!Number.isInteger(n) || n < 1) return httpError('TANDEM_ERR_BAD_N', String(n));
  if (n > MAX_N) return httpError('TANDEM_ERR_N_TOO_LARGE', String(n));
  const filter = checkFilter(input);
  if ('statusCode' in filter) return filter;
  const f = Object.keys(filter).length > 0 ? filter : undefined;
  let spec: QuerySpec;
  let subject: unknown;
  if (input.id !== undefined) {
    if (!ID_REGEXP.test(input.id)) return httpError('TANDEM_ERR_BAD_ID');
    spec = { op: 'recommend', id: input.id, n, ...(f && { f }) };
    subject = { id: input.id };
  } else if (input.vector !== undefined) {
    const problem = checkVector(input.vector);
    if (problem) return problem;
    if (f?.mutual)
      return httpError(
        'TANDEM_ERR_NEEDS_PROFILE',
        'mutual matches against what the querying profile is seeking: ask by id or profile, not by vector',
      );
    spec = { op: 'search', vector: Float32Array.from(input.vector), n, ...(f && { f }) };
    subject = { vector: input.vector };
  } else {
    const profile = input.profile!;
    if (typeof profile !== 'object' || profile === null || Array.isArray(profile))
      return httpError('TANDEM_ERR_BAD_QUERY', 'profile must be a JSON object: the attributes of someone not in the store');
    spec = { op: 'profile', profile, n, ...(f && { f }) };
    subject = { profile };
  }
  const fingerprint = queryFingerprint(subject, f);
  if (input.cursor !== undefined) {
    const checked = cursors.check(input.cursor, fingerprint);
    if (!checked.ok) return checked.code === 'TANDEM_ERR_BAD_CURSOR' ? httpError(checked.code, checked.why) : httpError(checked.code);
    spec.p = checked.page satisfies PageRequest;
  }
  return { spec, fingerprint };
}

/** Whether a parsed query string has any parameter (without building an array of its keys). */
export function hasParameters(query: object): boolean {
  for (const _ in query) return true;
  return false;
}

/** GET's query string as a QueryInput: every parameter a string, lists comma-separated. */
export function fromQueryString(id: string, n: number, query: Record<string, string | string[] | undefined>): QueryInput | ApiError {
  const input: QueryInput = { id, n };
  // Most queries have no parameters: no entries array, no filter object to build.
  if (!hasParameters(query)) return input;
  const filter: NonNullable<QueryInput['filter']> = {};
  for (const [name, raw] of Object.entries(query)) {
    if (raw === undefined) continue;
    if (Array.isArray(raw)) return bad(`${name} is given ${raw.length} times; give it once (lists are comma-separated)`);
    const int = () => (/^[0-9]{1,3}$/.test(raw) ? Number(raw) : Number.NaN);
    switch (name) {
      case 'ageMin':
      case 'ageMax':
        if (Number.isNaN(int())) return bad(`${name} must be a whole number of years, got ${JSON.stringify(raw.slice(0, 40))}`);
        filter[name] = int();
        break;
      case 'gender':
        filter.gender = raw.split(',');
        break;
      case 'city':
        filter.city = raw;
        break;
      case 'exclude':
        input.exclude = raw === '' ? [] : raw.split(',');
        break;
      case 'mutual':
        if (raw !== 'true' && raw !== 'false') return bad(`mutual must be true or false, got ${JSON.stringify(raw.slice(0, 40))}`);
        input.mutual = raw === 'true';
        break;
      case 'cursor':
        input.cursor = raw;
        break;
      default:
        return bad(
          `unknown query parameter ${JSON.stringify(name.slice(0, 40))}: use ageMin, ageMax, gender, city, exclude, mutual or cursor`,
        );
    }
  }
  if (Object.keys(filter).length > 0) input.filter = filter;
  return input;
}
