// --url mode: records in batches to a running service's POST /profiles/bulk, at most
// `concurrency` batches in flight. A line the service could not write yet (503, 429, a timeout, a
// lost connection, or its store busy) is sent again after a backoff; the service writes each batch
// as it comes, so this mode is not atomic: a stopped run keeps what was written, and a re-run
// replaces those profiles with themselves.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { type BulkRequest, postBatch } from './bulk-request.js';
import { ImportError } from './import-errors.js';
import type { ImportReport } from './import-report.js';
import { idOf, type RecordSource } from './record-source.js';
import type { RetryPolicy } from './retry.js';
import { retryDelayMs } from './retry.js';

/** A result line that means "not now": the service's store was locked or full for that chunk. */
export const STORE_BUSY_CODE = 'TANDEM_ERR_STORE_UNAVAILABLE';

export interface BulkImportOptions {
  /** The service's base URL: http://host:port (a path prefix is kept). */
  url: string;
  token: string;
  batch: number;
  concurrency: number;
  timeoutMs: number;
  retry: RetryPolicy;
  log: Logger;
  /** Aborts in-flight requests (an interrupted import). */
  signal?: AbortSignal;
}

interface Outgoing {
  position: number;
  id: string | null;
  json: string;
  retried: boolean;
}

export function bulkEndpoint(url: string): URL {
  return new URL('profiles/bulk', url.endsWith('/') ? url : `${url}/`);
}

async function sendBatch(batch: Outgoing[], request: BulkRequest, report: ImportReport, options: BulkImportOptions): Promise<void> {
  let pending = batch;
  for (let attempt = 1; ; attempt++) {
    const answer = await postBatch(
      request,
      pending.map((record) => record.json),
    );
    const again: Outgoing[] = [];
    pending.forEach((record, i) => {
      const result = answer.results[i];
      if (result === undefined || (!result.ok && result.code === STORE_BUSY_CODE)) again.push(record);
      else if (result.ok) report.written++;
      else report.reject({ position: record.position, id: record.id, code: result.code, message: result.message });
    });
    if (again.length === 0) return;
    const reason = answer.retry?.reason ?? `the service's store was busy (${STORE_BUSY_CODE})`;
    if (attempt > options.retry.retries) {
      throw new ImportError(
        'TANDEM_ERR_IMPORT_GAVE_UP',
        `${again.length} records not written after ${options.retry.retries} retries: ${reason}`,
      );
    }
    for (const record of again) {
      if (!record.retried) report.retried++;
      record.retried = true;
    }
    const delayMs = Math.round(retryDelayMs(attempt, answer.retry?.retryAfterMs ?? null, options.retry));
    options.log.info({ records: again.length, retry: attempt, delayMs, reason }, 'sending again after a pause');
    await sleep(delayMs, undefined, { signal: request.signal });
    pending = again;
  }
}

export async function importOverHttp(source: RecordSource, report: ImportReport, options: BulkImportOptions): Promise<void> {
  const stop = new AbortController();
  const request: BulkRequest = {
    endpoint: bulkEndpoint(options.url),
    token: options.token,
    timeoutMs: options.timeoutMs,
    signal: options.signal ? AbortSignal.any([stop.signal, options.signal]) : stop.signal,
  };
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  const launch = async (batch: Outgoing[]) => {
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    if (failure) return;
    // Never rejects: the first failure is kept and stops the others, so none goes unhandled.
    const sending: Promise<void> = sendBatch(batch, request, report, options)
      .catch((error: unknown) => {
        failure ??= { error };
        stop.abort(error);
      })
      .finally(() => inFlight.delete(sending));
    inFlight.add(sending);
  };
  let batch: Outgoing[] = [];
  try {
    for await (const record of source.records()) {
      if (failure) break;
      report.read++;
      if ('problem' in record) {
        report.reject({ position: record.position, id: record.id, ...record.problem });
        continue;
      }
      batch.push({ position: record.position, id: idOf(record.value), json: JSON.stringify(record.value), retried: false });
      if (batch.length >= options.batch) {
        await launch(batch);
        batch = [];
      }
    }
    if (!failure && batch.length > 0) await launch(batch);
  } finally {
    // Also when the input fails midway: batches already sent are seen to their end and counted.
    await Promise.all(inFlight);
  }
  if (failure) throw (failure as { error: unknown }).error;
}
