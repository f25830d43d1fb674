// Line numbers from byte offsets, for a reader whose parser counts lines its own way (csv-parse
// counts a CRLF inside a quoted cell as two): fed the input as it passes, asked in offset order,
// it keeps only the newlines not yet asked past.
export class LineIndex {
  #newlines: number[] = [];
  #next = 0;
  #linesBefore = 0;
  #fed = 0;
  #asked = 0;

  /** The input's next bytes, in order. */
  feed(chunk: Uint8Array): void {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.#newlines.push(this.#fed + i);
    this.#fed += chunk.length;
  }

  /** The 1-based line of the byte at `offset`; offsets must not go back. */
  lineAt(offset: number): number {
    if (offset < this.#asked) throw new RangeError(`offset ${offset} is before ${this.#asked}, asked already`);
    this.#asked = offset;
    while (this.#next < this.#newlines.length && this.#newlines[this.#next]! < offset) {
      this.#next++;
      this.#linesBefore++;
    }
    // Drop what no later question can need, now and then rather than on every call.
    if (this.#next > 4096) {
      this.#newlines = this.#newlines.slice(this.#next);
      this.#next = 0;
    }
    return this.#linesBefore + 1;
  }
}
