// The answer role's work: one batch of queries in, one batch of replies out.
import type { Logger } from 'pino';
import type { ChildQueryErrorCode } from '../channel/errors.js';
import { decodeQueries, encodeReplies, errorBody, type Query, type ReplyHead } from '../channel/query-batch.js';
import type { IndexSlot } from './fetch.js';
import type { LiveChanges } from './live-changes.js';
import type { NearestAnswer, NearestRequest } from './nearest-request.js';
import { toRequest } from './query-request.js';

/** Applies the store's changes up to `seq`; false when they cannot be read (nothing may be answered then). */
function caughtUp(live: LiveChanges | null, seq: number, log: Logger): boolean {
  if (live === null || live.appliedSeq >= seq) return true;
  try {
    live.catchUp();
    return true;
  } catch (err) {
    log.error({ err, seq, appliedSeq: live.appliedSeq }, 'live profile changes unreadable');
    return false;
  }
}

export function answerBatch(slot: IndexSlot, header: Buffer, vectors: Buffer[], log: Logger): Buffer[] {
  const { held, live } = slot;
  let queries: Query[];
  let seq: number;
  try {
    ({ queries, seq } = decodeQueries(header));
  } catch (err) {
    // Without the query numbers nothing can be answered; the supervisor's timeout reports it.
    log.error({ err }, 'undecodable query batch dropped');
    return encodeReplies([], []);
  }
  const heads: ReplyHead[] = [];
  const bodies: Buffer[] = [];
  const fail = (q: number, code: ChildQueryErrorCode, message: string): void => {
    heads.push({ q, ok: false, code });
    bodies.push(errorBody(code, message));
  };
  if (held === null) {
    for (const query of queries) fail(query.q, 'NO_INDEX', 'this child holds no index version');
    return encodeReplies(heads, bodies);
  }
  // An answer that misses a write acknowledged before the query was sent would contradict it.
  if (!caughtUp(live, seq, log)) {
    for (const query of queries) fail(query.q, 'CHANGES_UNAVAILABLE', 'this child cannot read the live profile changes');
    return encodeReplies(heads, bodies);
  }
  const requests: NearestRequest[] = [];
  const asked: number[] = [];
  for (const query of queries) {
    try {
      const request = toRequest(slot, held, query, vectors);
      if ('code' in request) {
        fail(query.q, request.code, request.message);
        continue;
      }
      requests.push(request);
      asked.push(query.q);
    } catch (err) {
      log.error({ err, query }, 'query failed');
      fail(query.q, 'INTERNAL', (err as Error).message);
    }
  }
  let results: NearestAnswer[];
  try {
    results = held.nearestMany(requests, live);
  } catch (err) {
    log.error({ err, queries: requests.length }, 'batch search failed');
    for (const q of asked) fail(q, 'INTERNAL', (err as Error).message);
    return encodeReplies(heads, bodies);
  }
  const answeredBy = { v: held.version, s: live?.appliedSeq ?? held.manifest.storeSeq ?? 0 };
  asked.forEach((q, i) => {
    const { body, next } = results[i]!;
    heads.push(next ? { q, ok: true, ...answeredBy, next } : { q, ok: true, ...answeredBy });
    bodies.push(body);
  });
  return encodeReplies(heads, bodies);
}
