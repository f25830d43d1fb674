// NDJSON as a stream of lines, each bounded: a line longer than `maxLineBytes` is skipped to its
// end and reported, so memory never holds more than one line and one chunk of input.

export type NdjsonLine = { line: number; text: string } | { line: number; tooLong: true };

export async function* ndjsonLines(input: AsyncIterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<NdjsonLine> {
  let line = 0;
  let parts: Buffer[] = [];
  let length = 0;
  let skipping = false;
  const finish = (): NdjsonLine | null => {
    line++;
    const result: NdjsonLine | null = skipping ? { line, tooLong: true } : { line, text: Buffer.concat(parts, length).toString('utf8') };
    parts = [];
    length = 0;
    skipping = false;
    return result;
  };
  for await (const chunk of input) {
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    for (let newline = bytes.indexOf(10); newline !== -1; newline = bytes.indexOf(10)) {
      if (!skipping && length + newline <= maxLineBytes) {
        parts.push(bytes.subarray(0, newline));
        length += newline;
      } else skipping = true;
      const done = finish();
      if (done && ('tooLong' in done || done.text.trim() !== '')) yield done;
      bytes = bytes.subarray(newline + 1);
    }
    if (skipping) continue;
    if (length + bytes.length > maxLineBytes) {
      skipping = true;
      parts = [];
      length = 0;
    } else {
      parts.push(bytes);
      length += bytes.length;
    }
  }
  if (skipping || length > 0) {
    const done = finish();
    if (done && ('tooLong' in done || done.text.trim() !== '')) yield done;
  }
}
