// An int8 copy of a version's vectors in this heap, for the filtered exact scan when the float32
// vectors stay in the file: a pread per admitted row costs more than the search it replaces, a
// copy of 128 bytes from memory far less, and rows kept in the order filters select them (city,
// gender, age) are copied in runs. The scan ranks by the int8 dot product, and the rows it
// shortlists are ranked again by their float32 vectors, so results keep full precision.
import { exactNearest } from '../index-version/engine.js';
import { readFullyAt } from '../index-version/read-at.js';

/** Unit vectors' components are within [-1, 1]: this scale uses int8's whole range. */
const SCALE = 127;
const ROWS_PER_READ = 8192;

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
  private constructor(
    /** Int8 vectors in copy order: position p holds row `rowAt[p]`. */
    private readonly data: Int8Array,
    private readonly dims: number,
    private readonly rowAt: Uint32Array,
    private readonly positionOf: Uint32Array,
  ) {}

  /**
   * Reads `count` float32 rows from `fd` in large sequential reads and keeps them as int8, in the
   * order `rowAt` gives (rows that filters select together, side by side: a scan copies runs).
   */
  static fromFile(fd: number, count: number, dims: number, rowAt: Uint32Array = identity(count)): ScanCopy {
    const positionOf = new Uint32Array(count);
    for (let position = 0; position < count; position++) positionOf[rowAt[position]!] = position;
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
    return new ScanCopy(data, dims, rowAt, positionOf);
  }

  get bytes(): number {
    return this.data.byteLength;
  }

  /**
   * The `size` rows of `rows` with the largest int8 dot product with `query`, in ascending row
   * order: their int8 vectors gathered run by run (consecutive positions in one copy), ranked by
   * the engine's exact search.
   */
  nearest(rows: ArrayLike<number>, query: Int8Array, size: number): number[] {
    const dims = this.dims;
    const positions = new Uint32Array(rows.length);
    for (let i = 0; i < rows.length; i++) positions[i] = this.positionOf[rows[i]!]!;
    positions.sort();
    // A buffer of its own: the engine reads a typed array from its buffer's start.
    const gathered = new Int8Array(positions.length * dims);
    const rows8 = new RowCopier(this.data, gathered, dims);
    for (let i = 0; i < positions.length; ) {
      let end = i + 1;
      while (end < positions.length && positions[end] === positions[end - 1]! + 1) end++;
      rows8.copy(positions[i]!, i, end - i);
      i = end;
    }
    const found = exactNearest(gathered, query, dims, Math.min(size, positions.length), 'ip');
    return Array.from(found.keys, (i) => this.rowAt[positions[Number(i)]!]!).sort((a, b) => a - b);
  }
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
    if (this.source32 && this.target32) {
      const end = (from + count) * this.words;
      for (let s = from * this.words, t = to * this.words; s < end; ) this.target32[t++] = this.source32[s++]!;
    } else {
      this.target.set(this.source.subarray(from * this.dims, (from + count) * this.dims), to * this.dims);
    }
  }
}

function identity(count: number): Uint32Array {
  return Uint32Array.from({ length: count }, (_, i) => i);
}
