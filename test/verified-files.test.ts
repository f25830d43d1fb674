// A version's files are hashed once: the second fetch of an unchanged file reuses the hash, and
// any change to the file (rewrite, truncation, replacement) makes it hashed again.
import { appendFileSync, readdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { type HashFiles, hashFilesHere } from '../index-version/verify.js';
import { rememberVerified } from '../roles/fetch/verified-files.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

/** hashFilesHere, counting the files it was asked to read. */
function countingHasher(): HashFiles & { read: string[] } {
  const hasher = async (files: string[]) => {
    hasher.read.push(...files);
    return hashFilesHere(files);
  };
  hasher.read = [] as string[];
  return hasher;
}

/** Three files of a version, under `root`/v1. */
function version(root: string): string[] {
  const files = ['index.usearch', 'vectors.f32', 'rows.bin'].map((name) => path.join(root, 'v1', name));
  for (const [i, file] of files.entries()) writeFileSync(file, Buffer.alloc(1000 + i, i + 1));
  return files;
}

t.test('an unchanged file is not read again; its hash is the same', async (t) => {
  const root = t.testdir({ v1: {} });
  const files = version(root);
  const inner = countingHasher();
  const verified = rememberVerified(inner, path.join(root, 'verified'));
  const first = await verified(files);
  t.same(first, await hashFilesHere(files), 'first fetch: real hashes');
  t.same(verified.lastStats, { hashed: 3, remembered: 0 });
  // The other child: its own wrapper over the same folder.
  const other = countingHasher();
  const second = await rememberVerified(other, path.join(root, 'verified'))(files);
  t.same(second, first, 'second fetch: the same hashes');
  t.same(other.read, [], 'and no file read');
});

t.test('a changed, truncated or replaced file is hashed again', async (t) => {
  const root = t.testdir({ v1: {} });
  const files = version(root);
  const inner = countingHasher();
  const verified = rememberVerified(inner, path.join(root, 'verified'));
  await verified(files);

  appendFileSync(files[0]!, 'x');
  truncateSync(files[1]!, 10);
  writeFileSync(`${files[2]}.new`, Buffer.alloc(1002, 3));
  renameSync(`${files[2]}.new`, files[2]!);
  inner.read.length = 0;
  const after = await verified(files);
  t.same(inner.read, files, 'all three read again');
  t.same(after, await hashFilesHere(files), 'and their new hashes returned');
  t.same(verified.lastStats, { hashed: 3, remembered: 0 });
});

t.test('a file that changes while it is hashed is not remembered', async (t) => {
  const root = t.testdir({ v1: {} });
  const files = version(root);
  const changing: HashFiles = async (list) => {
    const hashes = await hashFilesHere(list);
    appendFileSync(list[0]!, 'written meanwhile');
    return hashes;
  };
  await rememberVerified(changing, path.join(root, 'verified'))(files);
  const inner = countingHasher();
  await rememberVerified(inner, path.join(root, 'verified'))(files);
  t.same(inner.read, [files[0]], 'only the file that changed during the first hash is read again');
});

t.test('a missing file still fails as before, and records of deleted files are pruned', async (t) => {
  const root = t.testdir({ v1: {} });
  const files = version(root);
  const dir = path.join(root, 'verified');
  const verified = rememberVerified(countingHasher(), dir);
  await verified(files);
  t.equal(readdirSync(dir).length, 3, 'one record per file');

  rmSync(path.join(root, 'v1'), { recursive: true });
  await t.rejects(verified(files), { code: 'FILE_MISSING' }, 'a missing file is reported, not taken from a record');
  const other = path.join(root, 'other');
  writeFileSync(other, 'another version');
  await verified([other]);
  t.same(readdirSync(dir).length, 1, 'the deleted files lost their records');
});

t.test('in a running system the standby verifies the served version without reading it again', async (t) => {
  const fx = await startFixture(t, { count: 200 });
  const serving = await waitFor('both children hold the served version', async () => {
    const s = await fx.status();
    return s.state === 'serving' && s.servingVersion !== null && s.slots.every((slot) => slot.version === s.servingVersion) ? s : null;
  });
  const fetched = await waitFor(
    'two fetch log lines',
    () => {
      const lines = readFileSync(path.join(fx.dir, 'children.log'), 'utf8')
        .split('\n')
        .filter((line) => line.includes('"version fetched"'))
        .map((line) => JSON.parse(line) as { version: string; checksums: { hashed: number; remembered: number } })
        .filter((line) => line.version === serving.servingVersion);
      return lines.length >= 2 ? lines : null;
    },
    10_000,
  );
  t.same(fetched[0]!.checksums, { hashed: 3, remembered: 0 }, 'the first fetch hashed every file');
  t.same(fetched[1]!.checksums, { hashed: 0, remembered: 3 }, 'the standby read none of them again');
});
