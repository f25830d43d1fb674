// A build from the store after a small change starts from the latest version (copy, remove the
// changed rows, add them anew) and answers exactly as a build from scratch of the same profiles;
// a large change builds from scratch.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { buildIndex } from '../builder/build.js';
import { mulberry32 } from '../builder/random.js';
import { type Manifest, rowsOf, versionDir } from '../index-version/format.js';
import type { Profile } from '../profiles/schema.js';
import { HeldIndex } from '../roles/held-index.js';
import { ProfileStore } from '../store/profile-store.js';
import { silent } from './helpers/builder-fixture.js';

const COUNT = 6000;
const DIMS = 128;
const N = 10;
const rng = mulberry32(17);

// Random vectors: no two profiles tie on distance, so "the same results" means the same list.
function randomVector(): number[] {
  return Array.from({ length: DIMS }, () => rng() - 0.5);
}

function profile(id: string, name = 'Ann'): Profile {
  return { _id: id, name, surname: 'Lee', vector: randomVector() } as Profile;
}

function results(held: HeldIndex, id: string, n = N): { _id: string; distance: number }[] | string {
  const answer = held.recommend(id, n);
  return answer.ok ? (JSON.parse(answer.body.toString()) as { _id: string; distance: number }[]) : answer.code;
}

/** Both versions know the same ids and recommend the same profiles, in order, at the same distances. */
function expectSameAnswers(t: Test, a: HeldIndex, b: HeldIndex, ids: string[], n = N): void {
  let compared = 0;
  let differing = 0;
  for (const id of ids) {
    const left = results(a, id, n);
    const right = results(b, id, n);
    if (typeof left === 'string' || typeof right === 'string') {
      if (left !== right) t.fail(`${id}: ${JSON.stringify(left)} against ${JSON.stringify(right)}`);
      continue;
    }
    const same =
      left.length === right.length && left.every((r, i) => r._id === right[i]!._id && Math.abs(r.distance - right[i]!.distance) <= 1e-6);
    if (!same) differing++;
    compared++;
  }
  t.equal(differing, 0, `${compared} recommendations compared: the same profiles in the same order at the same distances`);
  t.ok(compared >= ids.length / 2, 'most ids are known');
}

t.test('an incremental build answers as a build from scratch of the same profiles', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-incremental-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const storePath = path.join(dir, 'profiles.db');
  const store = ProfileStore.open(storePath);
  t.teardown(() => store.close());
  store.putMany(Array.from({ length: COUNT }, (_, i) => profile(`p${i}`)));
  // Exact search on both sides (ef over the count): the comparison is of the profiles each holds.
  const build = (dataDir: string, incrementalMaxFraction?: number) =>
    buildIndex({
      source: { kind: 'store', path: storePath },
      dataDir,
      logger: silent,
      threads: 1,
      params: { expansionSearch: COUNT + 500 },
      incrementalMaxFraction,
    });
  const dataDir = path.join(dir, 'data');
  const first = await build(dataDir);
  t.notOk(first.incremental, 'nothing to start from: the first build is from scratch');

  const replaced = Array.from({ length: 100 }, (_, i) => `p${i * 7}`);
  const deleted = Array.from({ length: 100 }, (_, i) => `p${i * 7 + 3}`);
  const added = Array.from({ length: 100 }, (_, i) => `new${i}`);
  for (const id of replaced) store.put(profile(id, 'Changed'));
  for (const id of deleted) store.delete(id);
  for (const id of added) store.put(profile(id, 'New'));
  store.put(profile('p5000', 'Twice'));
  store.put(profile('p5000', 'Twice'));
  store.put(profile('passing'));
  store.delete('passing');
  store.delete('p1');
  store.put(profile('p1', 'Back'));
  const changedIds = [...replaced, ...deleted, ...added, 'p5000', 'passing', 'p1'];

  const incremental = await build(dataDir);
  t.ok(incremental.incremental, 'a small change is built from the latest version');
  t.match(incremental.incremental, { from: first.version, fromSeq: first.storeSeq, changes: 303, added: 202, removed: 202 });
  t.equal(incremental.storeSeq, store.currentSeq());
  t.equal(incremental.count, store.count());
  t.equal(rowsOf(incremental), COUNT + 202, 'removed rows keep their row numbers, added ones come after');

  const fromScratch = await build(path.join(dir, 'scratch'), 0);
  t.notOk(fromScratch.incremental, 'fraction 0: from scratch');
  t.equal(fromScratch.count, incremental.count);

  const open = (manifest: Manifest, root: string) => HeldIndex.open(versionDir(root, manifest.version), 'view');
  const a = await open(incremental, dataDir);
  const b = await open(fromScratch, path.join(dir, 'scratch'));
  t.teardown(() => {
    a.close();
    b.close();
  });
  t.equal(a.count, b.count);
  const sampled = [...changedIds, ...Array.from({ length: 300 }, (_, i) => `p${(i * 19) % COUNT}`)];
  expectSameAnswers(t, a, b, sampled);
  for (const id of [...deleted, 'passing']) t.equal(results(a, id), 'UNKNOWN_ID', `${id} deleted: unknown`);
  const everyResult = sampled.flatMap((id) => {
    const found = results(a, id);
    return typeof found === 'string' ? [] : found.map((r) => r._id);
  });
  const deletedSet = new Set([...deleted, 'passing']);
  t.notOk(
    everyResult.some((id) => deletedSet.has(id)),
    'no deleted profile in any result',
  );
  t.equal(results(a, 'p1').length, N, 'deleted then written again: back');
  const changedRow = a.rowOf('p0')!;
  t.equal(a.rows.fields(changedRow).name, 'Changed', 'a replaced profile answers with its new row');
});

t.test('a large change, or one from another source, builds from scratch', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-incremental-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const storePath = path.join(dir, 'profiles.db');
  const store = ProfileStore.open(storePath);
  t.teardown(() => store.close());
  store.putMany(Array.from({ length: 1000 }, (_, i) => profile(`p${i}`)));
  const dataDir = path.join(dir, 'data');
  const build = () => buildIndex({ source: { kind: 'store', path: storePath }, dataDir, logger: silent, threads: 1 });
  await build();
  for (let i = 0; i < 101; i++) store.put(profile(`p${i}`, 'Changed'));
  t.notOk((await build()).incremental, '101 of 1000 changed: over the default 0.1, from scratch');
  for (let i = 0; i < 100; i++) store.put(profile(`p${i}`, 'Again'));
  const small = await build();
  t.equal(small.incremental?.changes, 100, '100 of 1000: incremental');
  const scratch = await buildIndex({
    source: { kind: 'store', path: storePath },
    dataDir: path.join(dir, 'scratch'),
    logger: silent,
    threads: 1,
  });
  const a = await HeldIndex.open(versionDir(dataDir, small.version), 'view');
  const b = await HeldIndex.open(versionDir(path.join(dir, 'scratch'), scratch.version), 'view');
  // 1000 profiles: the full-scan path, which sees the removed rows the graph does not.
  expectSameAnswers(
    t,
    a,
    b,
    Array.from({ length: 1000 }, (_, i) => `p${i}`),
  );
  // Nearly all of them: the removed rows (far from everything) would be in reach of a full scan.
  expectSameAnswers(t, a, b, ['p500', 'p999', 'p0'], 990);
  a.close();
  b.close();
  for (let i = 0; i < 100; i++) store.put(profile(`p${i + 100}`, 'Again'));
  const piledUp = await build();
  t.equal(piledUp.incremental?.removed, 100, 'removed rows pile up');
  for (let i = 0; i < 100; i++) store.put(profile(`p${i + 200}`, 'Again'));
  t.notOk((await build()).incremental, 'over 0.2 of the rows removed: from scratch, which clears them');

  const otherData = path.join(dir, 'other');
  const withOtherSettings = await buildIndex({ source: { kind: 'store', path: storePath }, dataDir: otherData, logger: silent });
  store.put(profile('p1', 'Once more'));
  const differentGraph = await buildIndex({
    source: { kind: 'store', path: storePath },
    dataDir: otherData,
    logger: silent,
    params: { connectivity: withOtherSettings.params.connectivity * 2 },
  });
  t.notOk(differentGraph.incremental, 'other graph settings: from scratch');
});
