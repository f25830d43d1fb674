// A pickled record as the JSON a profile is stored as: numpy vectors and tuples become arrays,
// sets become arrays; what JSON cannot hold exactly (bytes, integers past 2^53, NaN and ±Infinity)
// refuses the record naming the field, rather than being written as something else.
import type { ProfileProblem } from '../profiles/errors.js';
import type { PickleValue } from './pickle.js';

/** Deeper than any profile: a bound, so a pathological pickle cannot exhaust the stack here. */
const MAX_DEPTH = 64;

export type PickleRecordCheck = { ok: true; value: Record<string, unknown> } | { ok: false; problem: ProfileProblem };

class Unrepresentable extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const child = (field: string, key: string | number): string =>
  typeof key === 'number' ? `${field}[${key}]` : field === '' ? key : `${field}.${key}`;

function finite(x: number, field: string): number {
  if (!Number.isFinite(x)) throw new Unrepresentable(field, `\`${field}\` is ${x}, which JSON cannot hold: every number must be finite`);
  return x;
}

function toJson(value: PickleValue, field: string, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Unrepresentable(field, `\`${field}\` is nested deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return finite(value, field);
  if (typeof value === 'bigint') {
    throw new Unrepresentable(field, `\`${field}\` is ${value}, an integer beyond ±2^53 that a JSON number cannot hold exactly`);
  }
  if (value instanceof Float32Array || value instanceof Float64Array) return Array.from(value, (x, i) => finite(x, child(field, i)));
  if (value instanceof Uint8Array)
    throw new Unrepresentable(field, `\`${field}\` is bytes; a profile holds text: decode it before pickling`);
  if (value instanceof Set) return [...value].map((item, i) => toJson(item, child(field, i), depth + 1));
  if (Array.isArray(value)) return value.map((item, i) => toJson(item, child(field, i), depth + 1));
  const object: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // Own properties only: a `__proto__` key stays a key.
    Object.defineProperty(object, key, {
      value: toJson(item, child(field, key), depth + 1),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return object;
}

/** A dict of the pickle as a JSON object, or the first field JSON cannot hold. */
export function jsonFromPickle(record: { [key: string]: PickleValue }): PickleRecordCheck {
  try {
    return { ok: true, value: toJson(record, '', 0) as Record<string, unknown> };
  } catch (err) {
    if (!(err instanceof Unrepresentable)) throw err;
    const code = err.field === 'vector' || err.field.startsWith('vector[') ? 'TANDEM_ERR_BAD_VECTOR' : 'TANDEM_ERR_BAD_FIELD';
    return { ok: false, problem: { code, field: err.field, message: err.message } };
  }
}
