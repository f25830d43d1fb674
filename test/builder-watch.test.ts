// The builder as a service (`--watch`): it publishes at start, again when the source is replaced
// or on its `--every` timer, does nothing for an unchanged source, and stops cleanly on a signal.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { writeProfilesJsonl } from '../builder/generate.js';
import { indexesDir, listVersions, readLatest, versionDir } from '../index-version/format.js';
import { readVerifiedManifest } from '../index-version/verify.js';
import { jsonLines } from './helpers/builder-fixture.js';
import { PROGRAMS } from './helpers/paths.js';
import { spawnNode } from './helpers/spawn.js';
import { waitFor } from './helpers/wait.js';

/** A watching builder with short debounce and poll times, so a test sees it react within its timeouts. */
async function startWatch(t: Test, args: string[]) {
  const builder = await spawnNode(t, PROGRAMS.builder, ['--watch', '--debounce-ms', '50', '--poll-ms', '50', '--threads', '1', ...args]);
  return { builder, output: () => jsonLines(builder.stdout()) };
}

t.test('main.js --watch: publishes at start and again when the source is rewritten', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const source = path.join(dir, 'profiles.jsonl');
  await writeProfilesJsonl(source, 300, 1);

  const first = await startWatch(t, ['--source', source, '--data', dataDir]);
  const v1 = await waitFor('the first version', () => readLatest(dataDir));
  // Rewritten the way generate-cli does it: temp file + rename.
  await writeProfilesJsonl(source, 250, 2);
  const v2 = await waitFor('a newer version', async () => {
    const latest = await readLatest(dataDir);
    return latest !== null && latest > v1 ? latest : null;
  });
  t.equal((await readVerifiedManifest(versionDir(dataDir, v2))).count, 250);
  first.builder.child.kill('SIGTERM');
  t.equal((await waitFor('exit after SIGTERM', first.builder.closed, 10_000)).code, 0, 'SIGTERM exits 0');
  t.ok(first.output().some((l) => l.msg === 'stopped'));

  // Restarted with an unchanged source: nothing to publish.
  const second = await startWatch(t, ['--source', source, '--data', dataDir]);
  await waitFor('the up-to-date check', () => second.output().some((l) => l.msg === 'latest version is up to date with the source'));
  second.builder.child.kill('SIGINT');
  t.equal((await waitFor('exit after SIGINT', second.builder.exited, 10_000)).code, 0);
  t.same(await listVersions(dataDir), [v1, v2]);
});

t.test('main.js --watch --every: republishes on a timer', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const source = path.join(dir, 'profiles.jsonl');
  await writeProfilesJsonl(source, 100, 4);
  const watched = await startWatch(t, ['--source', source, '--data', dataDir, '--every', '0.2', '--keep', '10']);
  await waitFor('three versions', async () => (await listVersions(dataDir)).length >= 3);
  watched.builder.child.kill('SIGTERM');
  t.equal((await waitFor('exit after SIGTERM', watched.builder.exited, 10_000)).code, 0);
  t.same(
    readdirSync(indexesDir(dataDir)).filter((n) => n.includes('.tmp-')),
    [],
    'an abandoned build cleans up after itself',
  );
});
