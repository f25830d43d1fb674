// NDJSON: one profile per line, blank lines ignored, each line bounded as in the bulk API.
import { BODY_LIMIT } from '../api/errors.js';
import { ndjsonLines } from './ndjson-lines.js';
import type { RecordSource, SourceRecord } from './record-source.js';

/** The bulk API's line limit: a line the import takes would also be taken over HTTP. */
export const MAX_LINE_BYTES = BODY_LIMIT;

async function* records(chunks: AsyncIterable<Buffer>): AsyncGenerator<SourceRecord> {
  for await (const item of ndjsonLines(chunks, MAX_LINE_BYTES)) {
    if ('tooLong' in item) {
      const message = `line ${item.line} is over ${MAX_LINE_BYTES} bytes`;
      yield { position: item.line, id: null, problem: { code: 'TANDEM_ERR_LINE_TOO_LONG', message } };
      continue;
    }
    // Editors on Windows start a UTF-8 file with a byte order mark, which JSON.parse refuses.
    const text = item.line === 1 ? item.text.replace(/^\uFEFF/, '') : item.text;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      yield { position: item.line, id: null, problem: { code: 'TANDEM_ERR_BAD_JSON', message: (err as Error).message } };
      continue;
    }
    yield { position: item.line, value };
  }
}

export function ndjsonSource(chunks: AsyncIterable<Buffer>): RecordSource {
  return { positionName: 'line', records: () => records(chunks) };
}
