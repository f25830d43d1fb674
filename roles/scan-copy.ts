// An int8 copy of a version's vectors in this heap, for the filtered exact scan when the float32
// vectors stay in the file: a pread per admitted row costs more than the search it replaces, a
// copy of 128 bytes from memory far less, and rows kept in the order filters select them (city,
// gender, age) are copied in runs. The scan ranks by the int8 dot product, and the rows it
// shortlists are ranked again by their float32 vectors, so results keep full precision.
import { exactNearest } from '../index-version/engine.js';
import { readFullyAt } from '../index-version/read-at.js';
import type { ClusteredLayout } from './attribute-postings.js';
import type { FilterBounds, RowTest } from './query-filter.js';
import { ReusedBuffer } from './reused-buffer.js';
import { forEachRun } from './runs.js';

/** Unit vectors' components are within [-1, 1]: this scale uses int8's whole range. */
const SCALE = 127;
const ROWS_PER_READ = 8192;
const NATIVE_COPY_MIN_ROWS = 8;
/** Past this many rows that may fail the test, testing each row costs less than ranking them all. */
const MAX_EXCEPTIONS = 4096;

/** `vector` (unit length, so every component within [-1, 1]) as int8, rounded to nearest. */
export function quantizeInto(vector: Float32Array, target: Int8Array): Int8Array {
  for (let i = 0; i < vector.length; i++) {
    const scaled = vector[i]! * SCALE;
    // Truncation toward zero after adding half away from zero: rounding, without Math.round's cost.
    target[i] = (scaled + (scaled < 0 ? -0.5 : 0.5)) | 0;
  }
  return target;
}

export class ScanCopy {
  private readonly gathered = new ReusedBuffer();
  private readonly positions = new ReusedBuffer();

  private constructor(
    /** Int8 vectors in the layout's order: position p holds row `layout.rowAt[p]`. */
    private readonly data: Int8Array,
    private readonly dims: number,
    private readonly layout: Pick<ClusteredLayout, 'rowAt' | 'ranges'>,
  ) {}

  /** Reads `count` float32 rows from `fd` in large sequential reads and keeps them as int8, in the layout's order. */
  static fromFile(fd: number, count: number, dims: number, layout: Pick<ClusteredLayout, 'rowAt' | 'ranges'>): ScanCopy {
    const positionOf = new Uint32Array(count);
    for (let position = 0; position < count; position++) positionOf[layout.rowAt[position]!] = position;
    const data = new Int8Array(count * dims);
    const chunk = new Float32Array(ROWS_PER_READ * dims);
    const quantized = new Int8Array(ROWS_PER_READ * dims);
    const rows8 = new RowCopier(quantized, data, dims);
    for (let first = 0; first < count; first += ROWS_PER_READ) {
      const rows = Math.min(ROWS_PER_READ, count - first);
      readFullyAt(fd, chunk.subarray(0, rows * dims), first * dims * Float32Array.BYTES_PER_ELEMENT);
      quantizeInto(chunk.subarray(0, rows * dims), quantized);
      for (let i = 0; i < rows; i++) rows8.copy(i, positionOf[first + i]!);
    }
    return new ScanCopy(data, dims, layout);
  }

  get bytes(): number {
    return this.data.byteLength;
  }

  /** How many positions `bounds` can admit: the filter's exact count when its row test adds nothing but a few exceptions. */
  positionsWithin(bounds: FilterBounds | null): number {
    return spanOf(this.layout.ranges(bounds));
  }

  /**
   * The `size` rows that `admits` passes with the largest int8 dot product with `query`, in
   * ascending row order, ranked by the engine's exact search over int8 vectors gathered run by run.
   * Only positions `bounds` can admit are looked at. When at most `exceptions` of them can fail the
   * test, whole ranges are ranked untested and the test applied to that many more results only.
   */
  nearest(bounds: FilterBounds | null, admits: RowTest, query: Int8Array, size: number, exceptions: number | null = null): number[] {
    const { rowAt } = this.layout;
    const ranges = this.layout.ranges(bounds);
    let positions: number[] | null = null;
    let total = spanOf(ranges);
    if (exceptions === null || exceptions > MAX_EXCEPTIONS) {
      positions = [];
      for (let r = 0; r < ranges.length; r += 2) {
        for (let position = ranges[r]!; position < ranges[r + 1]!; position++) if (admits(rowAt[position]!)) positions.push(position);
      }
      total = positions.length;
    }
    const rowsInOrder = (found: number[]) => found.sort((a, b) => a - b);
    if (positions && positions.length <= size) return rowsInOrder(positions.map((p) => rowAt[p]!));
    if (total === 0) return [];
    const dims = this.dims;
    const gathered = this.gathered.view(Int8Array, total * dims);
    const rows8 = new RowCopier(this.data, gathered, dims);
    const positionAt = this.positions.view(Uint32Array, total);
    let at = 0;
    if (positions) {
      forEachRun(positions, (at, first, length) => rows8.copy(first, at, length));
      positionAt.set(positions);
    } else {
      for (let r = 0; r < ranges.length; r += 2) {
        const [start, end] = [ranges[r]!, ranges[r + 1]!];
        rows8.copy(start, at, end - start);
        for (let p = start; p < end; p++) positionAt[at++] = p;
      }
    }
    const k = Math.min(total, size + (positions ? 0 : exceptions!));
    const found = exactNearest(gathered, query, dims, k, 'ip');
    const rows: number[] = [];
    for (let i = 0; i < found.keys.length && rows.length < size; i++) {
      const row = rowAt[positionAt[Number(found.keys[i])]!]!;
      if (positions || admits(row)) rows.push(row);
    }
    return rowsInOrder(rows);
  }
}

/** Positions in flat `[start, end, ...]` ranges. */
function spanOf(ranges: number[]): number {
  let total = 0;
  for (let r = 0; r < ranges.length; r += 2) total += ranges[r + 1]! - ranges[r]!;
  return total;
}

/**
 * Copies rows between int8 arrays that start at their buffer's start: 4 bytes at a time when rows
 * are whole words (no view made per row), else a view and a set per row.
 */
class RowCopier {
  private readonly words: number;
  private readonly source32: Int32Array | null;
  private readonly target32: Int32Array | null;

  constructor(
    private readonly source: Int8Array,
    private readonly target: Int8Array,
    private readonly dims: number,
  ) {
    this.words = dims % 4 === 0 ? dims / 4 : 0;
    this.source32 = this.words ? new Int32Array(source.buffer, 0, source.length >> 2) : null;
    this.target32 = this.words ? new Int32Array(target.buffer, 0, target.length >> 2) : null;
  }

  /** Rows `from..from + count` of the source to rows `to..to + count` of the target. */
  copy(from: number, to: number, count = 1): void {
    // A few rows: word copies beat making a view; more: one native copy.
    if (this.source32 && this.target32 && count < NATIVE_COPY_MIN_ROWS) {
      const end = (from + count) * this.words;
      for (let s = from * this.words, t = to * this.words; s < end; ) this.target32[t++] = this.source32[s++]!;
    } else {
      this.target.set(this.source.subarray(from * this.dims, (from + count) * this.dims), to * this.dims);
    }
  }
}
