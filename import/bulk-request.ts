// One POST /profiles/bulk: a batch of NDJSON lines out, one result line per input line back. The
// answer is read as it streams, so a connection cut midway still tells which lines were written.
// What to do next is the caller's: this says what happened, and throws only what ends an import.
import { ImportError } from './import-errors.js';
import { ndjsonLines } from './ndjson-lines.js';
import { retryAfterMs } from './retry.js';

export type BulkResult =
  | { line: number; _id: string | null; ok: true; seq: number }
  | { line: number; _id: string | null; ok: false; code: string; message: string };

export interface BulkAnswer {
  /** results[i] answers lines[i]; undefined when the answer stopped before it. */
  results: (BulkResult | undefined)[];
  /** Why some or all lines got no answer and may be sent again; null when every line has one. */
  retry: { reason: string; retryAfterMs: number | null } | null;
}

/** Statuses that say "later", not "never". */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
const MAX_RESULT_LINE_BYTES = 64 * 1024;

export interface BulkRequest {
  endpoint: URL;
  token: string;
  timeoutMs: number;
  /** Aborts the request for good (another batch failed, or the import was interrupted). */
  signal: AbortSignal;
}

async function errorBody(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    return [body.code, body.message].filter((part) => typeof part === 'string').join(': ');
  } catch {
    return text.slice(0, 200);
  }
}

async function* bytes(body: ReadableStream<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of body) yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function parseResult(text: string, count: number): BulkResult {
  let result: BulkResult;
  try {
    result = JSON.parse(text) as BulkResult;
  } catch {
    throw new ImportError('TANDEM_ERR_IMPORT_HTTP', `the service's answer is not a bulk result line: ${text.slice(0, 200)}`);
  }
  if (!Number.isInteger(result.line) || result.line < 1 || result.line > count || typeof result.ok !== 'boolean') {
    throw new ImportError('TANDEM_ERR_IMPORT_HTTP', `the service's answer has a result line for no line sent: ${text.slice(0, 200)}`);
  }
  return result;
}

/** Why a request failed without an answer, when sending it again may help; null when it was aborted for good. */
function transientFailure(err: unknown, request: BulkRequest): string | null {
  if (request.signal.aborted) return null;
  const error = err as Error & { cause?: { code?: unknown; message?: unknown } };
  if (error.name === 'TimeoutError') return `no complete answer within ${request.timeoutMs} ms`;
  const cause = typeof error.cause?.code === 'string' ? error.cause.code : String(error.cause?.message ?? error.message);
  return `the connection failed (${cause})`;
}

export async function postBatch(request: BulkRequest, lines: readonly string[]): Promise<BulkAnswer> {
  const results: (BulkResult | undefined)[] = new Array(lines.length).fill(undefined);
  const signal = AbortSignal.any([request.signal, AbortSignal.timeout(request.timeoutMs)]);
  let response: Response;
  try {
    response = await fetch(request.endpoint, {
      method: 'POST',
      headers: { authorization: `Bearer ${request.token}`, 'content-type': 'application/x-ndjson' },
      body: `${lines.join('\n')}\n`,
      signal,
    });
  } catch (err) {
    const reason = transientFailure(err, request);
    if (reason === null) throw request.signal.reason;
    return { results, retry: { reason, retryAfterMs: null } };
  }
  if (response.status === 401 || response.status === 403) {
    throw new ImportError(
      'TANDEM_ERR_IMPORT_REFUSED',
      `the service refused the write token: ${response.status} ${await errorBody(response)}`,
    );
  }
  if (RETRYABLE_STATUSES.has(response.status)) {
    const reason = `${response.status} ${await errorBody(response)}`;
    return { results, retry: { reason, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) } };
  }
  if (response.status !== 200 || !response.body) {
    throw new ImportError(
      'TANDEM_ERR_IMPORT_HTTP',
      `POST ${request.endpoint.pathname} answered ${response.status} ${await errorBody(response)}`,
    );
  }
  let answered = 0;
  try {
    for await (const item of ndjsonLines(bytes(response.body), MAX_RESULT_LINE_BYTES)) {
      if ('tooLong' in item)
        throw new ImportError('TANDEM_ERR_IMPORT_HTTP', `the service's answer has a line over ${MAX_RESULT_LINE_BYTES} bytes`);
      const result = parseResult(item.text, lines.length);
      if (results[result.line - 1] === undefined) answered++;
      results[result.line - 1] = result;
    }
  } catch (err) {
    if (err instanceof ImportError) throw err;
    const reason = transientFailure(err, request);
    if (reason === null) throw request.signal.reason;
    return { results, retry: { reason: `the answer stopped after ${answered} of ${lines.length} results: ${reason}`, retryAfterMs: null } };
  }
  if (answered < lines.length) {
    return { results, retry: { reason: `the answer ended after ${answered} of ${lines.length} results`, retryAfterMs: null } };
  }
  return { results, retry: null };
}
