// The builder as a one-shot program (`node dist/builder/main.js --source ... --data ...`): it
// publishes and logs a summary, refuses bad options and fatal inputs with exit 1, and a SIGTERM
// mid-build leaves nothing visible.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { writeProfilesJsonl } from '../builder/generate.js';
import { indexesDir, listVersions, readLatest, versionDir } from '../index-version/format.js';
import { readVerifiedManifest } from '../index-version/verify.js';
import { HeldIndex } from '../roles/held-index.js';
import { jsonLines, sourceWithBadRecords } from './helpers/builder-fixture.js';
import { FIXTURES, PROGRAMS } from './helpers/paths.js';
import { finished, spawnNode } from './helpers/spawn.js';
import { waitFor } from './helpers/wait.js';

async function runMain(t: Test, args: string[]) {
  return finished(await spawnNode(t, PROGRAMS.builder, args));
}

t.test('main.js one-shot: publishes, logs a summary, exits 0', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const { file } = sourceWithBadRecords(dir);
  const run = await runMain(t, ['--source', file, '--data', dataDir, '--threads', '1', '--keep', '3']);
  t.equal(run.code, 0, run.stderr);
  const summary = jsonLines(run.stdout).find((l) => l.msg === 'published');
  t.match(summary, { name: 'builder', count: 200, skipped: 8, buildMs: Number, version: String });
  t.equal(await readLatest(dataDir), summary?.version);
  await readVerifiedManifest(versionDir(dataDir, String(summary?.version)));

  const again = await runMain(t, ['--source', file, '--data', dataDir, '--threads', '1']);
  t.equal(again.code, 0, 'one-shot always publishes a new version');
  t.equal((await listVersions(dataDir)).length, 2);

  const fixed = await runMain(t, ['--source', file, '--data', dataDir, '--threads', '1', '--ef-search', '48']);
  t.equal(fixed.code, 0, fixed.stderr);
  const fixedManifest = await readVerifiedManifest(versionDir(dataDir, (await readLatest(dataDir))!));
  t.equal(fixedManifest.params.expansionSearch, 48, '--ef-search fixes the search expansion');
  t.not((await runMain(t, ['--source', file, '--data', dataDir, '--ef-search', '0'])).code, 0, '--ef-search 0 is refused');

  const denser = await runMain(t, ['--source', file, '--data', dataDir, '--threads', '1', '--connectivity', '32']);
  t.equal(denser.code, 0, denser.stderr);
  const denserVersion = (await readLatest(dataDir))!;
  const denserManifest = await readVerifiedManifest(versionDir(dataDir, denserVersion));
  t.equal(denserManifest.params.connectivity, 32, '--connectivity sets the graph degree');
  const held = await HeldIndex.open(versionDir(dataDir, denserVersion), 'view', denserVersion);
  t.teardown(() => held.close());
  t.equal(held.count, 200, "a child opens it with the manifest's connectivity");
  const refused = await runMain(t, ['--source', file, '--data', dataDir, '--connectivity', '1']);
  t.equal(refused.code, 1, '--connectivity 1 is refused');
  t.match(refused.stderr, /--connectivity.*expected an integer 2-64/);
});

t.test('main.js one-shot: fatal errors exit 1 with a clear message', async (t) => {
  const dir = t.testdir();
  const missing = await runMain(t, ['--source', path.join(dir, 'nope.jsonl'), '--data', dir]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /cannot read the profile source/);
  t.match(
    jsonLines(missing.stdout).find((l) => l.level === 60),
    { code: 'TANDEM_ERR_SOURCE_UNREADABLE' },
  );
  const badVectorizer = await runMain(t, [
    '--source',
    sourceWithBadRecords(dir).file,
    '--data',
    dir,
    '--vectorizer',
    path.join(FIXTURES, 'not-a-vectorizer.mjs'),
  ]);
  t.equal(badVectorizer.code, 1);
  t.match(badVectorizer.stderr, /does not export a vectorize/);
  const noSource = await runMain(t, []);
  t.not(noSource.code, 0);
  t.match(noSource.stderr, /--source/);
});

t.test('main.js one-shot: SIGTERM mid-build exits 0 and leaves nothing visible', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const source = path.join(dir, 'profiles.jsonl');
  await writeProfilesJsonl(source, 4000, 8);
  // Small batches: the build yields to the event loop often, so the signal lands mid-build.
  const builder = await spawnNode(t, PROGRAMS.builder, ['--source', source, '--data', dataDir, '--threads', '1', '--batch-size', '100']);
  await waitFor('the build to start', () => builder.stdout().includes('build started'));
  builder.child.kill('SIGTERM');
  const { code, stdout } = await finished(builder, 10_000);
  t.equal(code, 0);
  const entries = readdirSync(indexesDir(dataDir));
  t.same(
    entries.filter((n) => n.includes('.tmp-')),
    [],
    'no temporary left',
  );
  if (jsonLines(stdout).some((l) => l.msg === 'build abandoned; nothing published')) {
    t.same(entries, [], 'abandoned: nothing published');
  } else {
    // The signal lost the race with a fast machine: then the version must be complete.
    await readVerifiedManifest(versionDir(dataDir, (await readLatest(dataDir))!));
  }
});
