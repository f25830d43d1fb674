// The answer role's work: one batch of queries in, one batch of replies out.
import type { Logger } from 'pino';
import { decodeQueries, encodeReplies, errorBody, type ReplyHead } from '../common/query-batch.js';
import type { HeldIndex } from './held-index.js';

function vectorFrame(frames: Buffer[], index: number, dims: number): Float32Array | string {
  const frame = frames[index];
  if (!frame || frame.byteLength % 4 !== 0) return 'vector frame missing or not float32';
  if (frame.byteLength / 4 !== dims) return `vector has ${frame.byteLength / 4} numbers; the index has ${dims} dimensions`;
  // Copy: a ZeroMQ frame need not be 4-byte aligned.
  return new Float32Array(frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength));
}

export function answerBatch(held: HeldIndex | null, header: Buffer, vectors: Buffer[], log: Logger): Buffer[] {
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
    const validN = Number.isSafeInteger(query.n) && query.n >= 1;
    try {
      let result;
      if (query.op === 'recommend' && typeof query.id === 'string' && validN) {
        result = held.recommend(query.id, query.n);
      } else if (query.op === 'search' && validN) {
        const vector = vectorFrame(vectors, query.v, held.dims);
        result = typeof vector === 'string' ? ({ ok: false, code: 'BAD_QUERY', message: vector } as const) : { ok: true as const, body: held.nearestTo(vector, query.n) };
      } else {
        result = { ok: false, code: 'BAD_QUERY', message: 'query must be recommend {id, n} or search {v, n} with n a positive integer' } as const;
      }
      if (result.ok) {
        heads.push({ q: query.q, ok: true });
        bodies.push(result.body);
      } else {
        heads.push({ q: query.q, ok: false, code: result.code });
        bodies.push(errorBody(result.code, result.message));
      }
    } catch (err) {
      log.error({ err, query }, 'query failed');
      heads.push({ q: query.q, ok: false, code: 'INTERNAL' });
      bodies.push(errorBody('INTERNAL', (err as Error).message));
    }
  }
  return encodeReplies(heads, bodies);
}
