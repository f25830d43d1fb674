// What a held version is asked and what it answers, apart from HeldIndex: answer.ts and the
// result encoding pass these along without needing the index itself.
import type { FilterBounds, RowTest } from './query-filter.js';
import type { PageMark } from './result-page.js';

/** Keys and distances, nearest first, as usearch returns them. */
export interface Matches {
  keys: ArrayLike<bigint | number>;
  distances: ArrayLike<number>;
}

/** One query of a batch: a unit-length (for `ip`) vector, how many results, a row to leave out. */
export interface NearestRequest {
  vector: Float32Array;
  n: number;
  excludeRow: number;
  /** The live change to leave out (the querying profile's own, when it changed since the version). */
  excludeSlot?: number;
  /** A filter's tests: on this version's rows and on the live changes' slots (absent: all pass). */
  admits?: { row: RowTest; slot: RowTest; rowBounds?: FilterBounds };
  /** A later page: results up to this mark were served already. */
  after?: PageMark;
  /** A later page sees no change newer than its first page did (one changed since is left out). */
  maxSeq?: number;
}

/** A result body, and its last result's mark when the page is full (a next page may follow). */
export interface NearestAnswer {
  body: Buffer;
  next: PageMark | null;
}

/** A result body is the JSON array the API sends as is: [{_id, name, surname, distance}, …]. */
export type RecommendResult = { ok: true; body: Buffer } | { ok: false; code: 'UNKNOWN_ID'; message: string };
