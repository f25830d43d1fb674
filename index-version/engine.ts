// The one place that turns our engine parameters into a usearch Index, for the builder (which
// fills it) and the roles (which load or view it).
import usearch, { type MetricKind, type ScalarKind } from 'usearch';
import type { EngineParams } from './format.js';

export type EngineIndex = InstanceType<typeof usearch.Index>;

export function createEngineIndex(params: EngineParams, dims: number): EngineIndex {
  return new usearch.Index({
    metric: params.metric as MetricKind,
    dimensions: dims,
    connectivity: params.connectivity,
    quantization: params.quantization as ScalarKind,
    expansion_add: params.expansionAdd,
    expansion_search: params.expansionSearch,
    multi: false,
  });
}

/**
 * Exact top k of `query` among `dataset`'s rows (row-major, `dims` wide), float32 or int8 (both the
 * same type). Both must start at their buffer's start: the binding ignores a view's byteOffset.
 */
export function exactNearest<T extends Float32Array | Int8Array>(
  dataset: T,
  query: T,
  dims: number,
  k: number,
  metric: EngineParams['metric'],
) {
  if (dataset.byteOffset !== 0 || query.byteOffset !== 0)
    throw new RangeError("exactNearest: pass arrays that start at their buffer's start");
  return usearch.exactSearch(dataset, query, dims, k, metric as MetricKind, 1) as InstanceType<typeof usearch.Matches>;
}

/**
 * Scales `vector` to unit length in place. With metric `ip` on unit vectors, 1 - dot product is
 * exactly the cosine distance, and the engine skips two norms per comparison (faster than `cos`
 * at equal recall: BENCHMARKS.md's engine table).
 */
export function normalizeInPlace(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! * scale;
  return vector;
}
