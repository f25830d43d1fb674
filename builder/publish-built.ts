// The end both build paths share (builder/build.ts from scratch, builder/incremental-build.ts from
// the latest version): save the index, measure recall to choose expansionSearch, publish.
import path from 'node:path';
import type { Logger } from 'pino';
import type { EngineIndex } from '../index-version/engine.js';
import {
  type EngineParams,
  INDEX_FILE,
  type Manifest,
  type SkippedRecord,
  type SkipReason,
  VECTORS_FILE,
} from '../index-version/format.js';
import { calibrateExpansion } from './calibrate.js';
import { BuilderError } from './errors.js';
import { commitStaging, type ManifestDraft, type StagingArea } from './publish.js';
import type { RecordValidator } from './validate.js';
import type { Vectorizer } from './vectorize.js';

// The manifest keeps a sample of skipped records; the log has every one.
const MAX_SKIPPED_SAMPLES = 100;

/** What both build paths share, resolved once. */
export interface BuildSetup {
  dataDir: string;
  params: EngineParams;
  /** The caller fixed expansionSearch: calibration only measures it. */
  fixedExpansion: number | undefined;
  vectorizer: Vectorizer;
  vectorizerModule: string | undefined;
  validator: RecordValidator;
  threads: number;
  batchSize: number;
  keep: number | undefined;
  logger: Logger;
  signal: AbortSignal | undefined;
  started: number;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new BuilderError('TANDEM_ERR_BUILD_ABORTED');
}

/** Tallies skipped records for the manifest (a sample) and logs every one. */
export class SkipTally {
  total = 0;
  readonly byReason: Partial<Record<SkipReason, number>> = {};
  readonly samples: SkippedRecord[] = [];

  constructor(private readonly logger: Logger) {}

  add(skipped: SkippedRecord): void {
    this.total++;
    this.byReason[skipped.reason] = (this.byReason[skipped.reason] ?? 0) + 1;
    if (this.samples.length < MAX_SKIPPED_SAMPLES) this.samples.push(skipped);
    this.logger.warn({ line: skipped.line, id: skipped.id, reason: skipped.reason, detail: skipped.detail }, 'record skipped');
  }

  get summary(): Manifest['skipped'] {
    return { total: this.total, byReason: this.byReason, samples: this.samples };
  }
}

export interface BuiltVersion {
  draft: Pick<ManifestDraft, 'count' | 'source' | 'storeSeq' | 'skipped' | 'incremental'>;
  /** Rows of the files written (= count unless rows were removed). */
  rows: number;
  isRemoved?: (row: number) => boolean;
}

/**
 * Saves the index into the staging area (whose vectors and rows are written), measures recall to
 * choose expansionSearch, and publishes. The caller discards the staging area if this throws.
 */
export async function publishBuilt(staging: StagingArea, index: EngineIndex, setup: BuildSetup, built: BuiltVersion): Promise<Manifest> {
  const { params, signal, logger, threads } = setup;
  const { dims } = setup.vectorizer;
  throwIfAborted(signal);
  const indexFile = path.join(staging.dir, INDEX_FILE);
  index.save(indexFile);
  throwIfAborted(signal);
  const calibration = calibrateExpansion({
    indexFile,
    vectorsFile: path.join(staging.dir, VECTORS_FILE),
    params,
    dims,
    count: built.rows,
    isRemoved: built.isRemoved,
    threads,
    fixed: setup.fixedExpansion,
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
  const { storeSeq, incremental, ...draft } = built.draft;
  return await commitStaging(
    staging,
    {
      ...draft,
      ...(built.rows !== draft.count ? { rows: built.rows } : {}),
      ...(incremental ? { incremental } : {}),
      dims,
      metric: params.metric,
      params: { ...params, expansionSearch: calibration.expansionSearch },
      vectorizer: setup.vectorizer.name,
      ...(setup.vectorizerModule ? { vectorizerModule: setup.vectorizerModule } : {}),
      ...(storeSeq !== undefined ? { storeSeq } : {}),
      buildMs: Math.round(performance.now() - setup.started),
      calibration,
    },
    { keep: setup.keep, logger },
  );
}
