// Picks each build's search expansion (HNSW's ef) from measured recall instead of a fixed number:
// the ef that gives recall@10 >= 0.99 is 16 on 10,000 clustered profiles and 128 on 1,000,000
// (BENCHMARKS.md, engine table), and the cost of a search grows with it. So after the graph is
// built, a sample of its own rows is searched the way /recommend searches them (own vector, self
// excluded) and compared with an exact scan, for increasing ef; the smallest that reaches the
// target goes into the manifest, where the children read it.
import { closeSync, openSync } from 'node:fs';
import usearch, { type MetricKind } from 'usearch';
import { createEngineIndex } from '../index-version/engine.js';
import type { EngineParams, SearchCalibration } from '../index-version/format.js';
import { readFullyAt } from '../index-version/read-at.js';

export const RECALL_TARGET = 0.99;
export const EXPANSION_LADDER = [16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512] as const;
export const DEFAULT_SAMPLE = 256;
const K = 10;
// Exact ground truth is computed over the vectors file in slices, so the builder never holds a
// second whole copy of the vectors beside the index (512 MB at 1M x 128).
const SLICE_ROWS = 65_536;

export interface CalibrationInput {
  indexFile: string;
  vectorsFile: string;
  params: EngineParams;
  dims: number;
  /** Rows of the vectors file (removed ones included). */
  count: number;
  /** Rows an incremental build removed: neither sampled nor counted as neighbours. */
  isRemoved?: (row: number) => boolean;
  threads: number;
  sample?: number;
  /** An ef the caller chose: only its recall is measured. */
  fixed?: number;
}

interface Candidate {
  distance: number;
  row: number;
}

function readRows(fd: number, dims: number, first: number, rows: number): Float32Array {
  const out = new Float32Array(rows * dims);
  readFullyAt(fd, out, first * dims * 4, (message) => new Error(`vectors file, rows ${first}-${first + rows - 1}: ${message}`));
  return out;
}

/** Exact k nearest rows to each sampled row, itself excluded, by scanning every slice. */
function exactNeighbours(fd: number, input: CalibrationInput, sampleRows: number[], queries: Float32Array): Set<number>[] {
  const { dims, count, params, threads } = input;
  const want = K + 1;
  const best: Candidate[][] = sampleRows.map(() => []);
  for (let first = 0; first < count; first += SLICE_ROWS) {
    const { slice, rowAt } = liveRows(readRows(fd, dims, first, Math.min(SLICE_ROWS, count - first)), first, input);
    const rows = rowAt.length;
    if (rows === 0) continue;
    const found = usearch.exactSearch(slice, queries, dims, Math.min(want, rows), params.metric as MetricKind, threads) as InstanceType<
      typeof usearch.BatchMatches
    >;
    for (let q = 0; q < sampleRows.length; q++) {
      const matches = found.get(q);
      for (let i = 0; i < matches.keys.length; i++)
        best[q]!.push({ distance: matches.distances[i]!, row: rowAt[Number(matches.keys[i])]! });
      best[q]!.sort((a, b) => a.distance - b.distance);
      best[q]!.length = Math.min(best[q]!.length, want);
    }
  }
  return best.map(
    (candidates, q) =>
      new Set(
        candidates
          .filter((c) => c.row !== sampleRows[q])
          .slice(0, K)
          .map((c) => c.row),
      ),
  );
}

/** A slice's vectors with removed rows left out, and the row each remaining one is. */
function liveRows(slice: Float32Array, first: number, input: CalibrationInput): { slice: Float32Array; rowAt: number[] } {
  const { dims, isRemoved } = input;
  const total = slice.length / dims;
  const rowAt: number[] = [];
  for (let i = 0; i < total; i++) if (!isRemoved?.(first + i)) rowAt.push(first + i);
  if (rowAt.length === total) return { slice, rowAt };
  const compact = new Float32Array(rowAt.length * dims);
  for (const [i, row] of rowAt.entries()) compact.set(slice.subarray((row - first) * dims, (row - first + 1) * dims), i * dims);
  return { slice: compact, rowAt };
}

/** `sample` rows spread evenly over the live ones. */
function sampleLiveRows(input: CalibrationInput, sample: number): number[] {
  const { isRemoved } = input;
  // Only an incremental build has removed rows to step over; a full build's rows are all live.
  const live = isRemoved ? Array.from({ length: input.count }, (_, row) => row).filter((row) => !isRemoved(row)) : null;
  const total = live?.length ?? input.count;
  const size = Math.min(sample, total);
  return Array.from({ length: size }, (_, i) => {
    const at = Math.floor((i * total) / size);
    return live ? live[at]! : at;
  });
}

function recallAt(input: CalibrationInput, ef: number, sampleRows: number[], queries: Float32Array, truth: Set<number>[]): number {
  const index = createEngineIndex({ ...input.params, expansionSearch: ef }, input.dims);
  // view(): the saved file is mapped, not copied, so trying several ef costs no memory.
  index.view(input.indexFile);
  const found = index.search(queries, K + 1, input.threads) as InstanceType<typeof usearch.BatchMatches>;
  let hits = 0;
  let expected = 0;
  for (let q = 0; q < sampleRows.length; q++) {
    const keys = Array.from(found.get(q).keys, Number)
      .filter((row) => row !== sampleRows[q])
      .slice(0, K);
    for (const row of keys) if (truth[q]!.has(row)) hits++;
    expected += truth[q]!.size;
  }
  return expected === 0 ? 1 : hits / expected;
}

/** Measures recall@10 at increasing ef and returns the smallest that reaches RECALL_TARGET. */
export function calibrateExpansion(input: CalibrationInput): SearchCalibration {
  const ladder = input.fixed !== undefined ? [input.fixed] : EXPANSION_LADDER;
  const sampleRows = sampleLiveRows(input, input.sample ?? DEFAULT_SAMPLE);
  const sample = sampleRows.length;
  if (sample <= 1) return { expansionSearch: ladder[0]!, target: RECALL_TARGET, sample: 0, k: K, tried: [] };
  const fd = openSync(input.vectorsFile, 'r');
  try {
    const queries = new Float32Array(sample * input.dims);
    for (const [i, row] of sampleRows.entries()) queries.set(readRows(fd, input.dims, row, 1), i * input.dims);
    const truth = exactNeighbours(fd, input, sampleRows, queries);
    const tried: SearchCalibration['tried'] = [];
    for (const ef of ladder) {
      const recall = recallAt(input, ef, sampleRows, queries, truth);
      tried.push({ expansionSearch: ef, recall: Math.round(recall * 10_000) / 10_000 });
      if (recall >= RECALL_TARGET) break;
    }
    const chosen = tried[tried.length - 1]!;
    return { expansionSearch: chosen.expansionSearch, target: RECALL_TARGET, sample, k: K, tried };
  } finally {
    closeSync(fd);
  }
}
