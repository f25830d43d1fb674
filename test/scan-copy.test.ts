// The int8 copy a filtered scan ranks by when the float32 vectors stay in the file: its shortlist
// holds the rows with the largest int8 dot products, and a scan through it finds the same nearest
// rows as a scan of the float32 vectors.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { mulberry32 } from '../builder/random.js';
import { normalizeInPlace } from '../index-version/engine.js';
import { exactScan, type SearchableRows } from '../roles/filtered-search.js';
import { quantizeInto, ScanCopy } from '../roles/scan-copy.js';

const ROWS = 3_000;
const DIMS = 64;

t.test('int8 shortlist and the scan through it', async (t) => {
  const random = mulberry32(11);
  const vectors = new Float32Array(ROWS * DIMS);
  for (let row = 0; row < ROWS; row++) {
    const v = vectors.subarray(row * DIMS, (row + 1) * DIMS);
    for (let d = 0; d < DIMS; d++) v[d] = random() * 2 - 1;
    normalizeInPlace(v);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-scan-copy-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'vectors.f32');
  writeFileSync(file, Buffer.from(vectors.buffer));
  const fd = openSync(file, 'r');
  t.teardown(() => closeSync(fd));
  // Kept in an order other than the rows' (as the child keeps it, clustered by attributes).
  const order = Uint32Array.from({ length: ROWS }, (_, i) => (i * 7) % ROWS);
  const copy = ScanCopy.fromFile(fd, ROWS, DIMS, { rowAt: order, ranges: () => [0, ROWS] });
  t.equal(copy.bytes, ROWS * DIMS, 'one byte per component');

  const query = normalizeInPlace(Float32Array.from({ length: DIMS }, () => random() * 2 - 1));
  const q8 = quantizeInto(query, new Int8Array(DIMS));
  const everyOther = Array.from({ length: ROWS / 2 }, (_, i) => i * 2);
  const shortlist = copy.nearest(null, (row) => row % 2 === 0, q8, 25);
  const dot8 = (row: number) => {
    const r8 = quantizeInto(vectors.subarray(row * DIMS, (row + 1) * DIMS), new Int8Array(DIMS));
    return r8.reduce((sum, x, d) => sum + x * q8[d]!, 0);
  };
  const brute = [...everyOther].sort((a, b) => dot8(b) - dot8(a) || a - b);
  const cut = dot8(brute[24]!);
  t.equal(shortlist.length, 25, 'the shortlist has the size asked');
  t.ok(
    shortlist.every((row) => row % 2 === 0 && dot8(row) >= cut),
    'every shortlisted row is a candidate among the 25 largest int8 dot products',
  );
  t.same(
    shortlist,
    [...shortlist].sort((a, b) => a - b),
    'in ascending row order',
  );

  // Whole ranges ranked untested, then the test on a few more: the same rows as testing each.
  const everyRow = Array.from({ length: ROWS }, (_, row) => row).sort((a, b) => dot8(b) - dot8(a) || a - b);
  const rejected = new Set(everyRow.slice(0, 3));
  const notRejected = (row: number) => !rejected.has(row);
  const untested = copy.nearest(null, notRejected, q8, 25, rejected.size);
  t.same(untested, copy.nearest(null, notRejected, q8, 25, null), 'ranking whole ranges with 3 exceptions = testing every row');
  t.equal(untested.length, 25, 'still 25 rows, none of them rejected');
  t.notOk(
    untested.some((row) => rejected.has(row)),
    'the rejected rows (the 3 nearest) are left out',
  );

  // The gather buffer is reused: a narrow scan right after a wide one sees only its own rows.
  const few = new Set(everyOther.slice(0, 40));
  const narrow = copy.nearest(null, (row) => few.has(row), q8, 25);
  const bruteFew = [...few].sort((a, b) => dot8(b) - dot8(a) || a - b).slice(0, 25);
  t.same(
    narrow,
    [...bruteFew].sort((a, b) => a - b),
    'after a wide scan, a narrow one ranks only its own 40 rows',
  );

  const searchable = (scanCopy: ScanCopy | null): SearchableRows => ({
    count: ROWS,
    liveCount: ROWS,
    dims: DIMS,
    metric: 'ip',
    vectorsInHeap: false,
    isRemoved: () => false,
    graphSearch: () => ({ keys: [], distances: [] }),
    vectorsInto: (rows, target) => {
      for (let i = 0; i < rows.length; i++) target.set(vectors.subarray(rows[i]! * DIMS, (rows[i]! + 1) * DIMS), i * DIMS);
    },
    scanCopy,
  });
  const admits = (row: number) => row % 3 !== 0;
  const plain = exactScan(searchable(null), query, 10, admits);
  const viaCopy = exactScan(searchable(copy), query, 10, admits);
  t.same(Array.from(viaCopy.keys, Number), Array.from(plain.keys, Number), 'the same 10 nearest rows, in the same order');
  t.same(Array.from(viaCopy.distances), Array.from(plain.distances), 'with their float32 distances');
});
