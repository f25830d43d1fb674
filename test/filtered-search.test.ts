// Filters are applied during the search, never as a post-filter that silently returns fewer: a
// filtered query returns n profiles whenever n match (all of them otherwise), each one matching,
// close to exact filtered kNN, at every selectivity, on the graph path and with live changes; a
// later page continues the first without repeating it. `mutual` is checked against a plain
// reciprocal test written here from the profiles' own fields.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import t from 'tap';
import { buildIndex } from '../builder/build.js';
import { generateProfiles } from '../builder/generate.js';
import { createVectorizer } from '../builder/vectorize.js';
import type { Query, QueryFilter } from '../channel/query-batch.js';
import { normalizeInPlace } from '../index-version/engine.js';
import { versionDir } from '../index-version/format.js';
import type { Profile } from '../profiles/schema.js';
import type { IndexSlot } from '../roles/fetch.js';
import { planCounts } from '../roles/filtered-search.js';
import { HeldIndex } from '../roles/held-index.js';
import { LiveChanges } from '../roles/live-changes.js';
import type { NearestAnswer } from '../roles/nearest-request.js';
import { FULL_SCAN_MAX_ROWS } from '../roles/open-version.js';
import { toRequest } from '../roles/query-request.js';
import { ProfileStore } from '../store/profile-store.js';

const COUNT = 12_000;
const N = 10;
const vectorizer = createVectorizer();
type Result = { _id: string; distance: number };

/** The filter's meaning, written out plainly over whole profiles. */
function admits(filter: QueryFilter, querier: Profile | null, candidate: Profile): boolean {
  const age = candidate.age;
  if ((filter.ageMin !== undefined || filter.ageMax !== undefined) && age === undefined) return false;
  if (filter.ageMin !== undefined && age! < filter.ageMin) return false;
  if (filter.ageMax !== undefined && age! > filter.ageMax) return false;
  if (filter.genders && !filter.genders.includes(candidate.gender as string)) return false;
  if (filter.city !== undefined && candidate.city !== filter.city) return false;
  if (filter.exclude?.includes(candidate._id)) return false;
  if (!filter.mutual) return true;
  return seeks(querier!, candidate) && seeks(candidate, querier!);
}

/** Whether `who` is seeking someone like `other`; no stated preference accepts anyone. */
function seeks(who: Profile, other: Profile): boolean {
  const s = who.seeking ?? {};
  if (s.genders?.length && !s.genders.includes(other.gender as string)) return false;
  if (s.ageMin !== undefined && (other.age === undefined || other.age < s.ageMin)) return false;
  if (s.ageMax !== undefined && (other.age === undefined || other.age > s.ageMax)) return false;
  return true;
}

function unit(profile: Profile): Float32Array {
  return normalizeInPlace(Float32Array.from(vectorizer.vectorize(profile)));
}

t.test('filtered queries: n matching results, close to exact filtered kNN, at every selectivity', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-filter-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const storePath = path.join(dir, 'profiles.db');
  const store = ProfileStore.open(storePath);
  t.teardown(() => store.close());
  store.putMany([...generateProfiles({ count: COUNT, seed: 11 })] as unknown as Profile[]);
  const manifest = await buildIndex({
    source: { kind: 'store', path: storePath },
    dataDir: dir,
    logger: pino({ level: 'silent' }),
    threads: 1,
  });
  const held = await HeldIndex.open(versionDir(dir, manifest.version), 'view', manifest.version);
  t.teardown(() => held.close());
  t.ok(held.count > FULL_SCAN_MAX_ROWS, 'the graph path, not the full scan');

  // Changes after the version: the answer must test them by their new fields.
  const ids = store.changesSince(0, COUNT).map((change) => change.id);
  const moved = ids.slice(0, 40);
  for (const id of moved) store.put({ ...store.get(id)!, city: 'Newtown', age: 30 });
  for (const id of ids.slice(40, 60)) store.delete(id);
  for (let i = 0; i < 30; i++) store.put({ ...store.get(ids[100 + i]!)!, _id: `added-${i}`, city: 'Newtown', age: 31 });
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
  const slot: IndexSlot = { held, live, vectorize: vectorizer.vectorize };
  const profiles = store.changesSince(0, 10 * COUNT).flatMap((change) => (change.profile ? [store.get(change.id)!] : []));
  const byId = new Map(profiles.map((p) => [p._id, p]));
  const vectors = new Map(profiles.map((p) => [p._id, unit(p)]));

  const exactFiltered = (querier: Profile, filter: QueryFilter, n: number): Result[] => {
    const q = vectors.get(querier._id)!;
    const all: Result[] = [];
    for (const p of byId.values()) {
      if (p._id === querier._id || !admits(filter, querier, p)) continue;
      const v = vectors.get(p._id)!;
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i]! * q[i]!;
      all.push({ _id: p._id, distance: 1 - dot });
    }
    return all.sort((a, b) => a.distance - b.distance).slice(0, n);
  };
  const ask = (query: Query): NearestAnswer => {
    const request = toRequest(slot, held, query, []);
    if ('code' in request) throw new Error(request.message);
    return held.nearestMany([request], live)[0]!;
  };

  const sample = profiles.filter((_, i) => i % 97 === 0).slice(0, 60);
  const someCity = sample[0]!.city as string;
  const filters: Record<string, (p: Profile) => QueryFilter> = {
    'gender (about half)': () => ({ genders: ['female'] }),
    'age 25-35 (about a quarter)': () => ({ ageMin: 25, ageMax: 35 }),
    'one city (a few percent)': () => ({ city: someCity }),
    'city, gender and age (under 1%)': () => ({ city: someCity, genders: ['male'], ageMin: 30, ageMax: 45 }),
    'a changed city (the live changes only)': () => ({ city: 'Newtown' }),
    mutual: () => ({ mutual: true }),
    'mutual in one city': () => ({ mutual: true, city: someCity }),
    'exclude the exact top 5': (p) => ({ exclude: exactFiltered(p, {}, 5).map((r) => r._id) }),
  };
  const plansBefore = { ...planCounts };
  for (const [name, make] of Object.entries(filters)) {
    let found = 0;
    let expected = 0;
    let short = 0;
    let wrong = 0;
    for (const querier of sample) {
      const filter = make(querier);
      const want = exactFiltered(querier, filter, N);
      const got = JSON.parse(ask({ q: 1, op: 'recommend', id: querier._id, n: N, f: filter }).body.toString()) as Result[];
      if (got.length !== want.length) short++;
      wrong += got.filter((r) => !byId.has(r._id) || !admits(filter, querier, byId.get(r._id)!) || r._id === querier._id).length;
      const wanted = new Set(want.map((r) => r._id));
      found += got.filter((r) => wanted.has(r._id)).length;
      expected += want.length;
    }
    t.equal(short, 0, `${name}: n results whenever n match (all of them otherwise)`);
    t.equal(wrong, 0, `${name}: every result matches the filter`);
    t.ok(expected === 0 || found / expected >= 0.95, `${name}: recall@${N} ${(found / expected).toFixed(3)} >= 0.95`);
  }
  t.ok(planCounts.graph > plansBefore.graph, 'some filters were answered by the widened graph search');
  t.ok(planCounts.exact > plansBefore.exact, 'some by an exact scan of the admitted rows');

  t.test('pages continue the first: no repeats, together the exact filtered top', async (t) => {
    const querier = sample[3]!;
    const filter: QueryFilter = { genders: ['female', 'nonbinary'] };
    const pages: Result[] = [];
    let mark: NearestAnswer['next'] = null;
    for (let page = 0; page < 4; page++) {
      const answer = ask({
        q: 1,
        op: 'recommend',
        id: querier._id,
        n: N,
        f: filter,
        ...(mark && { p: { version: held.version, seq: live.appliedSeq, mark } }),
      });
      pages.push(...(JSON.parse(answer.body.toString()) as Result[]));
      mark = answer.next;
      t.ok(mark, `page ${page + 1} is full, so it names where the next starts`);
    }
    t.equal(new Set(pages.map((r) => r._id)).size, pages.length, 'no profile on two pages');
    const want = new Set(exactFiltered(querier, filter, 4 * N).map((r) => r._id));
    t.ok(pages.filter((r) => want.has(r._id)).length / want.size >= 0.95, 'the pages together are the exact top 40');
    t.ok(
      pages.every((r, i) => i === 0 || r.distance >= pages[i - 1]!.distance),
      'in order across pages',
    );
  });

  t.test('a cold-start profile is placed by the version vectorizer and filtered mutually', async (t) => {
    const stranger = { ...sample[5]!, _id: 'not-in-the-store' };
    const answer = ask({ q: 1, op: 'profile', profile: stranger, n: N, f: { mutual: true } });
    const got = JSON.parse(answer.body.toString()) as Result[];
    t.equal(got.length, N);
    t.ok(
      got.every((r) => seeks(stranger, byId.get(r._id)!) && seeks(byId.get(r._id)!, stranger)),
      'each result is a reciprocal match',
    );
  });
});
