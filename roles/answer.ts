// The answer role's work: one batch of queries in, one batch of replies out.
import type { Logger } from 'pino';
import { decodeQueries, encodeReplies, errorBody, type ReplyHead } from '../common/query-batch.js';
import type { HeldIndex } from './held-index.js';

export function answerBatch(held: HeldIndex | null, header: Buffer, log: Logger): Buffer[] {
  let queries;
  try {
    queries = decodeQueries(header);
  } catch (err) {
    // Without the query numbers nothing can be answered; the supervisor's timeout reports it.
    log.error({ err }, 'undecodable query batch dropped');
    return encodeReplies([], []);
  }
  const heads: ReplyHead[] = [];
  const bodies: Buffer[] = [];
  for (const query of queries) {
    if (held === null) {
      heads.push({ q: query.q, ok: false, code: 'NO_INDEX' });
      bodies.push(errorBody('NO_INDEX', 'this child holds no index version'));
      continue;
    }
    if (query.op !== 'recommend' || typeof query.id !== 'string' || !Number.isSafeInteger(query.n) || query.n < 1) {
      heads.push({ q: query.q, ok: false, code: 'BAD_QUERY' });
      bodies.push(errorBody('BAD_QUERY', 'query must be {op: "recommend", id: string, n: positive integer}'));
      continue;
    }
    try {
      const result = held.recommend(query.id, query.n);
      if (result.ok) {
        heads.push({ q: query.q, ok: true });
        bodies.push(Buffer.from(JSON.stringify(result.neighbours)));
      } else {
        heads.push({ q: query.q, ok: false, code: result.code });
        bodies.push(errorBody(result.code, result.message));
      }
    } catch (err) {
      log.error({ err, id: query.id }, 'query failed');
      heads.push({ q: query.q, ok: false, code: 'INTERNAL' });
      bodies.push(errorBody('INTERNAL', (err as Error).message));
    }
  }
  return encodeReplies(heads, bodies);
}
