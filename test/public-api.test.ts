// The query API as a client team uses it, on a real system (children, ZeroMQ, HTTP): filters as
// query parameters and in a body, cold start, batch with good and bad queries side by side,
// Tandem-Version on every answer, and a cursor walked across a swap until its version is gone.
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import type { Profile } from '../profiles/schema.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

type Result = { _id: string; distance: number };
type Answer = { results: Result[]; version: string; next: string | null };

async function system(t: Test, standbyDelayMs = 60_000) {
  const fx = await startFixture(t, { count: 3000, seed: 21, system: { standbyDelayMs } });
  const first = await waitFor('first version served', async () => (await fx.status()).servingVersion, 30_000);
  const profiles = new Map(
    readFileSync(fx.source, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Profile)
      .map((p) => [p._id, p]),
  );
  const post = async <Body>(pathname: string, body: unknown) => {
    const response = await fetch(fx.system.url + pathname, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Body };
  };
  return { fx, first, profiles, post };
}

t.test('filters, headers, cold start, batch and bad parameters', async (t) => {
  const { fx, first, profiles, post } = await system(t);
  const [id, querier] = [...profiles].find(([, p]) => p.seeking?.genders?.length)!;
  const city = querier.city as string;

  const filtered = await fx.get<Result[]>(`/recommend/${id}/10?gender=female,nonbinary&ageMin=20&ageMax=50`);
  t.equal(filtered.status, 200);
  t.equal(filtered.body.length, 10);
  t.ok(
    filtered.body.every((r) => {
      const p = profiles.get(r._id)!;
      return ['female', 'nonbinary'].includes(p.gender as string) && p.age! >= 20 && p.age! <= 50;
    }),
    'every result matches the filter',
  );
  t.equal(filtered.headers.get('tandem-version'), `${first}; seq=0`, 'Tandem-Version names the version that answered');
  t.match(filtered.headers.get('link'), /^<\/recommend\/[^>]+cursor=[^>]+>; rel="next"$/, 'a full page links the next');

  const mutual = await fx.get<Result[]>(`/recommend/${id}/10?mutual=true`);
  const seeks = (who: Profile, other: Profile) =>
    (!who.seeking?.genders || who.seeking.genders.includes(other.gender as string)) &&
    (who.seeking?.ageMin === undefined || other.age! >= who.seeking.ageMin) &&
    (who.seeking?.ageMax === undefined || other.age! <= who.seeking.ageMax);
  t.ok(mutual.body.length > 0, 'mutual finds reciprocal matches');
  t.ok(
    mutual.body.every((r) => seeks(querier, profiles.get(r._id)!) && seeks(profiles.get(r._id)!, querier)),
    'mutual: each side is what the other is seeking',
  );

  const byBody = await post<Answer>('/recommend', { id, n: 5, filter: { city }, exclude: [filtered.body[0]!._id] });
  t.equal(byBody.status, 200);
  t.match(byBody.body, { version: `${first}; seq=0` });
  t.ok(byBody.body.results.every((r) => profiles.get(r._id)!.city === city && r._id !== filtered.body[0]!._id));
  const { _id, ...stranger } = querier;
  const coldStart = await post<Answer>('/recommend', { profile: stranger, n: 3 });
  t.equal(coldStart.status, 200);
  t.equal(coldStart.body.results[0]!._id, id, 'a cold-start profile lands where its twin is');
  t.ok(coldStart.body.results[0]!.distance < 1e-5);

  const bad = async (pathname: string, code: string, message?: RegExp) => {
    const reply = await fx.get<{ code: string; message: string }>(pathname);
    t.equal(reply.status, 400, pathname);
    t.match(reply.body, { code, ...(message && { message }) }, pathname);
  };
  await bad(`/recommend/${id}/5?ageMin=40&ageMax=30`, 'TANDEM_ERR_BAD_FILTER', /ageMin \(40\) is over ageMax \(30\)/);
  await bad(`/recommend/${id}/5?gender=fe male`, 'TANDEM_ERR_BAD_FILTER', /gender/);
  await bad(`/recommend/${id}/5?agemin=30`, 'TANDEM_ERR_BAD_FILTER', /unknown query parameter "agemin"/);
  await bad(`/recommend/${id}/5?mutual=yes`, 'TANDEM_ERR_BAD_FILTER', /mutual/);
  await bad(`/recommend/${id}/5?cursor=abc.def`, 'TANDEM_ERR_BAD_CURSOR');
  const cursor = new URLSearchParams(filtered.headers.get('link')!.slice(1).split('>')[0]!.split('?')[1]).get('cursor')!;
  await bad(`/recommend/${id}/5?gender=male&cursor=${cursor}`, 'TANDEM_ERR_CURSOR_MISMATCH');
  const tooMany = await post<{ code: string }>('/recommend', { id, exclude: Array.from({ length: 10_001 }, (_, i) => `x${i}`) });
  t.match(tooMany, { status: 400, body: { code: 'TANDEM_ERR_TOO_MANY_EXCLUDED' } });
  const vectorMutual = await post<{ code: string }>('/recommend', { vector: [1, 0, 0], mutual: true });
  t.match(vectorMutual, { status: 400, body: { code: 'TANDEM_ERR_NEEDS_PROFILE' } });
  const twoSubjects = await post<{ code: string }>('/recommend', { id, vector: [1] });
  t.match(twoSubjects, { status: 400, body: { code: 'TANDEM_ERR_BAD_QUERY' } });
  const bigBatch = await post<{ code: string }>('/recommend/batch', { queries: Array.from({ length: 1001 }, () => ({ id })) });
  t.match(bigBatch, { status: 400, body: { code: 'TANDEM_ERR_BATCH_TOO_LARGE' } });

  const batch = await post<{ results: (Answer | { error: { statusCode: number; code: string } })[] }>('/recommend/batch', {
    queries: [
      { id, n: 2 },
      { id: 'no-such-profile' },
      { id, filter: { ageMin: 50, ageMax: 40 } },
      { id, n: 'x' },
      { profile: stranger, n: 1 },
    ],
  });
  t.equal(batch.status, 200);
  t.match(batch.body.results, [
    { results: [{}, {}], version: `${first}; seq=0` },
    { error: { statusCode: 404, code: 'TANDEM_ERR_UNKNOWN_ID' } },
    { error: { statusCode: 400, code: 'TANDEM_ERR_BAD_FILTER' } },
    { error: { statusCode: 400, code: 'TANDEM_ERR_BAD_BODY' } },
    { results: [{ _id: id }] },
  ]);
});

t.test('a cursor pages through the version that answered its first page, across a swap, until that version is gone', async (t) => {
  const { fx, first, post } = await system(t);
  const id = fx.ids[10]!;
  const page1 = await post<Answer>('/recommend', { id, n: 10, filter: { gender: ['female', 'male'] } });
  t.equal(page1.body.version, `${first}; seq=0`);
  const second = (await fx.publish()).version;
  await fx.waitServing(second);
  const fresh = await post<Answer>('/recommend', { id, n: 10 });
  t.equal(fresh.body.version, `${second}; seq=0`, 'a new query goes to the new version');
  const page2 = await post<Answer>('/recommend', { id, n: 10, filter: { gender: ['female', 'male'] }, cursor: page1.body.next });
  t.equal(page2.status, 200);
  t.equal(page2.body.version, `${first}; seq=0`, 'the next page comes from the version of the first');
  const seen = [...page1.body.results, ...page2.body.results];
  t.equal(new Set(seen.map((r) => r._id)).size, 20, 'no profile on both pages');
  t.ok(
    seen.every((r, i) => i === 0 || r.distance >= seen[i - 1]!.distance),
    'the second page continues where the first ended',
  );
  const third = (await fx.publish()).version;
  await fx.waitServing(third);
  await waitFor(
    'the first version gone from both children',
    async () => {
      const s = await fx.status();
      return s.slots.every((slot) => slot.version !== first) ? s : null;
    },
    30_000,
  );
  const page3 = await post<{ code: string }>('/recommend', { id, n: 10, filter: { gender: ['female', 'male'] }, cursor: page2.body.next });
  t.match(page3, { status: 410, body: { code: 'TANDEM_ERR_CURSOR_EXPIRED' } }, 'a cursor whose version is gone: 410');
});
