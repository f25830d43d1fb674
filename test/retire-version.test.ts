// Retention deletes a version only when nobody uses it: a version a process still maps (an
// answerer's viewed index) or holds open stays whole under its name, for a restart or a failover.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { DEFAULT_PARAMS } from '../builder/build.js';
import { fileKey, inUse, retireVersion } from '../builder/retire-version.js';
import { createEngineIndex } from '../index-version/engine.js';
import { FIXTURES } from './helpers/paths.js';
import { spawnNode } from './helpers/spawn.js';
import { waitFor } from './helpers/wait.js';

const DIMS = 8;

function versionWithIndex(root: string, name: string): { dir: string; index: string } {
  const dir = path.join(root, name);
  mkdirSync(dir);
  const index = createEngineIndex(DEFAULT_PARAMS, DIMS);
  const vectors = new Float32Array(200 * DIMS).map((_, i) => Math.sin(i));
  index.add(
    BigUint64Array.from({ length: 200 }, (_, i) => BigInt(i)),
    vectors,
  );
  index.save(path.join(dir, 'index.usearch'));
  writeFileSync(path.join(dir, 'vectors.f32'), Buffer.alloc(64 * 1024, 1));
  return { dir, index: path.join(dir, 'index.usearch') };
}

t.test('a version nobody uses is removed', async (t) => {
  const root = t.testdir();
  const { dir } = versionWithIndex(root, 'v1');
  t.equal(await retireVersion(dir, 'v1.tmp-test'), 'deleted');
  t.notOk(existsSync(dir), 'the version is gone');
  t.notOk(existsSync(path.join(root, 'v1.tmp-test')), 'and so is its tombstone');
});

t.test('a version another process maps is kept whole, and that process keeps working', async (t) => {
  const root = t.testdir();
  const { dir, index } = versionWithIndex(root, 'v2');
  // The viewer maps the index (usearch view()) and answers a search for every line on stdin.
  const viewer = await spawnNode(t, path.join(FIXTURES, 'index-viewer.mjs'), [index, String(DIMS)], { stdin: 'pipe' });
  await waitFor('the viewer to map the index', () => viewer.stdout().includes('viewing'), 10_000);

  t.equal(await retireVersion(dir, 'v2.tmp-test'), 'in-use', 'a mapped version is not deleted');
  t.ok(existsSync(index), 'the version keeps its name and its files (a restart or a failover may need it)');
  t.notOk(existsSync(path.join(root, 'v2.tmp-test')), 'no tombstone is left');
  viewer.child.stdin!.write('search\n');
  await waitFor('the viewer to answer after the delete', () => viewer.stdout().includes('found 3'), 10_000);
  t.pass('the process that maps it still searches it');
  viewer.child.stdin!.end();
  viewer.child.kill('SIGTERM');
  await waitFor('the viewer to exit', viewer.exited, 10_000);
});

t.test('inUse sees a file held open by another process', async (t) => {
  const root = t.testdir();
  const file = path.join(root, 'held');
  writeFileSync(file, 'x');
  const holder = await spawnNode(t, path.join(FIXTURES, 'hold-open.mjs'), [file]);
  await waitFor('the holder to open the file', () => holder.stdout().includes('open'), 10_000);
  const { dev, ino } = statSync(file);
  const key = new Set([fileKey(dev, ino)]);
  t.ok(inUse(key), 'held open: in use');
  holder.child.kill('SIGKILL');
  await waitFor('the holder to exit', holder.exited, 10_000);
  t.notOk(inUse(key), 'after the holder is gone: not in use');
});
