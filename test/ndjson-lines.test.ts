// NDJSON lines from any chunking: split anywhere, bounded length, blank lines and a last line
// without a newline.
import t from 'tap';
import { type NdjsonLine, ndjsonLines } from '../import/ndjson-lines.js';

async function linesOf(chunks: string[], max = 16): Promise<NdjsonLine[]> {
  const out: NdjsonLine[] = [];
  for await (const line of ndjsonLines(
    (async function* () {
      for (const chunk of chunks) yield Buffer.from(chunk);
    })(),
    max,
  ))
    out.push(line);
  return out;
}

t.test('the same lines however the input is split', async (t) => {
  const text = '{"a":1}\n\n{"b":2}\r\n  \n{"c":3}';
  const expected = [
    { line: 1, text: '{"a":1}' },
    { line: 3, text: '{"b":2}\r' },
    { line: 5, text: '{"c":3}' },
  ];
  t.same(await linesOf([text]), expected, 'one chunk');
  t.same(await linesOf(text.split('')), expected, 'a byte at a time');
  for (let cut = 1; cut < text.length; cut++) t.same(await linesOf([text.slice(0, cut), text.slice(cut)]), expected, `split at ${cut}`);
});

t.test('a line over the bound is reported by number, skipped to its end, and the next line is read', async (t) => {
  const long = 'x'.repeat(40);
  const expected = [
    { line: 1, tooLong: true },
    { line: 2, text: '{"ok":1}' },
  ];
  t.same(await linesOf([`${long}\n{"ok":1}\n`]), expected);
  t.same(await linesOf([long.slice(0, 10), long.slice(10), '\n{"ok":1}']), expected, 'across chunks');
  t.same(
    await linesOf(['{"ok":1}\n', long]),
    [
      { line: 1, text: '{"ok":1}' },
      { line: 2, tooLong: true },
    ],
    'the last line too',
  );
  t.same(await linesOf(['x'.repeat(16), '\n']), [{ line: 1, text: 'x'.repeat(16) }], 'exactly the bound is fine');
});
