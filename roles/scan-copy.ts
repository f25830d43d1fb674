// An int8 copy of a version's vectors in this heap, for the filtered exact scan when the float32
// vectors stay in the file: a pread per admitted row costs more than the search it replaces, a
// copy of 128 bytes from memory far less. The scan ranks by the int8 dot product, and the rows it
// shortlists are ranked again by their float32 vectors, so results keep full precision.
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
    private readonly data: Int8Array,
    private readonly dims: number,
  ) {}

  /** Reads `count` float32 rows from `fd` in large sequential reads and keeps them as int8. */
  static fromFile(fd: number, count: number, dims: number): ScanCopy {
    const data = new Int8Array(count * dims);
    const chunk = new Float32Array(ROWS_PER_READ * dims);
    for (let first = 0; first < count; first += ROWS_PER_READ) {
      const rows = Math.min(ROWS_PER_READ, count - first);
      const floats = chunk.subarray(0, rows * dims);
      readFullyAt(fd, floats, first * dims * Float32Array.BYTES_PER_ELEMENT);
      quantizeInto(floats, data.subarray(first * dims, (first + rows) * dims));
    }
    return new ScanCopy(data, dims);
  }

  get bytes(): number {
    return this.data.byteLength;
  }

  /**
   * The `size` rows of `rows` with the largest int8 dot product with `query`, in ascending row
   * order. Computed here rather than by gathering rows for the engine: the copy per row costs
   * more than the 128 multiply-adds.
   */
  nearest(rows: ArrayLike<number>, query: Int8Array, size: number): number[] {
    const dims = this.dims;
    const data = this.data;
    const best = new TopScores(size);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      let at = row * dims;
      let dot = 0;
      for (let d = 0; d < dims; d++) dot += data[at++]! * query[d]!;
      best.offer(dot, row);
    }
    return best.rows().sort((a, b) => a - b);
  }
}

/** The `size` highest scores seen: a min-heap whose root is the score to beat. */
class TopScores {
  private readonly scores: Int32Array;
  private readonly rowsHeld: Int32Array;
  private held = 0;

  constructor(private readonly size: number) {
    this.scores = new Int32Array(size);
    this.rowsHeld = new Int32Array(size);
  }

  offer(score: number, row: number): void {
    if (this.held < this.size) {
      let at = this.held++;
      while (at > 0) {
        const parent = (at - 1) >> 1;
        if (this.scores[parent]! <= score) break;
        this.scores[at] = this.scores[parent]!;
        this.rowsHeld[at] = this.rowsHeld[parent]!;
        at = parent;
      }
      this.scores[at] = score;
      this.rowsHeld[at] = row;
      return;
    }
    if (score <= this.scores[0]!) return;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= this.size) break;
      const right = left + 1;
      const child = right < this.size && this.scores[right]! < this.scores[left]! ? right : left;
      if (this.scores[child]! >= score) break;
      this.scores[at] = this.scores[child]!;
      this.rowsHeld[at] = this.rowsHeld[child]!;
      at = child;
    }
    this.scores[at] = score;
    this.rowsHeld[at] = row;
  }

  rows(): number[] {
    return Array.from(this.rowsHeld.subarray(0, this.held));
  }
}
