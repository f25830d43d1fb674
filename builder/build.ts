// Profiles -> published index version. From scratch it streams: records are read, vectorized and
// checked one at a time, vectors go to disk and into the index in batches, so a million profiles
// never exist as one JS array (the usearch graph is the only whole copy in memory). From the store,
// a small change since the latest version is built from that version instead (incremental-build.ts).
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import { createEngineIndex, normalizeInPlace } from '../index-version/engine.js';
import { type EngineParams, type Manifest, ROWS_FILE, VECTORS_FILE } from '../index-version/format.js';
import { RowTableWriter } from '../index-version/row-table-writer.js';
import { BuilderError } from './errors.js';
import { FileSink } from './file-sink.js';
import { buildIncrementally, DEFAULT_INCREMENTAL_MAX_FRACTION, planIncremental } from './incremental-build.js';
import { createStaging, discardStaging, vectorBytes } from './publish.js';
import { type BuildSetup, publishBuilt, SkipTally, throwIfAborted } from './publish-built.js';
import { type OpenedSource, openSource, type ProfileSource } from './sources.js';
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
  /**
   * From the store: build from the latest version when the profiles changed since it are at most
   * this fraction of its count (0 always builds from scratch). Default DEFAULT_INCREMENTAL_MAX_FRACTION.
   */
  incrementalMaxFraction?: number;
  /** Abandons the build at the next batch boundary; nothing is published. */
  signal?: AbortSignal;
}

/** Builds an index from `source` and publishes it as a new version. Returns its manifest. */
export async function buildIndex(options: BuildOptions): Promise<Manifest> {
  const started = performance.now();
  const sourceSpec: ProfileSource = typeof options.source === 'string' ? { kind: 'file', path: options.source } : options.source;
  // Spread only defined overrides: `{ connectivity: undefined }` from a CLI must not erase a default.
  const overrides = Object.fromEntries(Object.entries(options.params ?? {}).filter(([, v]) => v !== undefined));
  const vectorizer = await loadVectorizer(options.vectorizerPath, options.dims);
  const setup: BuildSetup = {
    dataDir: options.dataDir,
    params: { ...DEFAULT_PARAMS, ...overrides, engine: 'usearch' },
    fixedExpansion: options.params?.expansionSearch,
    vectorizer,
    vectorizerModule: options.vectorizerPath ? path.resolve(options.vectorizerPath) : undefined,
    validator: new RecordValidator({ dims: vectorizer.dims, vectorize: vectorizer.vectorize }),
    threads: options.threads ?? availableParallelism(),
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    keep: options.keep,
    logger: options.logger,
    signal: options.signal,
    started,
  };
  const input = await openSource(sourceSpec);
  try {
    const maxFraction = options.incrementalMaxFraction ?? DEFAULT_INCREMENTAL_MAX_FRACTION;
    if (input.changes && maxFraction > 0) {
      const plan = await planIncremental(input, setup, maxFraction);
      if ('base' in plan) return await buildIncrementally(plan.base, input, setup);
      setup.logger.info({ why: plan.why }, 'building from scratch');
    }
    return await buildFromScratch(input, setup);
  } finally {
    input.close();
  }
}

async function buildFromScratch(input: OpenedSource, setup: BuildSetup): Promise<Manifest> {
  const { params, batchSize, threads, signal } = setup;
  const { dims } = setup.vectorizer;
  const index = createEngineIndex(params, dims);
  const staging = await createStaging(setup.dataDir);
  const vectorsOut = new FileSink(path.join(staging.dir, VECTORS_FILE));
  const rowsOut = new FileSink(path.join(staging.dir, ROWS_FILE));
  const rowTable = new RowTableWriter();
  const skips = new SkipTally(setup.logger);
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
      const result =
        'text' in record ? setup.validator.check(record.text, record.position) : setup.validator.checkValue(record.value, record.position);
      if (result === null) continue;
      if (!result.ok) {
        skips.add(result.skipped);
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
    // Lets go of the snapshot's read mark now, not after the index is saved and calibrated.
    input.close();
    await rowsOut.write(rowTable.finish());
    await Promise.all([vectorsOut.close(), rowsOut.close()]);

    if (count === 0) {
      throw new BuilderError('TANDEM_ERR_NO_VALID_RECORDS', `${input.label}: ${skips.total} records, all skipped`);
    }
    return await publishBuilt(staging, index, setup, {
      draft: { count, source: input.label, storeSeq: input.storeSeq, skipped: skips.summary },
      rows: count,
    });
  } catch (err) {
    await Promise.all([vectorsOut.abort(), rowsOut.abort()]);
    await discardStaging(staging).catch(() => {});
    throw err;
  }
}
