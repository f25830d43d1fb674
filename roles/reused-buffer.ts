// A per-process scratch buffer for a query's gathered vectors: a fresh multi-megabyte array per
// query costs more in page faults and zeroing than the scan that reads it (BENCHMARKS.md section 7).
// Queries run one at a time in a child, so one buffer serves them all; a view of it is valid only
// until the next call.

/** Larger needs get a buffer of their own, so one wide scan does not pin its size for good. */
const KEPT_BYTES = 32 * 1024 * 1024;

type ViewOf<T> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number };

export class ReusedBuffer {
  private buffer = new ArrayBuffer(0);

  /** A view of `length` elements at the buffer's start (the engine reads a view from its buffer's start). */
  view<T>(type: ViewOf<T>, length: number): T {
    const bytes = length * type.BYTES_PER_ELEMENT;
    if (bytes > KEPT_BYTES) return new type(new ArrayBuffer(bytes), 0, length);
    if (this.buffer.byteLength < bytes) this.buffer = new ArrayBuffer(Math.min(KEPT_BYTES, Math.max(bytes, this.buffer.byteLength * 2)));
    return new type(this.buffer, 0, length);
  }
}
