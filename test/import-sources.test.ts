// The readers of an import, in process: which format an input is, NDJSON lines and CSV rows as
// records at their line, the CSV column mapping rule by rule, pickled values as JSON, and the
// input's own failures. The CLI over real files is import-cli.test.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { csvColumns, csvRecord } from '../import/csv-columns.js';
import { csvSource } from '../import/csv-source.js';
import { chooseFormat, sniffFormat } from '../import/formats.js';
import { ImportError } from '../import/import-errors.js';
import { openInput } from '../import/input.js';
import { MAX_LINE_BYTES, ndjsonSource } from '../import/ndjson-source.js';
import { jsonFromPickle } from '../import/pickle-json.js';
import { idOf, type RecordSource, type SourceRecord } from '../import/record-source.js';

async function all(source: RecordSource): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const record of source.records()) out.push(record);
  return out;
}

/** The text in chunks of `size` bytes: every reader must give the same records however it is split. */
function chunks(text: string, size: number): AsyncIterable<Buffer> {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

const brief = (records: SourceRecord[]) =>
  records.map((r) => ('problem' in r ? [r.position, r.id, r.problem.code] : [r.position, r.value]));

t.test('format: --format first, then the extension, then the first bytes; none of them is a clear error', async (t) => {
  const head = Buffer.from('{"_id":"a"}\n');
  t.equal(chooseFormat('x.jsonl', head), 'ndjson');
  t.equal(chooseFormat('x.NDJSON', head), 'ndjson');
  t.equal(chooseFormat('x.csv', head), 'csv');
  t.equal(chooseFormat('x.pkl', head), 'pickle');
  t.equal(chooseFormat('x.pickle', head), 'pickle');
  t.equal(chooseFormat('x.csv', head, 'ndjson'), 'ndjson', '--format wins');
  t.equal(chooseFormat('-', Buffer.from([0x80, 0x04, 0x95])), 'pickle', 'a pickle starts with PROTO, 0x80');
  t.equal(chooseFormat('-', Buffer.from('\uFEFF  {"_id":"a"}')), 'ndjson');
  t.equal(chooseFormat('-', Buffer.from('name,"_id",surname\r\nA,a,B\r\n')), 'csv', 'a header naming _id');
  t.equal(chooseFormat('data.txt', head), 'ndjson', 'an unknown extension is sniffed too');
  t.equal(sniffFormat(Buffer.from('[{"_id":"a"}]')), null, 'a JSON array is none of the three');
  t.equal(sniffFormat(Buffer.alloc(0)), null);
  t.throws(() => chooseFormat('-', Buffer.from('hello')), { code: 'TANDEM_ERR_IMPORT_FORMAT', message: /standard input.*--format/ });
});

t.test('NDJSON: records at their line numbers; bad JSON, a line too long, blank lines; any split of the input', async (t) => {
  const long = JSON.stringify({ _id: 'long', bio: 'x'.repeat(MAX_LINE_BYTES) });
  const text = `\uFEFF{"_id":"a"}\n{oops\n\n   \n${long}\n[1]\n{"_id":"z"}`;
  for (const size of [1, 7, 64 * 1024]) {
    t.same(
      brief(await all(ndjsonSource(chunks(text, size)))),
      [
        [1, { _id: 'a' }],
        [2, null, 'TANDEM_ERR_BAD_JSON'],
        [5, null, 'TANDEM_ERR_LINE_TOO_LONG'],
        [6, [1]],
        [7, { _id: 'z' }],
      ],
      `chunks of ${size}`,
    );
  }
});

t.test('CSV columns: typed fields, lists, vectors, dotted names nest, empty cells are left out', async (t) => {
  const columns = csvColumns([
    '_id',
    'name',
    'surname',
    'age',
    'interests',
    'vector',
    'seeking.genders',
    'seeking.ageMin',
    'seeking.ageMax',
    'city',
    'extra.deep.field',
  ]);
  t.same(csvRecord(columns, ['a', ' Ada ', 'L', ' 36 ', 'maths; poetry;;', '0.5;-1.25; 3e2', 'female; male', '30', '45', '', 'x']), {
    _id: 'a',
    name: ' Ada ',
    surname: 'L',
    age: 36,
    interests: ['maths', 'poetry'],
    vector: [0.5, -1.25, 300],
    seeking: { genders: ['female', 'male'], ageMin: 30, ageMax: 45 },
    extra: { deep: { field: 'x' } },
  });
  t.same(csvRecord(columns, ['b', 'B', 'C', 'old', '', '[1, 2.5]', '', '', '', 'Oslo', ' ']), {
    _id: 'b',
    name: 'B',
    surname: 'C',
    age: 'old',
    vector: [1, 2.5],
    city: 'Oslo',
  });
  t.same(
    csvRecord(columns, ['c', 'C', 'D', '36.5', '', '1;x;;2', '', '', '', '', '']).vector,
    [1, 'x', '', 2],
    'what is no number stays text',
  );
  t.equal(csvRecord(columns, ['c', 'C', 'D', '36.5']).age, 36.5, 'a fraction is a number (which the validator refuses as an age)');
  t.equal(csvRecord(columns, ['d', 'D', 'E', '', '', '[1, 2']).vector, '[1, 2', 'a broken JSON array stays text');
  const proto = csvRecord(csvColumns(['_id', 'name', 'surname', '__proto__', 'constructor']), ['e', 'E', 'F', 'polluted', 'x']);
  t.equal(Object.getPrototypeOf(proto), Object.prototype, 'a __proto__ column is a field, not a prototype');
  t.equal(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, 'polluted');
  t.equal(proto.constructor, 'x', 'a column named like an Object method is text like any other');
});

t.test('CSV header: refused when it cannot name profile fields', async (t) => {
  const refused = (header: string[], message: RegExp) =>
    t.throws(() => csvColumns(header), { code: 'TANDEM_ERR_IMPORT_BAD_HEADER', message }, header.join(','));
  refused(['_id', 'name'], /no surname column/);
  refused(['_id', 'name', 'surname', 'city', 'city'], /"city" twice/);
  refused(['_id', 'name', 'surname', ''], /no name for column 4/);
  refused(['_id', 'name', 'surname', 'seeking', 'seeking.ageMin'], /both "seeking" and "seeking.ageMin"/);
  refused(['_id', 'name', 'surname', 'seeking..ageMin'], /empty part/);
});

t.test('CSV rows: each at the line it starts on; a refused row reported at its line with its id; any split', async (t) => {
  // csv-parse itself counts a CRLF inside quotes as two lines: the line numbers here are ours.
  for (const eol of ['\r\n', '\n']) {
    const text = [
      '\uFEFF_id,name,surname,bio',
      'a,A,B,plain',
      `b,A,B,"two${eol}lines"`,
      '',
      'c,A,B,too,many',
      'd,A,B,"fine"',
      'e,A,B,"open',
    ].join(eol);
    for (const size of [1, 5, 64 * 1024]) {
      t.same(
        brief(await all(csvSource(chunks(`${text}${eol}`, size)))),
        [
          [2, { _id: 'a', name: 'A', surname: 'B', bio: 'plain' }],
          [3, { _id: 'b', name: 'A', surname: 'B', bio: `two${eol}lines` }],
          [6, 'c', 'TANDEM_ERR_BAD_CSV_ROW'],
          [7, { _id: 'd', name: 'A', surname: 'B', bio: 'fine' }],
          [8, null, 'TANDEM_ERR_BAD_CSV_ROW'],
        ],
        `${JSON.stringify(eol)}, chunks of ${size}`,
      );
    }
  }
  t.same(
    brief(await all(csvSource(chunks('_id,name,surname\na,A,B', 3)))),
    [[2, { _id: 'a', name: 'A', surname: 'B' }]],
    'no final newline',
  );
  await t.rejects(all(csvSource(chunks('_id,name\na,b\n', 4))), { code: 'TANDEM_ERR_IMPORT_BAD_HEADER' });
  await t.rejects(all(csvSource(chunks('"_id,name,surname\n', 4))), { code: 'TANDEM_ERR_IMPORT_BAD_HEADER', message: /cannot be read/ });
  t.same(await all(csvSource(chunks('', 4))), [], 'an empty file has no records');
});

t.test('CSV rows: line numbers still right far into a file (the line index drops what it no longer needs)', async (t) => {
  const rows = Array.from({ length: 10_000 }, (_, i) =>
    i === 8000 ? `r${i},A,"two\r\nlines"` : i === 9000 ? `r${i},A,B,extra` : `r${i},A,B`,
  );
  const records = await all(csvSource(chunks(`_id,name,surname\r\n${rows.join('\r\n')}\r\n`, 4096)));
  const at = (id: string) => records.find((r) => ('problem' in r ? r.id : idOf(r.value)) === id)?.position;
  t.equal(at('r0'), 2);
  t.equal(at('r8000'), 8002);
  t.equal(at('r8001'), 8004, 'after a cell of two lines');
  t.equal(at('r9000'), 9003, 'a refused row');
  t.equal(at('r9999'), 10_002);
});

t.test('pickled values as JSON: vectors and sets become arrays; what JSON cannot hold refuses the record by field', async (t) => {
  const converted = jsonFromPickle({
    _id: 'a',
    vector: new Float32Array([0.5, 0.1]),
    weights: new Float64Array([1e-310, 2]),
    tags: new Set(['x', 'y']),
    pair: Object.freeze([1, 'two']),
    nested: { deep: [null, true] },
  });
  t.same(converted, {
    ok: true,
    value: {
      _id: 'a',
      vector: [0.5, Math.fround(0.1)],
      weights: [1e-310, 2],
      tags: ['x', 'y'],
      pair: [1, 'two'],
      nested: { deep: [null, true] },
    },
  });
  const refused = (record: Parameters<typeof jsonFromPickle>[0], code: string, field: string, message: RegExp) =>
    t.match(jsonFromPickle(record), { ok: false, problem: { code, field, message } }, field);
  refused({ big: 2n ** 70n }, 'TANDEM_ERR_BAD_FIELD', 'big', /beyond ±2\^53/);
  refused({ blob: new Uint8Array([1]) }, 'TANDEM_ERR_BAD_FIELD', 'blob', /bytes/);
  refused({ vector: new Float32Array([1, Number.POSITIVE_INFINITY]) }, 'TANDEM_ERR_BAD_VECTOR', 'vector[1]', /Infinity/);
  refused({ vector: [1, Number.NaN] }, 'TANDEM_ERR_BAD_VECTOR', 'vector[1]', /NaN/);
  refused({ extra: { list: [1, Number.NaN] } }, 'TANDEM_ERR_BAD_FIELD', 'extra.list[1]', /NaN/);
  let deep: Parameters<typeof jsonFromPickle>[0] = {};
  for (let i = 0; i < 100; i++) deep = { d: deep };
  t.match(jsonFromPickle(deep), { ok: false, problem: { code: 'TANDEM_ERR_BAD_FIELD', message: /deeper than/ } });
  const proto = jsonFromPickle(JSON.parse('{"__proto__": {"polluted": true}}'));
  t.ok(
    proto.ok && Object.hasOwn(proto.value, '__proto__') && Object.getPrototypeOf(proto.value) === Object.prototype,
    '__proto__ stays a key',
  );
});

t.test('input: a missing file, a folder, and a file are told apart before any reading', async (t) => {
  const dir = t.testdir();
  const err = await openInput(path.join(dir, 'nope.jsonl')).catch((e: unknown) => e);
  t.type(err, ImportError);
  t.match(err, { code: 'TANDEM_ERR_IMPORT_UNREADABLE', message: /nope\.jsonl.*ENOENT/ });
  mkdirSync(path.join(dir, 'folder'));
  await t.rejects(openInput(path.join(dir, 'folder')), { code: 'TANDEM_ERR_IMPORT_UNREADABLE', message: /not a regular file/ });
  writeFileSync(path.join(dir, 'ok.jsonl'), '{"_id":"a"}\n');
  const input = await openInput(path.join(dir, 'ok.jsonl'));
  t.equal(input.totalBytes, 12);
  t.equal(input.head.toString(), '{"_id":"a"}\n');
  const read: Buffer[] = [];
  for await (const chunk of input.chunks()) read.push(chunk);
  t.equal(Buffer.concat(read).toString(), '{"_id":"a"}\n', 'the head is not read twice');
  t.equal(input.bytesRead, 12);
  const fromStdin = await openInput('-', Readable.from([Buffer.from('ab'), Buffer.from('c')]));
  t.equal(fromStdin.totalBytes, null);
  t.equal(fromStdin.head.toString(), 'ab');
});
