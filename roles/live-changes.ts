// The profile changes a child's index version does not hold yet: every write and delete in the
// store after the seq the version was built from. Read from the store itself (read-only), so each
// child's delta is relative to its own version, whichever that is; searched exactly and merged
// with the index's results, so a write is recommendable and a delete gone before any rebuild.

import { checkVector, profileFields } from '../builder/validate.js';
import type { ProfileInput } from '../builder/vectorize.js';
import { AttributeColumns } from '../index-version/attributes.js';
import { exactNearest, normalizeInPlace } from '../index-version/engine.js';
import type { Metric } from '../index-version/format.js';
import { encodedRowBytes, encodeResultRow, MAX_ROW_BYTES, type ProfileFields } from '../index-version/row-table.js';
import type { ProfileChange, ProfileReader } from '../store/profile-store.js';

export interface LiveChangesOptions {
  reader: ProfileReader;
  /** The seq the held version was built from: changes after it are the delta. */
  fromSeq: number;
  dims: number;
  metric: Metric;
  /** The version's own vectorizer: a changed profile without a vector gets one as the builder would. */
  vectorize: (profile: ProfileInput) => Float32Array;
  /** The held version's row of an id, if it has one. */
  indexRowOf: (id: string) => number | undefined;
  /** A change that cannot be indexed (the builder would skip it too): logged, and the profile not served. */
  onUnindexable?: (id: string, reason: string) => void;
}

/** Exact matches among the live changes, nearest first. */
export interface DeltaMatches {
  rows: Buffer[];
  distances: number[];
}

export type DeltaLookup = { state: 'absent' } | { state: 'gone' } | { state: 'live'; slot: number; vector: Float32Array };

const PAGE = 1000;
const INITIAL_SLOTS = 64;

export class LiveChanges {
  #appliedSeq: number;
  readonly #options: LiveChangesOptions;
  readonly #dims: number;
  /** id -> its slot in the pool, or -1 when deleted (or not indexable) since the version. */
  readonly #slotOf = new Map<string, number>();
  /** Rows of the held version that a change replaced or deleted: never served from the index. */
  readonly #shadowed = new Set<number>();
  #pool: Float32Array;
  #rowBytes: (Buffer | null)[] = [];
  /** The store seq of each slot's change. */
  #slotSeq: number[] = [];
  /** The changed profiles' filterable fields, by slot. */
  readonly attributes = new AttributeColumns();
  #free: number[] = [];
  #used = 0;

  constructor(options: LiveChangesOptions) {
    this.#options = options;
    this.#dims = options.dims;
    this.#appliedSeq = options.fromSeq;
    this.#pool = new Float32Array(INITIAL_SLOTS * options.dims);
  }

  /** Every store change up to this seq is applied. */
  get appliedSeq(): number {
    return this.#appliedSeq;
  }

  /** Profiles written since the version and searchable here. */
  get live(): number {
    return this.#used - this.#free.length;
  }

  /** Ids changed or deleted since the version (its delta's size). */
  get changed(): number {
    return this.#slotOf.size;
  }

  get shadowedRows(): number {
    return this.#shadowed.size;
  }

  /** Whether the held version's row `row` is out of date. */
  isShadowed(row: number): boolean {
    return this.#shadowed.has(row);
  }

  /** Reads the store's changes since the last call (or the version); returns how many it applied. */
  catchUp(): number {
    let applied = 0;
    for (;;) {
      const page = this.#options.reader.changesSince(this.#appliedSeq, PAGE);
      for (const change of page) this.#apply(change);
      applied += page.length;
      if (page.length > 0) this.#appliedSeq = page[page.length - 1]!.seq;
      if (page.length < PAGE) return applied;
    }
  }

  lookup(id: string): DeltaLookup {
    const slot = this.#slotOf.get(id);
    if (slot === undefined) return { state: 'absent' };
    if (slot < 0) return { state: 'gone' };
    return { state: 'live', slot, vector: this.#pool.slice(slot * this.#dims, (slot + 1) * this.#dims) };
  }

  /**
   * The k live changes nearest to `query` (already unit length for `ip`), `excludeSlot` left out,
   * and with a filter only those `admits` passes, with a page's seq only changes up to it.
   */
  nearest(query: Float32Array, k: number, excludeSlot = -1, admits?: (slot: number) => boolean, maxSeq = Infinity): DeltaMatches {
    const out: DeltaMatches = { rows: [], distances: [] };
    if (this.live === 0 || k <= 0) return out;
    // Free slots hold zeros and come back too: ask for enough that k real ones survive (all of them when some may be filtered out).
    const want = admits || maxSeq !== Infinity ? this.#used : Math.min(this.#used, k + this.#free.length + 1);
    const found = exactNearest(this.#pool.subarray(0, this.#used * this.#dims), query, this.#dims, want, this.#options.metric);
    for (let i = 0; i < found.keys.length && out.rows.length < k; i++) {
      const slot = Number(found.keys[i]);
      const row = this.#rowBytes[slot];
      if (slot === excludeSlot || !row || this.#slotSeq[slot]! > maxSeq || (admits && !admits(slot))) continue;
      out.rows.push(row);
      out.distances.push(found.distances[i]!);
    }
    return out;
  }

  close(): void {
    this.#options.reader.close();
  }

  #apply(change: ProfileChange): void {
    const row = this.#options.indexRowOf(change.id);
    if (row !== undefined) this.#shadowed.add(row);
    this.#release(change.id);
    if (change.profile === null) {
      this.#slotOf.set(change.id, -1);
      return;
    }
    const prepared = this.#prepare(change);
    if (typeof prepared === 'string') {
      this.#options.onUnindexable?.(change.id, prepared);
      this.#slotOf.set(change.id, -1);
      return;
    }
    const slot = this.#free.pop() ?? this.#grow();
    this.#pool.set(prepared.vector, slot * this.#dims);
    this.#rowBytes[slot] = prepared.row;
    this.#slotSeq[slot] = change.seq;
    this.attributes.set(slot, prepared.attributes);
    this.#slotOf.set(change.id, slot);
  }

  /** The vector and result row a change is served with, or why it cannot be (as the builder checks). */
  #prepare(change: ProfileChange): { vector: Float32Array; row: Buffer; attributes: ProfileFields['attributes'] } | string {
    let vector: Float32Array;
    try {
      vector = change.vector ?? this.#options.vectorize(change.profile as ProfileInput);
    } catch (err) {
      return `vectorizer: ${(err as Error).message}`;
    }
    const problem = checkVector(vector, this.#dims);
    if (problem) return `${problem.reason}: ${problem.detail}`;
    const fields = profileFields(change.id, change.profile as ProfileInput);
    if (encodedRowBytes(fields) > MAX_ROW_BYTES) return 'too_long: the result row is over the row limit';
    const copy = Float32Array.from(vector);
    return {
      vector: this.#options.metric === 'ip' ? normalizeInPlace(copy) : copy,
      row: encodeResultRow(fields),
      attributes: fields.attributes,
    };
  }

  #release(id: string): void {
    const slot = this.#slotOf.get(id);
    if (slot === undefined || slot < 0) return;
    this.#pool.fill(0, slot * this.#dims, (slot + 1) * this.#dims);
    this.#rowBytes[slot] = null;
    this.#free.push(slot);
  }

  #grow(): number {
    if ((this.#used + 1) * this.#dims > this.#pool.length) {
      const bigger = new Float32Array(this.#pool.length * 2);
      bigger.set(this.#pool);
      this.#pool = bigger;
    }
    return this.#used++;
  }
}
