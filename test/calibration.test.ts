// Each build measures recall on a sample and keeps the smallest search expansion (ef) that reaches
// the target; an ef chosen by the caller is measured once and kept; removed rows do not count.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { buildIndex, DEFAULT_PARAMS } from '../builder/build.js';
import { calibrateExpansion, RECALL_TARGET } from '../builder/calibrate.js';
import { mulberry32 } from '../builder/random.js';
import { createEngineIndex, normalizeInPlace } from '../index-version/engine.js';
import { silent } from './helpers/builder-fixture.js';

t.test('each build calibrates its search expansion from measured recall; a chosen one is kept', async (t) => {
  const dir = t.testdir();
  // Random vectors: harder than the demo's clustered ones, so the smallest ef falls short and the
  // ladder is climbed (on the demo data ef 16 already passes and the climb is never tested).
  const source = path.join(dir, 'profiles.jsonl');
  const rng = mulberry32(11);
  writeFileSync(
    source,
    Array.from({ length: 6_000 }, (_, i) =>
      JSON.stringify({ _id: `r${i}`, name: 'R', surname: 'V', vector: Array.from({ length: 128 }, () => rng() - 0.5) }),
    ).join('\n'),
  );
  // One thread: the graph, and so the recall at each ef, is the same on every run.
  const calibrated = await buildIndex({ source, dataDir: path.join(dir, 'a'), logger: silent, dims: 128, threads: 1 });
  const calibration = calibrated.calibration!;
  const last = calibration.tried[calibration.tried.length - 1]!;
  t.equal(calibrated.params.expansionSearch, calibration.expansionSearch, 'the manifest carries the chosen ef to the children');
  t.equal(last.expansionSearch, calibration.expansionSearch);
  t.ok(last.recall >= RECALL_TARGET, `recall ${last.recall} at ef ${last.expansionSearch}`);
  t.ok(calibration.tried.length >= 2, `the ladder was climbed (${calibration.tried.map((step) => step.expansionSearch).join(', ')})`);
  t.ok(
    calibration.tried.slice(0, -1).every((step) => step.recall < RECALL_TARGET),
    'the smallest ef that reaches the target',
  );
  t.equal(calibration.sample, 256);

  const fixed = await buildIndex({
    source,
    dataDir: path.join(dir, 'b'),
    logger: silent,
    dims: 128,
    threads: 1,
    params: { expansionSearch: 40 },
  });
  t.equal(fixed.params.expansionSearch, 40);
  t.same(
    fixed.calibration!.tried.map((step) => step.expansionSearch),
    [40],
    'only the chosen ef is measured',
  );
});

t.test('rows an incremental build removed are neither sampled nor counted as neighbours', async (t) => {
  const dir = t.testdir();
  const dims = 32;
  const rows = 2000;
  const firstRemoved = 1500;
  const rng = mulberry32(3);
  const vectors = new Float32Array(rows * dims);
  for (let row = 0; row < firstRemoved; row++) {
    for (let d = 0; d < dims; d++) vectors[row * dims + d] = rng() - 0.5;
    normalizeInPlace(vectors.subarray(row * dims, (row + 1) * dims));
  }
  // Each removed row is a copy of a live one: every live row's nearest neighbour if it counted.
  for (let row = firstRemoved; row < rows; row++)
    vectors.copyWithin(row * dims, (row - firstRemoved) * dims, (row - firstRemoved + 1) * dims);
  const params = { ...DEFAULT_PARAMS, expansionSearch: rows };
  const index = createEngineIndex(params, dims);
  index.add(
    BigUint64Array.from({ length: rows }, (_, i) => BigInt(i)),
    vectors,
    1,
  );
  index.remove(BigUint64Array.from({ length: rows - firstRemoved }, (_, i) => BigInt(firstRemoved + i)));
  const indexFile = path.join(dir, 'index.usearch');
  const vectorsFile = path.join(dir, 'vectors.f32');
  index.save(indexFile);
  writeFileSync(vectorsFile, new Uint8Array(vectors.buffer));
  const input = { indexFile, vectorsFile, params, dims, count: rows, threads: 1, fixed: rows };
  const skipping = calibrateExpansion({ ...input, isRemoved: (row) => row >= firstRemoved });
  t.equal(skipping.tried[0]!.recall, 1, 'exact search over the live rows finds every true neighbour');
  const counting = calibrateExpansion(input);
  t.ok(counting.tried[0]!.recall < 0.9, `counting removed rows would understate recall (${counting.tried[0]!.recall})`);
});
