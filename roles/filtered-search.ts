// Filtered nearest-neighbour search over one index version. The usearch binding has no filtered
// search, and a post-filter of the usual top-k silently returns fewer than asked. So each query
// estimates how many rows its filter admits (a strided sample of the row test over the rows of its
// most selective bound, roles/attribute-postings.ts) and plans:
//   - few admitted rows: an exact scan of just those rows (exact, and cheaper than a graph walk
//     that would have to visit most of the graph to find them);
//   - many: a graph search widened to k ≈ want / selectivity, its results filtered, widened again
//     when too few pass, and an exact scan as the last resort.
// Either way a query gets `want` results whenever that many rows pass the filter.
import { exactNearest } from '../index-version/engine.js';
import type { Metric } from '../index-version/format.js';
import type { RowLists } from './attribute-postings.js';
import type { Matches } from './nearest-request.js';
import type { FilterBounds, RowTest } from './query-filter.js';
import { ReusedBuffer } from './reused-buffer.js';
import { quantizeInto, type ScanCopy } from './scan-copy.js';

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
  /** Row `rows[i]`'s vector into `target` at `i * dims`, for every i. */
  vectorsInto(rows: ArrayLike<number>, target: Float32Array): void;
  /** An int8 copy of the vectors in memory (roles/scan-copy.ts), held when the float32 ones are in the file. */
  readonly scanCopy: Pick<ScanCopy, 'nearest' | 'positionsWithin'> | null;
}

export type SearchPlan = 'exact' | 'graph';

/** What narrows a filtered search before its row test: the filter's column bounds and the rows they name. */
export interface Narrowing {
  bounds: FilterBounds | null;
  /** Row lists of the bounds' narrowest column (roles/attribute-postings.ts). */
  candidates: RowLists | null;
  /** Rows within the bounds the row test may reject (excluded, removed, out of date), or null: any. */
  exceptions: number | null;
}

const NO_NARROWING: Narrowing = { bounds: null, candidates: null, exceptions: null };

const gatheredVectors = new ReusedBuffer();

/** How many filtered searches each plan answered in this process (for /status and the benchmark). */
export const planCounts: Record<SearchPlan, number> = { exact: 0, graph: 0 };

const SAMPLE_ROWS = 1024;
// A cost model, in µs, to choose between the plans (measured at 1M profiles, 128 dims: a pread of
// one row's vector, a copy from memory, an admitted row's gather and int8 dot product, a usearch
// search per unit of k).
const READ_US_FROM_FILE = 3.5;
const READ_US_IN_HEAP = 0.1;
const INT8_SCAN_US = 0.025;
// A graph search's cost grows about as the square root of the rows (210 µs at 1M, 27 µs at 10k),
// and with its k (about 3 µs per unit of k at 1M).
const GRAPH_US_BASE_PER_SQRT_ROW = 0.25;
const GRAPH_US_PER_K_PER_SQRT_ROW = 0.003;
/** Oversampling of the widened graph search: a filter's rows are not spread evenly over the graph. */
const WIDEN_FACTOR = 2;

/**
 * The int8 scan's shortlist, ranked again by float32 vectors (one pread a row): int8 rounding moves
 * a true top result a few places down, never past this margin in the benchmark's queries.
 */
const shortlistOf = (want: number) => want + 8 + Math.ceil(want / 4);

function exactCostUs(rows: SearchableRows, admitted: number, want: number): number {
  if (rows.vectorsInHeap) return admitted * READ_US_IN_HEAP;
  if (rows.scanCopy) return admitted * INT8_SCAN_US + Math.min(admitted, shortlistOf(want)) * READ_US_FROM_FILE;
  return admitted * READ_US_FROM_FILE;
}
const graphCostUs = (rows: SearchableRows, k: number) =>
  Math.sqrt(rows.liveCount) * (GRAPH_US_BASE_PER_SQRT_ROW + k * GRAPH_US_PER_K_PER_SQRT_ROW);
const widenedK = (rows: SearchableRows, want: number, share: number) =>
  Math.min(rows.count, Math.ceil((want / Math.max(share, 1e-9)) * WIDEN_FACTOR) + 16);

/** The share of live rows `admits` passes, from a strided sample of the rows that can pass. */
export function estimateSelectivity(rows: SearchableRows, admits: RowTest, candidates: RowLists | null = null): number {
  if (candidates === null) {
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
  const stride = Math.max(1, Math.floor(candidates.size / SAMPLE_ROWS));
  let sampled = 0;
  let passed = 0;
  let at = 0;
  for (const list of candidates.lists) {
    for (; at < list.length; at += stride) {
      sampled++;
      const row = list[at]!;
      if (!rows.isRemoved(row) && admits(row)) passed++;
    }
    at -= list.length;
  }
  return sampled === 0 || rows.liveCount === 0 ? 0 : ((passed / sampled) * candidates.size) / rows.liveCount;
}

export function planFor(rows: SearchableRows, want: number, selectivity: number, graphUsable: boolean): SearchPlan {
  if (!graphUsable) return 'exact';
  return exactCostUs(rows, selectivity * rows.liveCount, want) <= graphCostUs(rows, widenedK(rows, want, selectivity)) ? 'exact' : 'graph';
}

/** The `want` nearest rows that `admits` passes, nearest first, and the plan that found them. */
export function admittedNearest(
  rows: SearchableRows,
  vector: Float32Array,
  want: number,
  admits: RowTest,
  graphUsable: boolean,
  narrowing: Narrowing = NO_NARROWING,
): { matches: Matches; plan: SearchPlan } {
  const { matches, plan } = plannedNearest(rows, vector, want, admits, graphUsable, narrowing);
  planCounts[plan]++;
  return { matches, plan };
}

function plannedNearest(
  rows: SearchableRows,
  vector: Float32Array,
  want: number,
  admits: RowTest,
  graphUsable: boolean,
  narrowing: Narrowing,
): { matches: Matches; plan: SearchPlan } {
  // The clustered layout counts what the bounds admit exactly, where the row test adds only a few exceptions.
  const selectivity =
    rows.scanCopy && narrowing.bounds && narrowing.exceptions !== null && rows.liveCount > 0
      ? rows.scanCopy.positionsWithin(narrowing.bounds) / rows.liveCount
      : estimateSelectivity(rows, admits, narrowing.candidates);
  const scan = () => ({ matches: exactScan(rows, vector, want, admits, narrowing), plan: 'exact' as const });
  if (planFor(rows, want, selectivity, graphUsable) === 'exact') return scan();
  let k = widenedK(rows, want, selectivity);
  const scanCost = exactCostUs(rows, selectivity * rows.liveCount, want);
  let spent = 0;
  for (;;) {
    const found = rows.graphSearch(vector, k);
    spent += graphCostUs(rows, k);
    const kept = keep(found, want, (row) => !rows.isRemoved(row) && admits(row));
    if (kept.keys.length >= want || k >= rows.count) return { matches: kept, plan: 'graph' };
    // Fewer pass near this query than overall (a filter that runs against the embedding, e.g. an
    // age range far from the querier's): widen to what the density seen here needs (4x when none
    // passed), while all the searches together cost less than the scan.
    const density = kept.keys.length / Math.max(1, found.keys.length);
    const next = Math.min(rows.count, density > 0 ? Math.max(k * 2, widenedK(rows, want, density)) : k * 4);
    if (spent + graphCostUs(rows, next) > scanCost) return scan();
    k = next;
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

/**
 * Every admitted row's distance (the engine's own exact search over them), the `want` nearest
 * kept. With an int8 scan copy, its shortlist of the admitted rows is all that is read from the file.
 */
export function exactScan(
  rows: SearchableRows,
  vector: Float32Array,
  want: number,
  admits: RowTest,
  narrowing: Narrowing = NO_NARROWING,
): Matches {
  if (want <= 0) return { keys: [], distances: [] };
  const usable: RowTest = (row) => !rows.isRemoved(row) && admits(row);
  const dims = rows.dims;
  const shortlist =
    rows.scanCopy && !rows.vectorsInHeap
      ? rows.scanCopy.nearest(narrowing.bounds, usable, quantizeInto(vector, new Int8Array(dims)), shortlistOf(want), narrowing.exceptions)
      : admittedRows(rows, usable, narrowing.candidates);
  if (shortlist.length === 0) return { keys: [], distances: [] };
  const gathered = gatheredVectors.view(Float32Array, shortlist.length * dims);
  rows.vectorsInto(shortlist, gathered);
  const found = exactNearest(gathered, vector, dims, Math.min(want, shortlist.length), rows.metric);
  return { keys: Array.from(found.keys, (i) => shortlist[Number(i)]!), distances: found.distances };
}

function admittedRows(rows: SearchableRows, usable: RowTest, candidates: RowLists | null): number[] {
  const admitted: number[] = [];
  if (candidates === null) {
    for (let row = 0; row < rows.count; row++) if (usable(row)) admitted.push(row);
  } else {
    for (const list of candidates.lists) for (const row of list) if (usable(row)) admitted.push(row);
  }
  return admitted;
}
