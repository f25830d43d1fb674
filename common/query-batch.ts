// The query channel's wire format. Queries that arrive in the same tick travel as one message,
// and their replies likewise: one ZeroMQ send per batch, not per query (see DESIGN.md's cost
// table: an awaited send per request halves throughput).
//
//   request:  [header, vec0, vec1…]    header = JSON [{q, op, id, n} | {q, op, v, n}, ...], vec i = raw float32
//   reply:    [header, body0, body1…]  header = JSON [{q, ok, code?}, ...], body i = JSON bytes
//
// Result bodies are JSON already, so the API sends them to the client without re-encoding.

export interface RecommendQuery {
  q: number;
  op: 'recommend';
  id: string;
  n: number;
}

/** Nearest profiles to a vector; `v` is the frame (after the header) that holds it as float32. */
export interface SearchQuery {
  q: number;
  op: 'search';
  v: number;
  n: number;
}

export type Query = RecommendQuery | SearchQuery;

export interface ReplyHead {
  q: number;
  ok: boolean;
  /** Why a query failed; the body then holds a JSON {error, message}. */
  code?: QueryErrorCode;
}

export type QueryErrorCode = 'UNKNOWN_ID' | 'NO_INDEX' | 'BAD_QUERY' | 'INTERNAL';

export function encodeQueries(queries: Query[], vectors: Buffer[] = []): Buffer[] {
  return [Buffer.from(JSON.stringify(queries)), ...vectors];
}

export function decodeQueries(frame: Buffer): Query[] {
  const parsed: unknown = JSON.parse(frame.toString('utf8'));
  if (!Array.isArray(parsed)) throw new Error('query batch is not an array');
  return parsed as Query[];
}

export function encodeReplies(heads: ReplyHead[], bodies: Buffer[]): Buffer[] {
  return [Buffer.from(JSON.stringify(heads)), ...bodies];
}

export function decodeReplyHeads(frame: Buffer): ReplyHead[] {
  const parsed: unknown = JSON.parse(frame.toString('utf8'));
  if (!Array.isArray(parsed)) throw new Error('reply batch header is not an array');
  return parsed as ReplyHead[];
}

export function errorBody(code: QueryErrorCode, message: string): Buffer {
  return Buffer.from(JSON.stringify({ error: code, message }));
}
