// Source JSONL -> published index version, streaming: records are read, vectorized and checked one
// line at a time, vectors go to disk and into the index in batches, so a million profiles never
// exist as one JS array (the usearch graph is the only whole copy in memory).
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { createEngineIndex, normalizeInPlace } from '../index-version/engine.js';
import {
  type EngineParams,
  INDEX_FILE,
  type Manifest,
  ROWS_FILE,
  type SkippedRecord,
  type SkipReason,
  VECTORS_FILE,
} from '../index-version/format.js';
import { RowTableWriter } from '../index-version/row-table.js';
import { calibrateExpansion } from './calibrate.js';
import { BuilderError } from './errors.js';
import { FileSink } from './file-sink.js';
import { commitStaging, createStaging, discardStaging, type StagingArea, vectorBytes } from './publish.js';
import { openSource, type ProfileSource } from './sources.js';
import { RecordValidator } from './validate.js';
import { loadVectorizer } from './vectorize.js';

// Chosen from the engine table in BENCHMARKS.md: `ip` on vectors normalised here is cosine
// distance, and faster than `cos` at equal recall; f32 because i8 lost recall (0.95) on
// clustered data. expansionSearch is only the start: each build measures recall and sets the
// smallest ef that reaches 0.99 (builder/calibrate.ts), unless the caller fixes one.
export const DEFAULT_PARAMS: EngineParams = {
  engine: 'usearch',
  metric: 'ip',
  quantization: 'f32',
  connectivity: 16,
  expansionAdd: 128,
  expansionSearch: 64,
};

// 10k rows x 128 dims = 5 MB per batch: large enough that the native add() spreads well over
// threads, small enough that the event loop (signals, watchers) gets a turn every fraction of a second.
export const DEFAULT_BATCH_SIZE = 10_000;
// The manifest keeps a sample of skipped records; the log has every one.
const MAX_SKIPPED_SAMPLES = 100;

export interface BuildOptions {
  /** A JSONL file path, or where to read: the store (a snapshot) or a file. */
  source: string | ProfileSource;
  dataDir: string;
  /** Defaults to the vectorizer's own dims (128 for the built-in one). */
  dims?: number;
  vectorizerPath?: string;
  params?: Partial<Omit<EngineParams, 'engine'>>;
  logger: Logger;
  threads?: number;
  keep?: number;
  batchSize?: number;
  /** Abandons the build at the next batch boundary; nothing is published. */
  signal?: AbortSignal;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new BuilderError('TANDEM_ERR_BUILD_ABORTED');
}

/** Builds an index from `source` and publishes it as a new version. Returns its manifest. */
export async function buildIndex(options: BuildOptions): Promise<Manifest> {
  const started = performance.now();
  const { logger, signal } = options;
  const sourceSpec: ProfileSource = typeof options.source === 'string' ? { kind: 'file', path: options.source } : options.source;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const threads = options.threads ?? availableParallelism();
  // Spread only defined overrides: `{ connectivity: undefined }` from a CLI must not erase a default.
  const overrides = Object.fromEntries(Object.entries(options.params ?? {}).filter(([, v]) => v !== undefined));
  const params: EngineParams = { ...DEFAULT_PARAMS, ...overrides, engine: 'usearch' };

  const vectorizer = await loadVectorizer(options.vectorizerPath, options.dims);
  const { dims } = vectorizer;
  const validator = new RecordValidator({ dims, vectorize: vectorizer.vectorize });

  const index = createEngineIndex(params, dims);

  const input = await openSource(sourceSpec);
  const source = input.label;
  let staging: StagingArea;
  try {
    staging = await createStaging(options.dataDir);
  } catch (err) {
    input.close();
    throw err;
  }
  const vectorsOut = new FileSink(path.join(staging.dir, VECTORS_FILE));
  const rowsOut = new FileSink(path.join(staging.dir, ROWS_FILE));
  const rowTable = new RowTableWriter();

  const byReason: Partial<Record<SkipReason, number>> = {};
  const samples: SkippedRecord[] = [];
  let skippedTotal = 0;
  let count = 0;
  let batchVectors = new Float32Array(batchSize * dims);
  let batchRows: Buffer[] = [];
  let batchFill = 0;

  // Keys are row numbers: the index, vectors.f32 and rows.bin agree on row i by construction.
  const flush = async () => {
    if (batchFill === 0) return;
    throwIfAborted(signal);
    const vectors = batchVectors.subarray(0, batchFill * dims);
    const keys = new BigUint64Array(batchFill);
    const first = count - batchFill;
    for (let i = 0; i < batchFill; i++) keys[i] = BigInt(first + i);
    index.add(keys, vectors, threads);
    // A fresh buffer per batch: the write stream still holds the old one until it drains.
    batchVectors = new Float32Array(batchSize * dims);
    const rows = Buffer.concat(batchRows);
    batchRows = [];
    batchFill = 0;
    await vectorsOut.write(vectorBytes(vectors));
    await rowsOut.write(rows);
    await yieldToEventLoop();
  };

  try {
    for await (const record of input.records()) {
      const result = 'text' in record ? validator.check(record.text, record.position) : validator.checkValue(record.value, record.position);
      if (result === null) continue;
      if (!result.ok) {
        const { skipped } = result;
        skippedTotal++;
        byReason[skipped.reason] = (byReason[skipped.reason] ?? 0) + 1;
        if (samples.length < MAX_SKIPPED_SAMPLES) samples.push(skipped);
        logger.warn({ line: skipped.line, id: skipped.id, reason: skipped.reason, detail: skipped.detail }, 'record skipped');
        continue;
      }
      // Stored normalised too: vectors.f32 rows are then the very query vectors /recommend uses.
      batchVectors.set(params.metric === 'ip' ? normalizeInPlace(result.vector) : result.vector, batchFill * dims);
      batchRows.push(rowTable.add(result.fields));
      batchFill++;
      count++;
      if (batchFill === batchSize) await flush();
    }
    await flush();
    input.close();
    await rowsOut.write(rowTable.finish());
    await Promise.all([vectorsOut.close(), rowsOut.close()]);

    if (count === 0) {
      throw new BuilderError('TANDEM_ERR_NO_VALID_RECORDS', `${source}: ${skippedTotal} records, all skipped`);
    }
    throwIfAborted(signal);
    const indexFile = path.join(staging.dir, INDEX_FILE);
    index.save(indexFile);
    throwIfAborted(signal);
    const calibration = calibrateExpansion({
      indexFile,
      vectorsFile: path.join(staging.dir, VECTORS_FILE),
      params,
      dims,
      count,
      threads,
      fixed: options.params?.expansionSearch,
    });
    const reached = calibration.tried[calibration.tried.length - 1]?.recall ?? 1;
    if (reached >= calibration.target) logger.info({ calibration }, 'search expansion calibrated');
    // Published anyway: a lower recall beats no new version, and the manifest and this line say so.
    else
      logger.warn(
        { calibration },
        `recall@${calibration.k} ${reached} at the largest search expansion tried is under the target ${calibration.target}`,
      );
    throwIfAborted(signal);

    return await commitStaging(
      staging,
      {
        count,
        dims,
        metric: params.metric,
        params: { ...params, expansionSearch: calibration.expansionSearch },
        vectorizer: vectorizer.name,
        ...(options.vectorizerPath ? { vectorizerModule: path.resolve(options.vectorizerPath) } : {}),
        source,
        ...(input.storeSeq !== undefined ? { storeSeq: input.storeSeq } : {}),
        buildMs: Math.round(performance.now() - started),
        calibration,
        skipped: { total: skippedTotal, byReason, samples },
      },
      { keep: options.keep, logger },
    );
  } catch (err) {
    input.close();
    await Promise.all([vectorsOut.abort(), rowsOut.abort()]);
    await discardStaging(staging).catch(() => {});
    throw err;
  }
}
