// Changes visible at once, end to end: a real store, real children, the builder reading the store.
// A write is recommendable (with its new vector) the moment its PUT returns, a delete is gone the
// moment its DELETE returns, and both stay so across a rebuild and a swap, under load.
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { mulberry32 } from '../builder/random.js';
import type { Manifest } from '../index-version/format.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

const TOKEN = 'live-test-token';
const DIMS = 128;

type Result = { _id: string; name: string; surname: string; distance: number };

async function liveSystem(t: Test) {
  const fx = await startFixture(t, { count: 300, seed: 11, writeTokens: [TOKEN], fromStore: true });
  await waitFor('the first version served', async () => (await fx.status()).state === 'serving', 30_000);
  const call = async (method: string, pathname: string, body?: unknown) => {
    const response = await fetch(fx.system.url + pathname, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
  };
  const profiles = readFileSync(fx.source, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown> & { _id: string });
  const search = async (vector: number[], n = 5) => (await call('POST', '/search', { vector, n })).body as Result[];
  const recommend = (id: string, n = 10) => call('GET', `/recommend/${id}/${n}`) as Promise<{ status: number; body: Result[] }>;
  return { fx, call, profiles, search, recommend };
}

function randomVector(seed: number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: DIMS }, () => rng() - 0.5);
}

t.test('a PUT profile is recommendable, with its vector, the moment the PUT returns', async (t) => {
  const { call, search, recommend, profiles } = await liveSystem(t);
  for (let i = 0; i < 20; i++) {
    const vector = randomVector(1000 + i);
    const id = `newcomer-${i}`;
    const put = await call('PUT', `/profiles/${id}`, { name: 'New', surname: `Comer${i}`, vector });
    t.equal(put.status, 201);
    const found = await search(vector, 3);
    t.equal(found[0]?._id, id, `newcomer ${i} is the nearest to its own vector at once`);
    t.ok(found[0]!.distance < 1e-5);
    const own = await recommend(id, 5);
    t.equal(own.status, 200, `newcomer ${i} can be recommended for at once`);
    t.equal(own.body.length, 5);
    t.notOk(
      own.body.some((r) => r._id === id),
      'not itself',
    );
  }
  // Without a vector: the version's vectorizer makes one, so a twin of an indexed profile is at distance 0.
  const { _id: twinOf, ...attributes } = profiles[42]!;
  t.equal((await call('PUT', '/profiles/twin', attributes)).status, 201);
  const twins = await recommend('twin', 3);
  t.ok(
    twins.body.some((r) => r._id === twinOf && r.distance < 1e-5),
    `the twin finds ${twinOf} at distance 0`,
  );
  // A record as the original service kept it, _id, name and surname only: recommendable too.
  t.equal((await call('PUT', '/profiles/orig-1', { name: 'Ada', surname: 'Lovelace' })).status, 201);
  t.equal((await call('PUT', '/profiles/orig-2', { name: 'Ada', surname: 'Lovelace' })).status, 201);
  const original = await recommend('orig-1', 3);
  t.equal(original.status, 200, 'an original-format profile can be recommended for');
  t.equal(original.body[0]?._id, 'orig-2', 'and its namesake comes first');
});

t.test("a replaced profile's new vector is the one used, and the old one is never served", async (t) => {
  const { call, search, recommend, profiles } = await liveSystem(t);
  const indexed = profiles[7]!;
  // A twin sits where the version's row of `indexed` is: what finds that row, if it were served.
  const { _id: _, ...attributes } = indexed;
  t.equal((await call('PUT', '/profiles/twin', attributes)).status, 201);
  t.ok(
    (await recommend('twin', 10)).body.some((r) => r._id === indexed._id && r.distance < 1e-5),
    'before the replace, the twin finds it at distance 0',
  );
  for (let round = 0; round < 10; round++) {
    const vector = randomVector(2000 + round);
    t.equal((await call('PUT', `/profiles/${indexed._id}`, { ...indexed, vector })).status, 200);
    const found = await search(vector, 10);
    t.equal(found[0]?._id, indexed._id, `round ${round}: the new vector answers at once`);
    t.equal(found.filter((r) => r._id === indexed._id).length, 1, 'once only: the version row is out of date and left out');
    t.notOk(
      (await recommend('twin', 10)).body.some((r) => r._id === indexed._id && r.distance < 1e-3),
      'the version row with its old vector is never served',
    );
    const previous = randomVector(2000 + round - 1);
    if (round > 0) {
      const stale = (await search(previous, 3)).find((r) => r._id === indexed._id);
      t.ok(stale === undefined || stale.distance > 0.1, 'the previous vector no longer finds it at distance 0');
    }
  }
});

t.test('a DELETE is gone at once, results are backfilled, and it stays gone across a rebuild and swap, under load', async (t) => {
  const { fx, call, recommend, profiles } = await liveSystem(t);
  const deleted = profiles.slice(0, 5).map((p) => p._id);
  const gone = new Set(deleted);
  const others = profiles.slice(5).map((p) => p._id);
  let seen = 0;
  let short = 0;
  let appeared = 0;
  let failed = 0;
  let stop = false;
  let deletesDone = false;
  // Load that started after the deletes returned: every one of its answers must leave them out.
  const worker = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const checking = deletesDone;
      const reply = await recommend(others[(w * 37 + i * 13) % others.length]!, 10);
      if (reply.status !== 200) failed++;
      else if (checking) {
        seen++;
        if (reply.body.length < 10) short++;
        if (reply.body.some((r) => gone.has(r._id))) appeared++;
      }
    }
  };
  const load = Promise.all([0, 1, 2, 3].map(worker));
  try {
    for (const id of deleted) t.equal((await call('DELETE', `/profiles/${id}`)).status, 204);
    deletesDone = true;
    for (const id of deleted) {
      const reply = await call('GET', `/recommend/${id}/5`);
      t.equal(reply.status, 404, `${id} cannot be recommended for once deleted`);
      t.match(reply.body, { code: 'TANDEM_ERR_UNKNOWN_ID' });
    }
    const seqAfterDeletes = fx.system.store!.currentSeq();
    const held = await waitFor(
      '/status to show the delta of the answering child',
      async () => {
        const { freshness } = await fx.status();
        return freshness?.answererDelta === deleted.length ? freshness : null;
      },
      10_000,
    );
    t.match(held, { storeSeq: seqAfterDeletes, servedVersionSeq: profiles.length }, '/status: the store seq, the version seq, the delta');
    const before = (await fx.status()).servingVersion;
    const manifest: Manifest = await fx.publish();
    t.equal(manifest.storeSeq, fx.system.store!.currentSeq(), 'the new version records the seq it was built from');
    t.equal(manifest.count, profiles.length - deleted.length, 'and holds none of the deleted');
    await fx.waitServing(manifest.version);
    t.not(manifest.version, before);
    for (const id of deleted) t.equal((await recommend(id, 5)).status, 404, `${id} still unknown after the swap`);
    const swapped = await waitFor('/status to show the new version', async () => {
      const { freshness } = await fx.status();
      return freshness?.servedVersionSeq === manifest.storeSeq ? freshness : null;
    });
    t.equal(swapped.answererDelta, 0, 'after the swap the answering child holds no delta: its version has every change');
    await waitFor('thousands of checked answers', () => seen >= 2000, 60_000);
  } finally {
    stop = true;
    await load;
  }
  t.ok(seen >= 2000, `load ran throughout (${seen} checked answers)`);
  t.equal(appeared, 0, 'no deleted profile in any answer after its DELETE returned');
  t.equal(short, 0, 'every answer had its 10 results: backfilled from the index');
  t.equal(failed, 0, 'no request failed');
});
