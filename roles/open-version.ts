// Opening a version is checks and one-time choices (load or view, heap or file, full scan or graph):
// kept apart from HeldIndex so that its file reads as the query path over what is opened here.
import { openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoadMode } from '../channel/protocol.js';
import { createEngineIndex, type EngineIndex } from '../index-version/engine.js';
import { IndexFormatError } from '../index-version/errors.js';
import { INDEX_FILE, type Manifest, ROWS_FILE, rowsOf, VECTORS_FILE } from '../index-version/format.js';
import { RowTable } from '../index-version/row-table.js';
import { type HashFiles, readVerifiedManifest } from '../index-version/verify.js';
import { ClusteredLayout } from './attribute-postings.js';
import { ScanCopy } from './scan-copy.js';

/**
 * Up to this many profiles the answer role scans every vector instead of walking the HNSW graph
 * (Qdrant's full_scan_threshold, same reasoning): a full scan of a few thousand vectors costs
 * about what a graph search does, it is exact, and a graph this small can come out of a
 * multi-threaded build with poorly connected regions.
 */
export const FULL_SCAN_MAX_ROWS = 4096;

/**
 * A viewed version reads each result row, and a recommend query's own vector, from the file (one
 * pread) so that large files stay in the page cache, shared by both children instead of copied
 * into each heap. Below this size a heap copy costs less than the preads it saves (about 200,000
 * profiles' rows).
 */
export const HEAP_COPY_MAX_BYTES = 16 * 1024 * 1024;

/** What a HeldIndex serves from: one version's parts, checked against its manifest. */
export interface OpenedVersion {
  manifest: Manifest;
  index: EngineIndex;
  rows: RowTable;
  /** The vectors file, open while its vectors are not in `vectorsInHeap`. */
  vectorsFd: number | null;
  vectorsInHeap: Float32Array | null;
  scanCopy: ScanCopy | null;
  fullScan: boolean;
}

/** The version in `dir`, verified and opened as HeldIndex.open describes. */
export async function openVersion(
  dir: string,
  mode: LoadMode,
  expectedVersion: string | undefined,
  hashFiles: HashFiles,
): Promise<OpenedVersion> {
  const manifest = await readVerifiedManifest(dir, hashFiles);
  if (expectedVersion !== undefined && manifest.version !== expectedVersion) {
    throw new IndexFormatError('VERSION_MISMATCH', `${dir}: manifest says version ${manifest.version}, expected ${expectedVersion}`);
  }
  const rowsInHeap = mode === 'load' || manifest.files[ROWS_FILE]!.bytes <= HEAP_COPY_MAX_BYTES;
  const rows = RowTable.open(path.join(dir, ROWS_FILE), rowsInHeap ? 'memory' : 'file');
  try {
    if (rows.count !== rowsOf(manifest) || rows.liveCount !== manifest.count) {
      throw new IndexFormatError(
        'ROWS_INVALID',
        `${dir}: ${ROWS_FILE} has ${rows.count} rows (${rows.liveCount} profiles), manifest ${rowsOf(manifest)} (${manifest.count})`,
      );
    }
    return await openIndex(dir, mode, manifest, rows);
  } catch (err) {
    rows.close();
    throw err;
  }
}

async function openIndex(dir: string, mode: LoadMode, manifest: Manifest, rows: RowTable): Promise<OpenedVersion> {
  const index = createEngineIndex(manifest.params, manifest.dims);
  const indexFile = path.join(dir, INDEX_FILE);
  if (mode === 'view') index.view(indexFile);
  else index.load(indexFile);
  if (index.size() !== manifest.count) {
    throw new IndexFormatError('INDEX_INVALID', `${dir}: index holds ${index.size()} vectors, manifest count ${manifest.count}`);
  }
  if (index.dimensions() !== manifest.dims) {
    throw new IndexFormatError('WRONG_DIMENSIONS', `${dir}: index has ${index.dimensions()} dimensions, manifest ${manifest.dims}`);
  }
  const vectorsFile = path.join(dir, VECTORS_FILE);
  const fullScan = manifest.count <= FULL_SCAN_MAX_ROWS;
  let vectorsInHeap: Float32Array | null = null;
  let vectorsFd: number | null = null;
  if (fullScan || manifest.files[VECTORS_FILE]!.bytes <= HEAP_COPY_MAX_BYTES) {
    const bytes = await readFile(vectorsFile);
    vectorsInHeap = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  } else {
    vectorsFd = openSync(vectorsFile, 'r');
  }
  // Its int8 scale assumes unit vectors, which metric ip holds.
  const scanCopy =
    vectorsFd !== null && manifest.params.metric === 'ip' && process.env.TANDEM_SCAN_COPY !== 'off'
      ? ScanCopy.fromFile(vectorsFd, rowsOf(manifest), manifest.dims, ClusteredLayout.of(rows.attributes, rows.count))
      : null;
  return { manifest, index, rows, vectorsFd, vectorsInHeap, scanCopy, fullScan };
}
