// The channel's codes: why a child could not answer a query, why the router failed one, and why
// a fetch failed. One table each; the API maps query codes to HTTP (api/reply-error.ts).
import { INDEX_VERSION_ERRORS } from '../index-version/errors.js';

/** A child's reply to a query it could not answer. */
export const CHILD_QUERY_ERRORS = {
  UNKNOWN_ID: 'no profile with that id in the version being served',
  NO_INDEX: 'the child holds no index (it is between versions): the router retries elsewhere',
  BAD_QUERY: 'the query does not fit the index (a vector of other dimensions)',
  INTERNAL: 'the search itself failed',
  CHANGES_UNAVAILABLE: 'the child could not read the profile changes the query must see: the router retries elsewhere',
  VERSION_GONE: 'a later page names a version this child no longer holds',
  NO_VECTORIZER: 'the version has no vectorizer the child can run, so a profile without a vector cannot be placed',
} as const;

/** Codes that say nothing of the query, only of that child: the query gets its retry on the other. */
export const RETRY_ELSEWHERE: ReadonlySet<ChildQueryErrorCode> = new Set(['NO_INDEX', 'CHANGES_UNAVAILABLE']);

/** The router's own outcomes for a query no child answered. */
export const ROUTER_QUERY_ERRORS = {
  TIMEOUT: 'no reply within the query deadline',
  OVERLOADED: 'too many queries in flight: shed at once',
  NO_ANSWERER: 'no child can answer, or the one that could failed it twice',
} as const;

export type ChildQueryErrorCode = keyof typeof CHILD_QUERY_ERRORS;
export type QueryErrorCode = ChildQueryErrorCode | keyof typeof ROUTER_QUERY_ERRORS;

/** FETCH_FAILED's code: the version's own fault (index-version/errors.ts), or a load that may pass. */
export const FETCH_ERRORS = {
  ...INDEX_VERSION_ERRORS,
  LOAD_FAILED: 'opening the version failed for a reason outside it (memory, file handles, a read error)',
} as const;

export type FetchErrorCode = keyof typeof FETCH_ERRORS;

const CHILD_QUERY_CODES = new Set<string>(Object.keys(CHILD_QUERY_ERRORS));

/** A code read off the wire: anything unknown is the child's INTERNAL, never a new vocabulary. */
export function childQueryCode(code: unknown): ChildQueryErrorCode {
  return typeof code === 'string' && CHILD_QUERY_CODES.has(code) ? (code as ChildQueryErrorCode) : 'INTERNAL';
}
