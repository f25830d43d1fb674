// A new version from the latest one plus the store's changes since its seq, instead of from
// scratch: the previous graph is loaded, the rows of deleted and replaced profiles are removed
// from it, the changed profiles are added under new row numbers. Row numbers stay stable, so the
// removed rows stay in the files as empty rows (index-version/row-table.ts) until the next full
// build, which happens when too many have piled up or too much changed.
import { copyFile, open } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { createEngineIndex, normalizeInPlace } from '../index-version/engine.js';
import { INDEX_FILE, type Manifest, ROWS_FILE, readLatest, rowsOf, VECTORS_FILE, versionDir } from '../index-version/format.js';
import { RowTable } from '../index-version/row-table.js';
import { RowTableWriter } from '../index-version/row-table-writer.js';
import { readVerifiedManifest } from '../index-version/verify.js';
import { BuilderError } from './errors.js';
import { FileSink } from './file-sink.js';
import { createStaging, discardStaging, vectorBytes } from './publish.js';
import { type BuildSetup, publishBuilt, SkipTally, throwIfAborted } from './publish-built.js';
import type { OpenedSource } from './sources.js';

/** Changed profiles, as a fraction of the latest version's count, up to which a build is incremental. */
export const DEFAULT_INCREMENTAL_MAX_FRACTION = 0.1;
/** Removed rows, as a fraction of all rows, beyond which the next build starts from scratch. */
export const MAX_REMOVED_FRACTION = 0.2;
const ROW_WRITE_BATCH = 10_000;

export interface IncrementalBase {
  dir: string;
  manifest: Manifest & { storeSeq: number };
  changes: number;
}

/** The version to build from, or why a build from scratch it is (logged). */
export async function planIncremental(
  input: OpenedSource,
  setup: BuildSetup,
  maxFraction: number,
): Promise<{ base: IncrementalBase } | { why: string }> {
  const latest = await readLatest(setup.dataDir);
  if (latest === null) return { why: 'no version published yet' };
  const dir = versionDir(setup.dataDir, latest);
  let manifest: Manifest;
  try {
    // Verified: its files are copied into the new version, so a damaged one must not carry over.
    manifest = await readVerifiedManifest(dir);
  } catch (err) {
    return { why: `latest version ${latest} is unusable: ${(err as Error).message}` };
  }
  const { params } = setup;
  const same =
    manifest.source === input.label &&
    manifest.dims === setup.vectorizer.dims &&
    manifest.vectorizer === setup.vectorizer.name &&
    manifest.vectorizerModule === setup.vectorizerModule &&
    manifest.params.metric === params.metric &&
    manifest.params.quantization === params.quantization &&
    manifest.params.connectivity === params.connectivity &&
    manifest.params.expansionAdd === params.expansionAdd;
  if (!same) return { why: `latest version ${latest} was built from another source or with other settings` };
  const fromSeq = manifest.storeSeq;
  if (fromSeq === undefined || input.storeSeq === undefined || fromSeq > input.storeSeq)
    return { why: `latest version ${latest} is not from an earlier state of this store` };
  const changes = input.changes!.countSince(fromSeq);
  if (changes > maxFraction * manifest.count)
    return { why: `${changes} profiles changed since ${latest}, over ${maxFraction} of its ${manifest.count}` };
  const rows = rowsOf(manifest);
  if (rows - manifest.count + changes > MAX_REMOVED_FRACTION * (rows + changes))
    return { why: `${latest} and these changes would leave over ${MAX_REMOVED_FRACTION} of the rows removed` };
  return { base: { dir, manifest: { ...manifest, storeSeq: fromSeq }, changes } };
}

interface AddedProfile {
  fields: ReturnType<RowTable['fields']>;
  vector: Float32Array;
}

/** Builds and publishes the store snapshot `input` as `base` plus the changes since base's seq. */
export async function buildIncrementally(base: IncrementalBase, input: OpenedSource, setup: BuildSetup): Promise<Manifest> {
  const { params, signal, logger } = setup;
  const { dims } = setup.vectorizer;
  const baseRows = RowTable.open(path.join(base.dir, ROWS_FILE), 'file');
  const skips = new SkipTally(logger);
  const removed = new Set<number>();
  const added: AddedProfile[] = [];
  try {
    let position = 0;
    for (const change of input.changes!.since(base.manifest.storeSeq)) {
      position++;
      const row = baseRows.rowOf(change.id);
      if (row !== undefined) removed.add(row);
      if (change.profile === null) continue;
      const result = setup.validator.checkValue(change.profile, position);
      if (!result.ok) skips.add(result.skipped);
      else added.push({ fields: result.fields, vector: params.metric === 'ip' ? normalizeInPlace(result.vector) : result.vector });
    }
    input.close();
    const baseCount = baseRows.count;
    const count = baseRows.liveCount - removed.size + added.length;
    if (count === 0) throw new BuilderError('TANDEM_ERR_NO_VALID_RECORDS', `${input.label}: every profile was deleted`);
    const staging = await createStaging(setup.dataDir);
    try {
      await writeRows(baseRows, removed, added, path.join(staging.dir, ROWS_FILE), signal);
      const addedVectors = new Float32Array(added.length * dims);
      for (const [i, profile] of added.entries()) addedVectors.set(profile.vector, i * dims);
      await writeVectors(path.join(base.dir, VECTORS_FILE), path.join(staging.dir, VECTORS_FILE), removed, addedVectors, baseCount, dims);
      throwIfAborted(signal);

      const index = createEngineIndex(params, dims);
      index.load(path.join(base.dir, INDEX_FILE));
      if (removed.size > 0) index.remove(BigUint64Array.from(removed, BigInt));
      if (added.length > 0)
        index.add(
          BigUint64Array.from(added, (_, i) => BigInt(baseCount + i)),
          addedVectors,
          setup.threads,
        );
      if (index.size() !== count) throw new Error(`incremental index holds ${index.size()} vectors, expected ${count}`);
      const rows = baseCount + added.length;
      logger.info(
        { from: base.manifest.version, changes: base.changes, added: added.length, removed: removed.size },
        'building incrementally',
      );
      return await publishBuilt(staging, index, setup, {
        draft: {
          count,
          source: input.label,
          storeSeq: input.storeSeq,
          skipped: skips.summary,
          incremental: {
            from: base.manifest.version,
            fromSeq: base.manifest.storeSeq,
            changes: base.changes,
            added: added.length,
            removed: removed.size,
          },
        },
        rows,
        isRemoved: (row) => row < baseCount && (removed.has(row) || baseRows.isRemoved(row)),
      });
    } catch (err) {
      await discardStaging(staging).catch(() => {});
      throw err;
    }
  } finally {
    baseRows.close();
  }
}

/** rows.bin: the base's rows (removed ones emptied), then the added profiles. */
async function writeRows(
  baseRows: RowTable,
  removed: Set<number>,
  added: AddedProfile[],
  file: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const out = new FileSink(file);
  const writer = new RowTableWriter();
  try {
    let pending: Buffer[] = [];
    const flush = async () => {
      await out.write(Buffer.concat(pending));
      pending = [];
      throwIfAborted(signal);
      await yieldToEventLoop();
    };
    for (let row = 0; row < baseRows.count; row++) {
      if (baseRows.isRemoved(row) || removed.has(row)) writer.addRemoved();
      else pending.push(writer.add(baseRows.fields(row)));
      if (pending.length === ROW_WRITE_BATCH) await flush();
    }
    for (const profile of added) {
      pending.push(writer.add(profile.fields));
      if (pending.length === ROW_WRITE_BATCH) await flush();
    }
    pending.push(writer.finish());
    await flush();
    await out.close();
  } catch (err) {
    await out.abort();
    throw err;
  }
}

/** vectors.f32: a copy of the base's, removed rows zeroed (a deleted profile's vector does not linger), the added ones appended. */
async function writeVectors(
  baseFile: string,
  file: string,
  removed: Set<number>,
  addedVectors: Float32Array,
  baseCount: number,
  dims: number,
): Promise<void> {
  await copyFile(baseFile, file);
  const handle = await open(file, 'r+');
  try {
    const rowBytes = dims * Float32Array.BYTES_PER_ELEMENT;
    const zeros = new Uint8Array(rowBytes);
    for (const row of removed) await handle.write(zeros, 0, rowBytes, row * rowBytes);
    if (addedVectors.length > 0) await handle.write(vectorBytes(addedVectors), 0, addedVectors.byteLength, baseCount * rowBytes);
  } finally {
    await handle.close();
  }
}
