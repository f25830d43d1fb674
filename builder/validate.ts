// Record checks, kept free of I/O so each skip reason can be pinned down by a unit test. A bad
// record is skipped and reported, never fatal: one broken line must not block a publish.
import { attributesOf } from '../index-version/attributes.js';
import type { SkippedRecord, SkipReason } from '../index-version/format.js';
import { encodedRowBytes, MAX_ROW_BYTES, type ProfileFields } from '../index-version/row-table.js';
import type { ProfileInput } from './vectorize.js';

export interface AcceptedRecord {
  ok: true;
  line: number;
  id: string;
  profile: ProfileInput;
  /** The profile as results show it (rows.bin). */
  fields: ProfileFields;
  vector: Float32Array;
}

export interface RejectedRecord {
  ok: false;
  skipped: SkippedRecord;
}

export type CheckResult = AcceptedRecord | RejectedRecord;

export interface RecordValidatorOptions {
  dims: number;
  vectorize: (profile: ProfileInput) => Float32Array;
}

// Details end up in logs and in the manifest: long enough to act on, short enough to keep both small.
const MAX_DETAIL = 200;

function truncate(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}

function reject(line: number, id: string | null, reason: SkipReason, detail: string): RejectedRecord {
  return { ok: false, skipped: { line, id, reason, detail: truncate(detail) } };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Why a vector cannot go into a cosine index, or null when it can. */
export function checkVector(vector: Float32Array, dims: number): { reason: SkipReason; detail: string } | null {
  if (vector.length !== dims) {
    return { reason: 'wrong_dimensions', detail: `expected ${dims} dims, got ${vector.length}` };
  }
  let sumSquares = 0;
  for (let i = 0; i < vector.length; i++) {
    const x = vector[i]!;
    if (!Number.isFinite(x)) return { reason: 'non_finite', detail: `component ${i} is ${x}` };
    sumSquares += x * x;
  }
  // Cosine distance is undefined for a zero vector: usearch would rank it arbitrarily.
  if (sumSquares === 0) return { reason: 'zero_vector', detail: 'vector has zero norm' };
  return null;
}

/** What a result shows of a profile; fields that are not strings show as "". */
export function profileFields(id: string, profile: ProfileInput): ProfileFields {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return { id, name: text(profile.name), surname: text(profile.surname), attributes: attributesOf(profile) };
}

/** The record's `_id`, or why it has none usable. */
export function checkId(record: ProfileInput): { id: string } | { detail: string } {
  const id = record._id;
  if (id === undefined) return { detail: '`_id` is missing' };
  if (typeof id !== 'string') return { detail: `\`_id\` must be a string, got ${describe(id)}` };
  if (id.trim() === '') return { detail: '`_id` is empty' };
  return { id };
}

/**
 * Checks one source line at a time. The only state is the set of accepted ids: a record that is
 * itself skipped does not claim its id, so a later valid record with that id still gets in.
 */
export class RecordValidator {
  readonly #dims: number;
  readonly #vectorize: (profile: ProfileInput) => Float32Array;
  readonly #accepted = new Set<string>();

  constructor(options: RecordValidatorOptions) {
    this.#dims = options.dims;
    this.#vectorize = options.vectorize;
  }

  get acceptedCount(): number {
    return this.#accepted.size;
  }

  /** null for a blank line (not a record: trailing newlines and spacing are not worth a report). */
  check(text: string, line: number): CheckResult | null {
    if (text.trim() === '') return null;

    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return reject(line, null, 'invalid_json', (err as Error).message);
    }
    return this.checkValue(parsed, line);
  }

  /** A record that is already a value (a stored profile); `line` is its position in the source. */
  checkValue(parsed: unknown, line: number): CheckResult {
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return reject(line, null, 'invalid_json', `expected a JSON object, got ${describe(parsed)}`);
    }
    const profile = parsed as ProfileInput;

    const idCheck = checkId(profile);
    if ('detail' in idCheck) return reject(line, null, 'missing_id', idCheck.detail);
    const { id } = idCheck;
    if (this.#accepted.has(id)) return reject(line, id, 'duplicate_id', `\`_id\` ${id} already seen on an earlier line`);

    let vector: Float32Array;
    try {
      vector = this.#vectorize(profile);
    } catch (err) {
      return reject(line, id, 'vectorizer_error', err instanceof Error ? err.message : String(err));
    }
    if (!(vector instanceof Float32Array)) {
      return reject(line, id, 'vectorizer_error', `vectorize() returned ${describe(vector)}, expected a Float32Array`);
    }
    const problem = checkVector(vector, this.#dims);
    if (problem) return reject(line, id, problem.reason, problem.detail);
    const fields = profileFields(id, profile);
    const rowBytes = encodedRowBytes(fields);
    if (rowBytes > MAX_ROW_BYTES)
      return reject(
        line,
        id,
        'too_long',
        `\`_id\`, \`name\` and \`surname\` take ${rowBytes} bytes as a result row; the limit is ${MAX_ROW_BYTES}`,
      );

    this.#accepted.add(id);
    return { ok: true, line, id, profile, fields, vector };
  }
}
