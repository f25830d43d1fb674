// Filtered nearest-neighbour search over one index version. The usearch binding has no filtered
// search, and a post-filter of the usual top-k silently returns fewer than asked. So each query
// estimates how many rows its filter admits (a strided sample of the row test) and plans:
//   - few admitted rows: an exact scan of just those rows (exact, and cheaper than a graph walk
//     that would have to visit most of the graph to find them);
//   - many: a graph search widened to k ≈ want / selectivity, its results filtered, widened again
//     when too few pass, and an exact scan as the last resort.
// Either way a query gets `want` results whenever that many rows pass the filter.
import { exactNearest } from '../index-version/engine.js';
import type { Metric } from '../index-version/format.js';
import type { RowTest } from './query-filter.js';

export interface Matches {
  keys: ArrayLike<bigint | number>;
  distances: ArrayLike<number>;
}

/** What the planner needs of a held version. */
export interface SearchableRows {
  /** Rows, removed ones included. */
  readonly count: number;
  readonly liveCount: number;
  readonly dims: number;
  readonly metric: Metric;
  /** Row vectors are in this heap (a scan reads memory) rather than read from the file per row. */
  readonly vectorsInHeap: boolean;
  isRemoved(row: number): boolean;
  graphSearch(vector: Float32Array, k: number): Matches;
  vectorInto(row: number, target: Float32Array): Float32Array;
}

export type SearchPlan = 'exact' | 'graph';

/** How many filtered searches each plan answered in this process (for /status and the benchmark). */
export const planCounts: Record<SearchPlan, number> = { exact: 0, graph: 0 };

const SAMPLE_ROWS = 2048;
/** Up to this many admitted rows an exact scan wins: a read of each row's vector from memory… */
const EXACT_MAX_IN_HEAP = 2_000;
/** …or from the file (a pread each). */
const EXACT_MAX_FROM_FILE = 1_000;
/** Oversampling of the widened graph search: a filter's rows are not spread evenly over the graph. */
const WIDEN_FACTOR = 2;
/** A graph search wider than this costs more than scanning: scan instead. */
const GRAPH_MAX_K = 32_768;

/** The share of live rows `admits` passes, from a strided sample. */
export function estimateSelectivity(rows: SearchableRows, admits: RowTest): number {
  const stride = Math.max(1, Math.floor(rows.count / SAMPLE_ROWS));
  let sampled = 0;
  let passed = 0;
  for (let row = 0; row < rows.count; row += stride) {
    if (rows.isRemoved(row)) continue;
    sampled++;
    if (admits(row)) passed++;
  }
  return sampled === 0 ? 0 : passed / sampled;
}

export function planFor(rows: SearchableRows, selectivity: number, graphUsable: boolean): SearchPlan {
  const exactMax = rows.vectorsInHeap ? EXACT_MAX_IN_HEAP : EXACT_MAX_FROM_FILE;
  return !graphUsable || selectivity * rows.liveCount <= exactMax ? 'exact' : 'graph';
}

/** The `want` nearest rows that `admits` passes, nearest first, and the plan that found them. */
export function admittedNearest(
  rows: SearchableRows,
  vector: Float32Array,
  want: number,
  admits: RowTest,
  graphUsable: boolean,
): { matches: Matches; plan: SearchPlan } {
  const { matches, plan } = plannedNearest(rows, vector, want, admits, graphUsable);
  planCounts[plan]++;
  return { matches, plan };
}

function plannedNearest(
  rows: SearchableRows,
  vector: Float32Array,
  want: number,
  admits: RowTest,
  graphUsable: boolean,
): { matches: Matches; plan: SearchPlan } {
  const selectivity = estimateSelectivity(rows, admits);
  if (planFor(rows, selectivity, graphUsable) === 'exact') return { matches: exactScan(rows, vector, want, admits), plan: 'exact' };
  let k = Math.min(rows.count, Math.ceil((want / Math.max(selectivity, 1e-9)) * WIDEN_FACTOR) + 16);
  for (;;) {
    const found = rows.graphSearch(vector, k);
    const kept = keep(found, want, (row) => !rows.isRemoved(row) && admits(row));
    if (kept.keys.length >= want || k >= rows.count) return { matches: kept, plan: 'graph' };
    if (k * 4 > GRAPH_MAX_K) return { matches: exactScan(rows, vector, want, admits), plan: 'exact' };
    k = Math.min(rows.count, k * 4);
  }
}

function keep(found: Matches, want: number, passes: (row: number) => boolean): Matches {
  const keys: number[] = [];
  const distances: number[] = [];
  for (let i = 0; i < found.keys.length && keys.length < want; i++) {
    const row = Number(found.keys[i]);
    if (!passes(row)) continue;
    keys.push(row);
    distances.push(found.distances[i]!);
  }
  return { keys, distances };
}

/** Every admitted row's distance (the engine's own exact search over them), the `want` nearest kept. */
export function exactScan(rows: SearchableRows, vector: Float32Array, want: number, admits: RowTest): Matches {
  const candidates: number[] = [];
  for (let row = 0; row < rows.count; row++) if (!rows.isRemoved(row) && admits(row)) candidates.push(row);
  if (candidates.length === 0 || want <= 0) return { keys: [], distances: [] };
  const dims = rows.dims;
  const gathered = new Float32Array(candidates.length * dims);
  for (let i = 0; i < candidates.length; i++) rows.vectorInto(candidates[i]!, gathered.subarray(i * dims, (i + 1) * dims));
  const found = exactNearest(gathered, vector, dims, Math.min(want, candidates.length), rows.metric);
  return { keys: Array.from(found.keys, (i) => candidates[Number(i)]!), distances: found.distances };
}
