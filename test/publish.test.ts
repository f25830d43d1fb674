// Publishing is atomic and names only grow: successive and concurrent builds get distinct, newer
// names, an aborted build leaves nothing, and retention keeps the newest, LATEST's target and fresh temporaries.
import { closeSync, mkdirSync, openSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { buildIndex } from '../builder/build.js';
import { advanceLatest, formatVersionName, newVersionName, parseVersionName, writeLatest } from '../builder/publish.js';
import { pruneVersions, STALE_TMP_MS } from '../builder/retention.js';
import { indexesDir, isVersionName, LATEST_FILE, listVersions, readLatest, VECTORS_FILE, versionDir } from '../index-version/format.js';
import { readVerifiedManifest } from '../index-version/verify.js';
import { silent, sourceWithBadRecords, visibleEntries } from './helpers/builder-fixture.js';

t.test('successive builds get newer names; retention keeps the newest', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const { file } = sourceWithBadRecords(dir);
  const published: string[] = [];
  for (let i = 0; i < 4; i++) {
    published.push((await buildIndex({ source: file, dataDir, logger: silent, threads: 1, keep: 2 })).version);
  }
  for (let i = 1; i < published.length; i++) t.ok(published[i]! > published[i - 1]!, `${published[i]} > ${published[i - 1]}`);
  t.same(await listVersions(dataDir), published.slice(-2));
  t.equal(await readLatest(dataDir), published.at(-1));
  t.same(
    visibleEntries(dataDir).filter((n) => n.includes('.tmp-')),
    [],
  );
});

t.test('concurrent publishes never share a name', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const { file } = sourceWithBadRecords(dir);
  const results = await Promise.all([0, 1, 2].map(() => buildIndex({ source: file, dataDir, logger: silent, threads: 1 })));
  const names = results.map((m) => m.version);
  t.equal(new Set(names).size, 3);
  t.same(await listVersions(dataDir), [...names].sort());
  t.equal(await readLatest(dataDir), [...names].sort().at(-1), 'LATEST ends at the newest');
  for (const name of names) await readVerifiedManifest(versionDir(dataDir, name));
});

t.test('an aborted build publishes nothing and leaves nothing', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const { file } = sourceWithBadRecords(dir);
  const controller = new AbortController();
  controller.abort();
  await t.rejects(buildIndex({ source: file, dataDir, logger: silent, batchSize: 50, signal: controller.signal }), {
    code: 'TANDEM_ERR_BUILD_ABORTED',
  });
  t.same(visibleEntries(dataDir), []);
});

t.test('version names', async (t) => {
  const now = new Date(Date.UTC(2026, 10, 23, 19, 48, 0, 123));
  t.equal(formatVersionName(now), 'v20261123T194800123Z');
  t.equal(parseVersionName('v20261123T194800123Z').getTime(), now.getTime());
  t.throws(() => parseVersionName('v2026'), { code: 'TANDEM_ERR_INVALID_VERSION' });
  t.equal(newVersionName([], now), 'v20261123T194800123Z');
  t.equal(newVersionName(['v20261123T194800000Z', 'junk', 'v20261123T194800123Z.tmp-1-ab'], now), 'v20261123T194800123Z');
  t.equal(newVersionName(['v20261123T194800123Z'], now), 'v20261123T194800124Z', 'same millisecond: bumped');
  t.equal(
    newVersionName(['v20261123T195900999Z', 'v20261123T194800123Z'], now),
    'v20261123T195901000Z',
    'clock behind the newest: newest + 1 ms',
  );
  t.equal(newVersionName(['v20261231T235959999Z'], now), 'v20270101T000000000Z', 'carries across a year');
  // Monotonic under a frozen clock.
  const names: string[] = [];
  for (let i = 0; i < 50; i++) names.push(newVersionName(names, now));
  t.same([...names].sort(), names);
  t.equal(new Set(names).size, 50);
  t.ok(names.every(isVersionName));
});

t.test('retention: keeps the newest, LATEST target and fresh temporaries', async (t) => {
  const dataDir = t.testdir();
  const root = indexesDir(dataDir);
  const versions = ['v20260101T000000000Z', 'v20260102T000000000Z', 'v20260103T000000000Z', 'v20260104T000000000Z'];
  for (const v of versions) mkdirSync(path.join(root, v), { recursive: true });
  const staleTmp = 'v20260105T000000000Z.tmp-1-aaaa';
  const freshTmp = 'v20260105T000000000Z.tmp-2-bbbb';
  mkdirSync(path.join(root, staleTmp));
  writeFileSync(path.join(root, staleTmp, VECTORS_FILE), 'x');
  mkdirSync(path.join(root, freshTmp));
  writeFileSync(path.join(root, 'LATEST.tmp-3-cccc'), 'v');
  const old = (Date.now() - STALE_TMP_MS - 60_000) / 1000;
  for (const p of [path.join(root, staleTmp), path.join(root, staleTmp, VECTORS_FILE), path.join(root, 'LATEST.tmp-3-cccc')])
    utimesSync(p, old, old);
  t.ok(await writeLatest(dataDir, versions[0]!));
  t.notOk(await writeLatest(dataDir, 'v20250101T000000000Z'), 'LATEST never moves back');

  // A version some process still holds (here: this one) is kept, and reported.
  writeFileSync(path.join(root, versions[1]!, VECTORS_FILE), 'held');
  const held = openSync(path.join(root, versions[1]!, VECTORS_FILE), 'r');
  const result = await pruneVersions(dataDir, 1);
  closeSync(held);
  t.same(result.deletedVersions, [versions[2]]);
  t.same(result.keptInUse, [versions[1]], 'the held version is kept, and named');
  t.same(result.deletedTemporaries.sort(), ['LATEST.tmp-3-cccc', staleTmp].sort());
  t.same(readdirSync(root).sort(), [LATEST_FILE, versions[0], versions[1], versions[3], freshTmp].sort());
  t.same((await pruneVersions(dataDir, 1)).deletedVersions, [versions[1]], 'once let go, the next pass deletes it');
  await t.rejects(pruneVersions(dataDir, 0), RangeError);
  t.equal(await advanceLatest(dataDir), versions[3], 'advanceLatest moves LATEST to the newest complete version');
  t.equal(await readLatest(dataDir), versions[3]);
});
