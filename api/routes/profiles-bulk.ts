// POST /profiles/bulk: one result line per input line, in order. Good records are kept in chunks
// (one transaction each), bad ones reported with their line, id and code; the stream goes on.
import { Readable } from 'node:stream';
import { ndjsonLines } from '../../import/ndjson-lines.js';
import type { Profile } from '../../profiles/schema.js';
import { validateProfile } from '../../profiles/validate.js';
import type { ProfileStore } from '../../store/profile-store.js';
import { BODY_LIMIT } from '../errors.js';
import { storeFailure } from './profiles.js';

/** Records per transaction: one fsync per chunk, and the event loop is never held for long. */
const CHUNK = 500;

type ResultLine =
  | { line: number; _id: string | null; ok: true; seq: number }
  | { line: number; _id: string | null; ok: false; code: string; message: string };

function idOf(value: unknown): string | null {
  const id = (value as { _id?: unknown } | null)?._id;
  return typeof id === 'string' ? id.slice(0, 128) : null;
}

function write(store: ProfileStore, chunk: { line: number; profile: Profile }[]): ResultLine[] {
  try {
    const { fromSeq } = store.putMany(chunk.map((c) => c.profile));
    return chunk.map(({ line, profile }, i) => ({ line, _id: profile._id, ok: true, seq: fromSeq + i }));
  } catch (err) {
    const failure = storeFailure(err);
    if (!failure) throw err;
    // Nothing of the chunk was kept (one transaction): every line of it says so.
    return chunk.map(({ line, profile }) => ({
      line,
      _id: profile._id,
      ok: false,
      code: failure.error.code,
      message: failure.error.message,
    }));
  }
}

async function* results(store: ProfileStore, input: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let pending: { line: number; profile: Profile }[] = [];
  // Results leave in input order: a bad line waits behind the good ones before it.
  let queued: (ResultLine | { line: number; inChunk: true })[] = [];
  const flush = function* (): Generator<string> {
    const written = pending.length ? write(store, pending) : [];
    let next = 0;
    for (const entry of queued) yield `${JSON.stringify('inChunk' in entry ? written[next++] : entry)}\n`;
    pending = [];
    queued = [];
  };
  for await (const item of ndjsonLines(input, BODY_LIMIT)) {
    if ('tooLong' in item) {
      queued.push({
        line: item.line,
        _id: null,
        ok: false,
        code: 'TANDEM_ERR_LINE_TOO_LONG',
        message: `line ${item.line} is over ${BODY_LIMIT} bytes`,
      });
    } else {
      let value: unknown;
      try {
        value = JSON.parse(item.text);
      } catch (err) {
        queued.push({
          line: item.line,
          _id: null,
          ok: false,
          code: 'TANDEM_ERR_BAD_JSON',
          message: `line ${item.line}: ${(err as Error).message}`,
        });
        continue;
      }
      // Checked as the store checks it: one bad line must not fail its whole chunk's transaction.
      const check = validateProfile(value, { dims: store.dims });
      if (check.ok) {
        pending.push({ line: item.line, profile: check.profile });
        queued.push({ line: item.line, inChunk: true });
      } else {
        const first = check.problems[0]!;
        queued.push({
          line: item.line,
          _id: idOf(value),
          ok: false,
          code: first.code,
          message: check.problems.map((p) => p.message).join('; '),
        });
      }
    }
    if (pending.length >= CHUNK || queued.length >= 4 * CHUNK) yield* flush();
  }
  yield* flush();
}

export function bulkWrite(store: ProfileStore, input: NodeJS.ReadableStream): Readable {
  return Readable.from(results(store, input as AsyncIterable<Buffer>));
}
