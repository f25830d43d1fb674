// A query off the wire as a request to the held version: its vector, what it excludes, the
// filter compiled against the version's columns and the live changes', and the page it continues.
import { checkVector } from '../builder/validate.js';
import type { ChildQueryErrorCode } from '../channel/errors.js';
import type { Query, QueryFilter } from '../channel/query-batch.js';
import { attributesOf, type ProfileAttributes } from '../index-version/attributes.js';
import type { IndexSlot } from './fetch.js';
import type { HeldIndex } from './held-index.js';
import type { LiveChanges } from './live-changes.js';
import type { NearestRequest } from './nearest-request.js';
import { compileFilter } from './query-filter.js';

export type Failure = { ok: false; code: ChildQueryErrorCode; message: string };

const fail = (code: ChildQueryErrorCode, message: string): Failure => ({ ok: false, code, message });

function vectorFrame(frames: Buffer[], index: number, dims: number): Float32Array | string {
  const frame = frames[index];
  if (!frame || frame.byteLength % 4 !== 0) return 'vector frame missing or not float32';
  if (frame.byteLength / 4 !== dims) return `vector has ${frame.byteLength / 4} numbers; the index has ${dims} dimensions`;
  // Copy: a ZeroMQ frame need not be 4-byte aligned.
  return new Float32Array(frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength));
}

/** A profile not in the store, placed by the version's own vectorizer (or its own `vector`). */
function coldStartVector(slot: IndexSlot, held: HeldIndex, profile: Record<string, unknown>): Float32Array | Failure {
  if (!slot.vectorize) return fail('NO_VECTORIZER', `version ${held.version}'s vectorizer ${held.manifest.vectorizer} is not known here`);
  let vector: Float32Array;
  try {
    vector = Float32Array.from(slot.vectorize(profile));
  } catch (err) {
    return fail('BAD_QUERY', `the profile cannot be vectorized: ${(err as Error).message}`);
  }
  const problem = checkVector(vector, held.dims);
  return problem ? fail('BAD_QUERY', `the profile's vector is unusable (${problem.reason}): ${problem.detail}`) : vector;
}

/** The querying profile's filterable fields as the answer sees it: its live change, else its row. */
function querierOf(held: HeldIndex, live: LiveChanges | null, id: string): ProfileAttributes | null {
  const change = live?.lookup(id);
  if (change?.state === 'live') return live!.attributes.attributesOf(change.slot);
  const row = held.rowOf(id);
  return row === undefined ? null : held.rows.attributes.attributesOf(row);
}

function admitsFor(
  held: HeldIndex,
  live: LiveChanges | null,
  filter: QueryFilter,
  querier: ProfileAttributes | null,
): NearestRequest['admits'] {
  const excludedRows = new Set<number>();
  const excludedSlots = new Set<number>();
  for (const id of filter.exclude ?? []) {
    const row = held.rowOf(id);
    if (row !== undefined) excludedRows.add(row);
    const change = live?.lookup(id);
    if (change?.state === 'live') excludedSlots.add(change.slot);
  }
  const row = compileFilter(filter, querier, held.rows.attributes, excludedRows);
  const slot = live ? compileFilter(filter, querier, live.attributes, excludedSlots).test : () => false;
  return { row: row.test, slot, rowBounds: row.bounds };
}

export function toRequest(slot: IndexSlot, held: HeldIndex, query: Query, vectors: Buffer[]): NearestRequest | Failure {
  const { live } = slot;
  if (!(Number.isSafeInteger(query.n) && query.n >= 1)) return badQuery();
  if (query.p && query.p.version !== held.version)
    return fail('VERSION_GONE', `the page's version ${query.p.version} is not held here (this child holds ${held.version})`);
  let request: NearestRequest | Failure;
  let querier: ProfileAttributes | null = null;
  if (query.op === 'recommend' && typeof query.id === 'string') {
    request = held.recommendRequest(query.id, query.n, live);
    if (query.f?.mutual) querier = querierOf(held, live, query.id);
  } else if (query.op === 'search') {
    const vector = vectorFrame(vectors, query.v, held.dims);
    request = typeof vector === 'string' ? fail('BAD_QUERY', vector) : held.searchRequest(vector, query.n);
  } else if (query.op === 'profile' && typeof query.profile === 'object' && query.profile !== null) {
    const vector = coldStartVector(slot, held, query.profile);
    request = 'code' in vector ? vector : held.searchRequest(vector, query.n);
    querier = attributesOf(query.profile);
  } else return badQuery();
  if ('code' in request) return request;
  if (query.f) request.admits = admitsFor(held, live, query.f, querier);
  if (query.p) {
    request.after = query.p.mark;
    request.maxSeq = query.p.seq;
  }
  return request;
}

function badQuery(): Failure {
  return fail('BAD_QUERY', 'query must be recommend {id, n}, search {v, n} or profile {profile, n} with n a positive integer');
}
