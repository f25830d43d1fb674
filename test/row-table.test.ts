// rows.bin: ids find their rows, rows become valid JSON results, and a damaged file is refused.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ResultWriter } from '../index-version/result-writer.js';
import { type ProfileFields, type RowStorage, RowTable } from '../index-version/row-table.js';
import { encodeRowTable, RowTableWriter } from '../index-version/row-table-writer.js';

const awkward: ProfileFields[] = [
  {
    id: 'plain',
    name: 'Ada',
    surname: 'Lovelace',
    attributes: { age: 36, gender: 'female', city: 'London', seeking: { genders: ['male', 'nonbinary'], ageMin: 30, ageMax: 45 } },
  },
  { id: 'with "quotes" and \\ backslash', name: 'Zoë', surname: 'Ñúñez', attributes: { gender: 'nonbinary', seeking: { ageMax: 99 } } },
  { id: '名前', name: '', surname: 'line\nbreak', attributes: { city: '東京' } },
  { id: '🙂 emoji', name: '\u0000control', surname: '</script>', attributes: {} },
];

function writeTable(dir: string, rows: ProfileFields[]): string {
  const file = path.join(dir, 'rows.bin');
  writeFileSync(file, encodeRowTable(rows));
  return file;
}

for (const storage of ['memory', 'file'] as RowStorage[]) {
  t.test(`${storage} storage: every id finds its row, fields round-trip, unknown ids miss`, async (t) => {
    const many: ProfileFields[] = [...awkward];
    for (let i = 0; i < 5_000; i++) many.push({ id: `p${i}`, name: `n${i}`, surname: `s${i}`, attributes: { age: 18 + (i % 80) } });
    const table = RowTable.open(writeTable(t.testdir(), many), storage);
    t.teardown(() => table.close());
    t.equal(table.count, many.length);
    let found = 0;
    many.forEach((fields, row) => {
      if (table.rowOf(fields.id) === row) found++;
    });
    t.equal(found, many.length, 'rowOf(id) is the id’s row for all rows');
    t.same(
      awkward.map((_, row) => table.fields(row)),
      awkward,
    );
    for (const missing of ['', 'p5000', 'plai', 'plainx', 'PLAIN', 'with "quotes"'])
      t.equal(table.rowOf(missing), undefined, `${JSON.stringify(missing)} is not there`);
  });
}

t.test('an empty table opens and finds nothing', async (t) => {
  const table = RowTable.open(writeTable(t.testdir(), []), 'file');
  t.teardown(() => table.close());
  t.equal(table.count, 0);
  t.equal(table.rowOf('anything'), undefined);
});

t.test('results are the stored rows plus distances, as one valid JSON array', async (t) => {
  const table = RowTable.open(writeTable(t.testdir(), awkward), 'file');
  t.teardown(() => table.close());
  const writer = new ResultWriter();
  writer.begin();
  const distances = [0, 1e-7, 0.25, 1.9999998];
  for (const row of awkward.keys()) writer.append(table.rowBytes(row), distances[row]!);
  const parsed = JSON.parse(writer.end().toString()) as unknown[];
  t.same(
    parsed,
    awkward.map((f, row) => ({ _id: f.id, name: f.name, surname: f.surname, distance: distances[row] })),
  );
  writer.begin();
  t.same(JSON.parse(writer.end().toString()), [], 'no rows: an empty array');
  // A result larger than the writer's first buffer grows it.
  writer.begin();
  for (let i = 0; i < 200; i++) writer.append(table.rowBytes(i % awkward.length), i);
  t.equal((JSON.parse(writer.end().toString()) as unknown[]).length, 200);
});

t.test('a damaged or foreign file is refused with ROWS_INVALID', async (t) => {
  const dir = t.testdir();
  const file = writeTable(dir, awkward);
  const bytes = readFileSync(file);
  const cases: [string, Buffer][] = [
    ['truncated', bytes.subarray(0, bytes.length - 7)],
    ['too short for a trailer', bytes.subarray(0, 5)],
    ['not a row table', Buffer.from('[["a","b","c"]]\n')],
    ['extra bytes', Buffer.concat([Buffer.from('x'), bytes])],
  ];
  // A consistent size but a slot that names a row that does not exist.
  // Trailer: magic(8) count slotCount rowBytes attributeBytes.
  const count = bytes.readUInt32LE(bytes.length - 16);
  const slotCount = bytes.readUInt32LE(bytes.length - 12);
  const attributeBytes = bytes.readUInt32LE(bytes.length - 4);
  const slotsAt = bytes.length - 24 - attributeBytes - 4 * slotCount;
  const badSlot = Buffer.from(bytes);
  for (let slot = 0; slot < slotCount; slot++) {
    if (badSlot.readUInt32LE(slotsAt + 4 * slot) !== 0) {
      badSlot.writeUInt32LE(count + 5, slotsAt + 4 * slot);
      break;
    }
  }
  cases.push(['slot out of range', badSlot]);
  // A gender code past the end of its dictionary: a filter would read outside it.
  const badCode = Buffer.from(bytes);
  const genderColumnAt = bytes.length - 24 - attributeBytes + 8 + awkward.length * (4 + 2 + 1);
  badCode[genderColumnAt] = 200;
  cases.push(['attribute code outside its dictionary', badCode]);
  for (const [label, content] of cases) {
    const damaged = path.join(dir, `${label}.bin`);
    writeFileSync(damaged, content);
    t.throws(() => RowTable.open(damaged, 'file'), { name: 'IndexFormatError', code: 'ROWS_INVALID' }, label);
  }
});

t.test('the writer refuses a row over the size limit', async (t) => {
  const writer = new RowTableWriter();
  t.throws(() => writer.add({ id: 'x', name: 'n'.repeat(5000), surname: '' }), RangeError);
  t.equal(writer.rows, 0, 'nothing was added');
});
