// A version plus its live changes answers as exact kNN over the store as it is now: on the HNSW
// path (above the full-scan threshold), with rows replaced, deleted and added since the version,
// and the same whichever version (built at whichever seq) a child holds.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { buildIndex } from '../builder/build.js';
import { generateProfiles } from '../builder/generate.js';
import { mulberry32 } from '../builder/random.js';
import { createVectorizer } from '../builder/vectorize.js';
import { normalizeInPlace } from '../index-version/engine.js';
import { versionDir } from '../index-version/format.js';
import type { Profile } from '../profiles/schema.js';
import { HeldIndex } from '../roles/held-index.js';
import { LiveChanges } from '../roles/live-changes.js';
import { FULL_SCAN_MAX_ROWS } from '../roles/open-version.js';
import { ProfileStore } from '../store/profile-store.js';

const COUNT = 6000;
const N = 10;
const vectorizer = createVectorizer();

type Neighbour = { _id: string; distance: number };

function unitVector(profile: Profile): Float32Array {
  return normalizeInPlace(Float32Array.from(vectorizer.vectorize(profile)));
}

/** Exact top n over every live profile of the store, `selfId` left out. */
function exact(live: Map<string, Float32Array>, query: Float32Array, selfId: string, n: number): Neighbour[] {
  const all: Neighbour[] = [];
  for (const [id, vector] of live) {
    if (id === selfId) continue;
    let dot = 0;
    for (let d = 0; d < vector.length; d++) dot += vector[d]! * query[d]!;
    all.push({ _id: id, distance: 1 - dot });
  }
  return all.sort((a, b) => a.distance - b.distance).slice(0, n);
}

t.test('version + live changes = exact kNN over the store now, whichever version answers', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-live-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const storePath = path.join(dir, 'profiles.db');
  const store = ProfileStore.open(storePath);
  t.teardown(() => store.close());
  const seed = [...generateProfiles({ count: COUNT, seed: 5 })] as unknown as Profile[];
  store.putMany(seed);
  const rng = mulberry32(99);
  const pick = <T>(items: T[]): T => items[Math.floor(rng() * items.length)]!;
  const liveIds = () => [...seed.map((p) => p._id), ...extra].filter((id) => store.get(id) !== null);
  const extra: string[] = [];

  // A fixed wide search expansion: the comparison is with exact kNN, so the graph must not miss.
  const build = () =>
    buildIndex({
      source: { kind: 'store', path: storePath },
      dataDir: dir,
      logger: pino({ level: 'silent' }),
      threads: 1,
      params: { expansionSearch: 2000 },
    });
  const changeSome = (replaced: number, deleted: number, added: number) => {
    const ids = liveIds();
    for (let i = 0; i < replaced; i++) {
      const id = pick(ids);
      const donor = store.get(pick(ids))!;
      store.put({ ...donor, _id: id, name: 'Changed' });
    }
    for (let i = 0; i < deleted; i++) store.delete(pick(ids));
    for (let i = 0; i < added; i++) {
      const id = `added-${extra.length}`;
      extra.push(id);
      const donor = store.get(pick(liveIds()))!;
      store.put({ ...donor, _id: id, name: 'Added', city: `Town${i % 7}` });
    }
  };

  const older = await build();
  changeSome(300, 200, 100);
  // Deleting a profile's nearest neighbours makes the version's own results run short: backfill.
  const crowdedId = pick(liveIds());
  const crowded = exact(
    new Map(liveIds().map((id) => [id, unitVector(store.get(id)!)])),
    unitVector(store.get(crowdedId)!),
    crowdedId,
    3 * N,
  );
  for (const { _id } of crowded.slice(0, 2 * N)) store.delete(_id);
  const newer = await build();
  changeSome(50, 50, 50);
  t.ok(older.storeSeq! < newer.storeSeq! && newer.storeSeq! < store.currentSeq(), 'two versions at two seqs, and changes after both');

  const truth = new Map(liveIds().map((id) => [id, unitVector(store.get(id)!)]));
  const holders = [];
  for (const manifest of [older, newer]) {
    const held = await HeldIndex.open(versionDir(dir, manifest.version), 'view', manifest.version);
    t.teardown(() => held.close());
    t.ok(held.count > FULL_SCAN_MAX_ROWS, 'the graph path, not the full scan');
    const live = new LiveChanges({
      reader: ProfileStore.openReadOnly(storePath),
      fromSeq: manifest.storeSeq!,
      dims: held.dims,
      metric: held.manifest.params.metric,
      vectorize: vectorizer.vectorize,
      indexRowOf: (id) => held.rowOf(id),
    });
    t.teardown(() => live.close());
    live.catchUp();
    t.equal(live.appliedSeq, store.currentSeq());
    holders.push({ held, live, version: manifest.version });
  }

  const queries = [crowdedId, ...Array.from({ length: 40 }, () => pick([...truth.keys()]))];
  for (const { held, live, version } of holders) {
    let mismatches = 0;
    for (const id of queries) {
      const got = held.recommend(id, N, live);
      if (!got.ok) throw new Error(`${id}: ${got.message}`);
      const results = JSON.parse(got.body.toString()) as Neighbour[];
      const want = exact(truth, truth.get(id)!, id, N);
      const same = results.length === N && results.every((r, i) => Math.abs(r.distance - want[i]!.distance) < 1e-4 && truth.has(r._id));
      if (!same) mismatches++;
    }
    t.equal(mismatches, 0, `${version}: every query equals exact kNN over the store (distances, n results, only live ids)`);
    const deleted = crowded[0]!._id;
    t.match(held.recommend(deleted, N, live), { ok: false, code: 'UNKNOWN_ID' }, `${version}: a deleted profile is unknown`);
    t.ok(held.recommend('added-0', N, live).ok, `${version}: an added profile is known`);
  }
});
