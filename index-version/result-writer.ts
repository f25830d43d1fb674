// The answer role turns stored row bytes (row-table.ts) into a JSON array per query without
// re-encoding them: the one place those bytes are assembled, apart from the table that holds them.
/** Builds one JSON array of result objects from stored row bytes, growing a buffer as needed. */
export class ResultWriter {
  private buffer: Buffer = Buffer.allocUnsafe(2048);
  private length = 0;

  begin(): void {
    this.length = 0;
    this.put(0x5b);
  }

  append(row: Buffer, distance: number): void {
    if (this.length > 1) this.put(0x2c);
    // String(x) is JSON's number syntax for every finite x; a distance is never NaN or infinite.
    const number = String(distance);
    this.reserve(row.length + number.length + 1);
    row.copy(this.buffer, this.length);
    this.length += row.length;
    this.length += this.buffer.write(number, this.length, 'latin1');
    this.buffer[this.length++] = 0x7d;
  }

  /** The finished array, copied out (the writer's buffer is reused). */
  end(): Buffer {
    this.put(0x5d);
    return Buffer.from(this.buffer.subarray(0, this.length));
  }

  private put(byte: number): void {
    this.reserve(1);
    this.buffer[this.length++] = byte;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(bigger, 0, 0, this.length);
    this.buffer = bigger;
  }
}
