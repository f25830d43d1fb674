// A published version: its manifest says what was built and with what, its checksums hold, and
// row i of every file (rows.bin, vectors.f32, the index's key i) is the same profile.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import usearch from 'usearch';
import { buildIndex, DEFAULT_PARAMS } from '../builder/build.js';
import { publishVersion } from '../builder/publish.js';
import { createVectorizer } from '../builder/vectorize.js';
import { attributesOf } from '../index-version/attributes.js';
import { INDEX_FILE, isVersionName, LATEST_FILE, ROWS_FILE, readLatest, VECTORS_FILE, versionDir } from '../index-version/format.js';
import { RowTable } from '../index-version/row-table.js';
import { readVerifiedManifest } from '../index-version/verify.js';
import { silent, sourceWithBadRecords, visibleEntries } from './helpers/builder-fixture.js';
import { FIXTURES } from './helpers/paths.js';

t.test('builds and publishes a verifiable version whose files agree row by row', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const { file, good } = sourceWithBadRecords(dir);

  const manifest = await buildIndex({ source: file, dataDir, logger: silent, threads: 2, batchSize: 64 });

  t.ok(isVersionName(manifest.version));
  t.equal(manifest.count, 200);
  t.equal(manifest.dims, 128);
  t.equal(manifest.metric, 'ip', 'inner product on unit vectors: cosine distance, computed faster');
  t.match(manifest.params, {
    engine: 'usearch',
    metric: 'ip',
    quantization: 'f32',
    connectivity: 16,
    expansionAdd: 128,
    expansionSearch: manifest.calibration!.expansionSearch,
  });
  t.equal(manifest.vectorizer, 'tandem-hash/2');

  const vdir = versionDir(dataDir, manifest.version);
  const verified = await readVerifiedManifest(vdir);
  t.same(verified, manifest, 'checksums hold and the manifest on disk is the one returned');
  t.equal(await readLatest(dataDir), manifest.version, 'LATEST names it');
  t.same(visibleEntries(dataDir).sort(), [LATEST_FILE, manifest.version].sort(), 'no temporaries left');

  // Row i of every file is key i of the index.
  const rows = RowTable.open(path.join(vdir, ROWS_FILE), 'file');
  t.teardown(() => rows.close());
  t.same(
    Array.from({ length: rows.count }, (_, row) => rows.fields(row)),
    good.map((p) => ({ id: p._id, name: p.name, surname: p.surname, attributes: attributesOf(p) })),
  );
  t.ok(
    good.every((p, row) => rows.rowOf(p._id) === row),
    'every id finds its row',
  );
  const raw = readFileSync(path.join(vdir, VECTORS_FILE));
  t.equal(raw.byteLength, 200 * 128 * 4);
  const vectors = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const { vectorize } = createVectorizer();
  const index = new usearch.Index({
    dimensions: 128,
    metric: usearch.MetricKind.Cos,
    quantization: usearch.ScalarKind.F32,
    connectivity: 16,
    expansion_add: 128,
    expansion_search: 64,
    multi: false,
  });
  index.load(path.join(vdir, INDEX_FILE));
  t.equal(index.size(), 200);
  for (const row of [0, 1, 57, 199]) {
    const stored = vectors.subarray(row * 128, (row + 1) * 128);
    t.same(Array.from(stored), Array.from(vectorize(good[row]!)), `vectors.f32 row ${row} is profile ${row}`);
    const found = index.search(stored, 10, 1);
    const at = Array.from(found.keys).indexOf(BigInt(row));
    t.ok(at >= 0 && found.distances[at]! < 1e-4, `searching row ${row}'s vector finds key ${row}`);
  }
});

t.test('a user vectorizer module sets dims and name', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const file = path.join(dir, 'p.jsonl');
  writeFileSync(
    file,
    [
      { _id: 'a', age: 20, interests: ['x'], city: 'Oslo' },
      { _id: 'b', age: 40, interests: ['x', 'y'] },
      { _id: 'c', explode: true },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  const m = await buildIndex({ source: file, dataDir, logger: silent, vectorizerPath: path.join(FIXTURES, 'custom-vectorizer.mjs') });
  t.equal(m.dims, 4);
  t.equal(m.vectorizer, 'custom-test');
  t.equal(m.count, 2);
  t.same(m.skipped.byReason, { vectorizer_error: 1 });
  t.equal(m.files[VECTORS_FILE]!.bytes, 2 * 4 * 4);
});

t.test('publishVersion publishes in-memory data (fixtures for other tests)', async (t) => {
  const dataDir = t.testdir();
  const dims = 4;
  const vectors = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0.9, 0.1, 0, 0]);
  const index = new usearch.Index({
    dimensions: dims,
    metric: usearch.MetricKind.Cos,
    quantization: usearch.ScalarKind.F32,
    connectivity: 16,
    expansion_add: 128,
    expansion_search: 64,
    multi: false,
  });
  index.add(new BigUint64Array([0n, 1n, 2n]), vectors, 1);
  const manifest = await publishVersion({
    dataDir,
    index,
    vectors,
    profiles: [
      { id: 'a', name: 'A', surname: 'Aa' },
      { id: 'b', name: 'B', surname: 'Bb' },
      { id: 'c', name: 'C', surname: 'Cc' },
    ],
    draft: {
      count: 3,
      dims,
      metric: 'cos',
      params: DEFAULT_PARAMS,
      vectorizer: 'fixture',
      source: 'memory',
      buildMs: 0,
      skipped: { total: 0, byReason: {}, samples: [] },
    },
  });
  t.same(await readVerifiedManifest(versionDir(dataDir, manifest.version)), manifest);
  t.equal(await readLatest(dataDir), manifest.version);
  const rows = RowTable.open(path.join(versionDir(dataDir, manifest.version), ROWS_FILE), 'memory');
  t.teardown(() => rows.close());
  t.same(
    [0, 1, 2].map((row) => {
      const { attributes: _, ...shown } = rows.fields(row);
      return shown;
    }),
    [
      { id: 'a', name: 'A', surname: 'Aa' },
      { id: 'b', name: 'B', surname: 'Bb' },
      { id: 'c', name: 'C', surname: 'Cc' },
    ],
  );
});
