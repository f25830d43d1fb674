// Profile -> vector by feature hashing: every feature value ("interest:chess", "city:oslo") maps
// to a fixed pseudo-random unit vector seeded by a hash of its name. In 128 dims such vectors are
// nearly orthogonal, so the cosine between two profiles grows with the features they share and
// there is no vocabulary to train, store or version.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fnv1a32, gaussian, mulberry32 } from './random.js';

export const DEFAULT_DIMS = 128;
// /2: a profile with none of the descriptive features is placed by its name and surname.
export const BUILTIN_VECTORIZER = 'tandem-hash/2';

/** A parsed source record; the vectorizer must cope with any shape, the validator judges the result. */
export type ProfileInput = Record<string, unknown>;

export interface Vectorizer {
  name: string;
  dims: number;
  vectorize(profile: ProfileInput): Float32Array;
}

const WEIGHT = { interest: 1.0, city: 0.8, age: 0.7, gender: 0.3, bio: 0.4, name: 1.0, surname: 1.0 } as const;
const AGE_BUCKET_YEARS = 5;
// Bio words that say nothing about a person; without this list "and"/"the" would pull every bio together.
const STOP_WORDS = new Set(
  'a an and are as at be but by for from has have i in is it me my of on or so the to was we who with you your if do am not no'.split(' '),
);
// Bounds memory on user data with an open vocabulary (bio words); the demo vocabulary is tiny.
const MAX_CACHED_BASES = 100_000;

function checkDims(dims: number): void {
  if (!Number.isInteger(dims) || dims <= 0) throw new RangeError(`dims must be a positive integer, got ${dims}`);
}

/** The unit vector a feature value maps to. Same token and dims, same vector, in every process. */
export function basisVector(token: string, dims: number): Float64Array {
  const rng = mulberry32(fnv1a32(token));
  const out = new Float64Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = gaussian(rng);
    out[i] = x;
    norm += x * x;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dims; i++) out[i]! /= norm;
  return out;
}

/**
 * A vector the record already carries. JSON has no NaN, but 1e400 parses to Infinity and 1e39
 * overflows float32: those pass through here and are rejected by the validator as non-finite.
 */
export function vectorFromField(value: unknown, label = '`vector`'): Float32Array {
  if (!Array.isArray(value)) throw new TypeError(`${label} must be an array of numbers`);
  const out = new Float32Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const x: unknown = value[i];
    // Strict: Number(null) would silently become 0 and hide a broken record.
    if (typeof x !== 'number') throw new TypeError(`${label}[${i}] is ${x === null ? 'null' : typeof x}, expected a number`);
    out[i] = x;
  }
  return out;
}

function hasVectorField(profile: ProfileInput): boolean {
  return profile.vector !== undefined;
}

function normalizeToken(value: string): string {
  return value.trim().toLowerCase();
}

function bioWords(bio: string): string[] {
  const words = new Set<string>();
  for (const word of bio.toLowerCase().split(/[^\p{L}\p{N}-]+/u)) {
    if (word.length >= 3 && !STOP_WORDS.has(word)) words.add(word);
  }
  return [...words];
}

/** The built-in feature-hashing vectorizer. */
export function createVectorizer(options: { dims?: number } = {}): Vectorizer {
  const dims = options.dims ?? DEFAULT_DIMS;
  checkDims(dims);
  const cache = new Map<string, Float64Array>();

  function basis(token: string): Float64Array {
    let v = cache.get(token);
    if (!v) {
      if (cache.size >= MAX_CACHED_BASES) cache.clear();
      v = basisVector(token, dims);
      cache.set(token, v);
    }
    return v;
  }

  function addScaled(acc: Float64Array, v: Float64Array, weight: number): void {
    for (let i = 0; i < dims; i++) acc[i]! += weight * v[i]!;
  }

  function vectorize(profile: ProfileInput): Float32Array {
    if (hasVectorField(profile)) return vectorFromField(profile.vector);
    const acc = new Float64Array(dims);

    if (Array.isArray(profile.interests)) {
      const seen = new Set<string>();
      for (const interest of profile.interests) {
        if (typeof interest !== 'string') continue;
        const token = normalizeToken(interest);
        if (token === '' || seen.has(token)) continue;
        seen.add(token);
        addScaled(acc, basis(`interest:${token}`), WEIGHT.interest);
      }
    }
    if (typeof profile.city === 'string' && profile.city.trim() !== '') {
      addScaled(acc, basis(`city:${normalizeToken(profile.city)}`), WEIGHT.city);
    }
    if (typeof profile.age === 'number' && Number.isFinite(profile.age) && profile.age >= 0) {
      // Interpolating between neighbouring buckets makes 29 and 31 close, where hard buckets
      // would make them as far apart as 29 and 60.
      const position = profile.age / AGE_BUCKET_YEARS;
      const bucket = Math.floor(position);
      const f = position - bucket;
      // The two bucket vectors are nearly orthogonal: rescale so age always weighs the same.
      const scale = WEIGHT.age / Math.hypot(1 - f, f);
      addScaled(acc, basis(`age:${bucket}`), (1 - f) * scale);
      if (f > 0) addScaled(acc, basis(`age:${bucket + 1}`), f * scale);
    }
    if (typeof profile.gender === 'string' && profile.gender.trim() !== '') {
      addScaled(acc, basis(`gender:${normalizeToken(profile.gender)}`), WEIGHT.gender);
    }
    if (typeof profile.bio === 'string') {
      const words = bioWords(profile.bio);
      // Total bio weight stays small however long the bio is, so bios refine but never dominate.
      const weight = words.length > 0 ? WEIGHT.bio / Math.sqrt(words.length) : 0;
      for (const word of words) addScaled(acc, basis(`word:${word}`), weight);
    }

    // The original service's records carry only _id, name and surname: with nothing else to go
    // on, those place the profile (same name, same surname: near), so every such record is
    // recommendable. With any descriptive feature they play no part.
    if (acc.every((x) => x === 0)) {
      for (const field of ['name', 'surname'] as const) {
        const value = profile[field];
        if (typeof value === 'string' && value.trim() !== '') addScaled(acc, basis(`${field}:${normalizeToken(value)}`), WEIGHT[field]);
      }
    }

    let norm = 0;
    for (let i = 0; i < dims; i++) norm += acc[i]! * acc[i]!;
    norm = Math.sqrt(norm);
    const out = new Float32Array(dims);
    // Nothing at all to go on (not even a name) stays the zero vector: the validator rejects it rather than us inventing a direction.
    if (norm > 0) for (let i = 0; i < dims; i++) out[i] = acc[i]! / norm;
    return out;
  }

  return { name: BUILTIN_VECTORIZER, dims, vectorize };
}

function toFloat32(value: unknown): Float32Array {
  if (value instanceof Float32Array) return value;
  if (Array.isArray(value)) return vectorFromField(value, 'vectorize() result');
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Float32Array.from(value as unknown as ArrayLike<number>, Number);
  throw new TypeError(`vectorize() returned ${value === null ? 'null' : typeof value}, expected an array of numbers`);
}

type UserModule = { vectorize?: unknown; dims?: unknown; name?: unknown; default?: unknown };

/**
 * The built-in vectorizer, or a user module exporting `vectorize(profile)` (and optionally `dims`,
 * `name`). A module's own `dims` wins; an explicit `dims` that disagrees with it is an error
 * rather than a silent choice between the two.
 */
export async function loadVectorizer(modulePath?: string, dims?: number): Promise<Vectorizer> {
  if (dims !== undefined) checkDims(dims);
  if (!modulePath) return createVectorizer({ dims: dims ?? DEFAULT_DIMS });

  const resolved = path.resolve(modulePath);
  let mod: UserModule;
  try {
    mod = (await import(pathToFileURL(resolved).href)) as UserModule;
  } catch (err) {
    throw new Error(`cannot load vectorizer module ${resolved}: ${(err as Error).message}`, { cause: err });
  }
  // Accept both `export function vectorize` and `export default { vectorize }`.
  const source: UserModule = typeof mod.vectorize === 'function' ? mod : ((mod.default ?? {}) as UserModule);
  const fn = source.vectorize;
  if (typeof fn !== 'function') throw new Error(`vectorizer module ${resolved} does not export a vectorize(profile) function`);

  let moduleDims: number | undefined;
  if (source.dims !== undefined) {
    if (typeof source.dims !== 'number') throw new Error(`vectorizer module ${resolved}: dims must be a number`);
    checkDims(source.dims);
    moduleDims = source.dims;
  }
  if (moduleDims !== undefined && dims !== undefined && moduleDims !== dims) {
    throw new Error(`vectorizer module ${resolved} declares dims ${moduleDims}, but dims ${dims} was requested`);
  }
  const name = typeof source.name === 'string' && source.name !== '' ? source.name : `module:${path.basename(resolved)}`;
  return {
    name,
    dims: moduleDims ?? dims ?? DEFAULT_DIMS,
    vectorize: (profile) => (hasVectorField(profile) ? vectorFromField(profile.vector) : toFloat32(fn(profile))),
  };
}
