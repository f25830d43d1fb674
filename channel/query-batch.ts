// The query channel's wire format. Queries that arrive in the same tick travel as one message,
// and their replies likewise: one ZeroMQ send per batch, not per query (an awaited send per
// request costs more than the search; BENCHMARKS.md).
//
//   request:  [header, vec0, vec1…]    header = JSON {seq, queries: [{q, op, id, n} | {q, op, v, n} | {q, op, profile, n}, ...]},
//                                      each optionally with f (a filter) and p (a later page); vec i = raw float32
//                                      seq = the profile store's change seq when sent: the child
//                                      answers with every change up to it applied
//   reply:    [header, bodies]         header = JSON [{q, ok, code?, v, s, next?, len}, ...], bodies = body 0, body 1…
//                                      v, s = the version and store seq that answered, next = where a next page starts
//                                      concatenated (body i = JSON bytes, `len` long)
//
// Result bodies are JSON already, so the API sends them to the client without re-encoding. They
// travel in one frame, not one each: every frame is a ZeroMQ message part with its own native
// hand-over at both ends, and per-frame sends were a tenth of each process's CPU under load.

import type { ChildQueryErrorCode } from './errors.js';

/** Which profiles a query may return; `mutual` tests the querying profile's `seeking` both ways. */
export interface QueryFilter {
  ageMin?: number;
  ageMax?: number;
  genders?: string[];
  city?: string;
  exclude?: string[];
  mutual?: boolean;
}

/** Where the pages served so far end: their last distance, the ids served at it, how many in all. */
export interface PageMark {
  distance: number;
  ids: string[];
  served: number;
}

/** A later page: answered by the version (and as of the store seq) that answered the first. */
export interface PageRequest {
  version: string;
  seq: number;
  mark: PageMark;
}

interface QueryOptions {
  q: number;
  n: number;
  f?: QueryFilter;
  p?: PageRequest;
}

export interface RecommendQuery extends QueryOptions {
  op: 'recommend';
  id: string;
}

/** Nearest profiles to a vector; `v` is the frame (after the header) that holds it as float32. */
export interface SearchQuery extends QueryOptions {
  op: 'search';
  v: number;
}

/** Nearest profiles to someone not in the store: vectorized by the version's own vectorizer. */
export interface ProfileQuery extends QueryOptions {
  op: 'profile';
  profile: Record<string, unknown>;
}

export type Query = RecommendQuery | SearchQuery | ProfileQuery;

export interface ReplyHead {
  q: number;
  ok: boolean;
  /** Why a query failed; the body then holds a JSON {error, message}. */
  code?: ChildQueryErrorCode;
  /** The version that answered, and the store seq its answer saw. */
  v?: string;
  s?: number;
  /** The page was full: a next page starts after this mark. */
  next?: PageMark;
}

export interface QueryBatch {
  /** Changes up to this store seq must be visible to the answers (0: no store). */
  seq: number;
  queries: Query[];
}

export function encodeQueries(queries: Query[], vectors: Buffer[] = [], seq = 0): Buffer[] {
  return [Buffer.from(JSON.stringify({ seq, queries } satisfies QueryBatch)), ...vectors];
}

export function decodeQueries(frame: Buffer): QueryBatch {
  const parsed = JSON.parse(frame.toString('utf8')) as Partial<QueryBatch> | null;
  if (!parsed || !Array.isArray(parsed.queries) || !Number.isSafeInteger(parsed.seq)) throw new Error('query batch is not {seq, queries}');
  return parsed as QueryBatch;
}

export function encodeReplies(heads: ReplyHead[], bodies: Buffer[]): Buffer[] {
  const wire = heads.map((head, i) => ({ ...head, len: bodies[i]!.length }));
  return [Buffer.from(JSON.stringify(wire)), Buffer.concat(bodies)];
}

export interface Reply extends ReplyHead {
  body: Buffer;
}

/** The replies of one batch; a body is a view into the bodies frame, not a copy. */
export function decodeReplies(header: Buffer, bodies: Buffer | undefined): Reply[] {
  const parsed: unknown = JSON.parse(header.toString('utf8'));
  if (!Array.isArray(parsed)) throw new Error('reply batch header is not an array');
  const frame = bodies ?? Buffer.alloc(0);
  let offset = 0;
  return (parsed as (ReplyHead & { len: number })[]).map(({ len, ...head }) => {
    if (!Number.isSafeInteger(len) || len < 0 || offset + len > frame.length)
      throw new Error(`reply ${head.q}: body length ${len} does not fit the bodies frame`);
    const body = frame.subarray(offset, offset + len);
    offset += len;
    return { ...head, body };
  });
}

export function errorBody(code: ChildQueryErrorCode, message: string): Buffer {
  return Buffer.from(JSON.stringify({ error: code, message }));
}
