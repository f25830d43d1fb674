// A builder killed mid-publish never leaves a partial version where a fetcher would look.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { FailPoint } from '../builder/failpoints.js';
import { writeProfilesJsonl } from '../builder/generate.js';
import { listVersions, readLatest, versionDir } from '../index-version/format.js';
import { readVerifiedManifest } from '../index-version/verify.js';
import { HeldIndex } from '../roles/held-index.js';
import { PROGRAMS } from './helpers/paths.js';
import { spawnNode } from './helpers/spawn.js';
import { waitFor } from './helpers/wait.js';

t.test('SIGKILL at random points of a build: LATEST and every version dir stay complete', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-builder-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const source = path.join(dir, 'profiles.jsonl');
  const count = 6_000;
  await writeProfilesJsonl(source, count, 5);
  const runBuilder = async (killAfterMs: number | null) => {
    const started = Date.now();
    const builder = await spawnNode(t, PROGRAMS.builder, ['--source', source, '--data', dir, '--threads', '1', '--batch-size', '500']);
    // The kill is the fault under test; the wait for the exit is bounded either way.
    const timer = killAfterMs === null ? undefined : setTimeout(() => builder.child.kill('SIGKILL'), killAfterMs);
    const { code } = await waitFor('the builder to exit', builder.exited, 120_000);
    clearTimeout(timer);
    return { code, ms: Date.now() - started };
  };
  const full = await runBuilder(null);
  t.equal(full.code, 0, `an unkilled build publishes (${full.ms} ms)`);
  // Kill points spread over a build's length, the late ones around the rename and LATEST.
  const fractions = [0.1, 0.3, 0.5, 0.7, 0.85, 0.92, 0.96, 0.98, 0.99, 1.0];
  let published = 1;
  for (const fraction of fractions) {
    const delay = Math.round(full.ms * fraction);
    const { code } = await runBuilder(delay);
    if (code === 0) published++;
    for (const version of await listVersions(dir)) {
      await t.resolves(readVerifiedManifest(versionDir(dir, version)), `after a kill at ${delay} ms: ${version} is complete`);
    }
    const latest = await readLatest(dir);
    if (latest !== null) {
      const held = await HeldIndex.open(versionDir(dir, latest), 'view', latest);
      t.equal(held.count, count, `after a kill at ${delay} ms: LATEST (${latest}) loads`);
      held.close();
    }
  }
  t.comment(`builds that finished before their kill: ${published - 1} of ${fractions.length}`);
  const leftovers = readdirSync(path.join(dir, 'indexes')).filter((name) => name.includes('.tmp-'));
  t.comment(`temporary dirs left by killed builds, never read: ${leftovers.length}`);
});

t.test('SIGKILL exactly between the steps of a publish: readers see the old version or the whole new one', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-builder-publish-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const source = path.join(dir, 'profiles.jsonl');
  await writeProfilesJsonl(source, 500, 5);
  const build = (stopAt?: FailPoint) =>
    spawnNode(t, PROGRAMS.builder, ['--source', source, '--data', dir, '--threads', '1'], {
      env: { ...process.env, ...(stopAt ? { TANDEM_BUILDER_STOP_AT: stopAt } : {}) },
    });
  const first = await build();
  t.equal((await waitFor('the first build', first.exited, 60_000)).code, 0);
  const points: [FailPoint, 'old' | 'new'][] = [
    ['files-synced', 'old'],
    ['manifest-written', 'old'],
    ['renamed', 'old'],
    ['latest-temp-written', 'old'],
    ['latest-moved', 'new'],
  ];
  for (const [point, expected] of points) {
    const before = await readLatest(dir);
    const versionsBefore = await listVersions(dir);
    const builder = await build(point);
    await waitFor(`the builder to stop at ${point}`, () => builder.stderr().includes(`stopped at ${point}`), 60_000);
    builder.child.kill('SIGKILL');
    await waitFor('the builder to exit', builder.exited, 10_000);
    const latest = await readLatest(dir);
    const added = (await listVersions(dir)).filter((v) => !versionsBefore.includes(v));
    if (expected === 'old') t.equal(latest, before, `killed at ${point}: LATEST still names the old version`);
    else t.same([latest], added, `killed at ${point}: LATEST names the new, complete version`);
    for (const version of await listVersions(dir)) {
      await t.resolves(readVerifiedManifest(versionDir(dir, version)), `killed at ${point}: ${version} verifies`);
    }
    const held = await HeldIndex.open(versionDir(dir, latest!), 'view', latest!);
    t.equal(held.count, 500, `killed at ${point}: LATEST loads`);
    held.close();
  }
  const after = await build();
  t.equal((await waitFor('a build after all the kills', after.exited, 60_000)).code, 0, 'the next build publishes as usual');
});
