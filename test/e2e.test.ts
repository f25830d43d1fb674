// The whole system for real: builder output on disk, supervisor, two child processes over
// ZeroMQ, the HTTP API. Nothing here is a double.
import { readFileSync } from 'node:fs';
import t from 'tap';
import type { TraceRecord } from '../trace/trace-record.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

/** One result of /recommend, as the API documents it. */
interface Neighbour {
  _id: string;
  name: string;
  surname: string;
  distance: number;
}

t.test('serves recommendations, swaps on a new version with no failed request', async (t) => {
  const fx = await startFixture(t, { count: 400 });
  const first = await waitFor('first version served', async () => {
    const s = await fx.status();
    return s.servingVersion ? s : null;
  });
  t.not(first.answerer, null, 'a child answers');

  const id = fx.ids[3]!;
  const ok = await fx.get<Neighbour[]>(`/recommend/${id}/5`);
  t.equal(ok.status, 200);
  t.match(ok.headers.get('content-type'), /application\/json/);
  t.equal(ok.body.length, 5);
  for (const profile of ok.body) t.match(profile, { _id: String, name: String, surname: String, distance: Number });
  t.notOk(
    ok.body.some((p) => p._id === id),
    'the profile itself is excluded',
  );
  const distances = ok.body.map((p) => p.distance);
  t.same(
    distances,
    [...distances].sort((a, b) => a - b),
    'nearest first',
  );

  const all = await fx.get(`/recommend/${id}/100`);
  t.equal(all.status, 200);
  const capped = await fx.get<Neighbour[]>(`/recommend/${fx.ids[0]}/100`);
  t.equal(capped.body.length, 100, 'n up to the cap is honoured');

  // Continuous queries from several workers across two swaps.
  let stop = false;
  const outcomes = new Map<number, number>();
  const failures: string[] = [];
  const worker = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const target = fx.ids[(w * 97 + i) % fx.ids.length]!;
      try {
        const response = await fetch(`${fx.system.url}/recommend/${target}/10`, { signal: AbortSignal.timeout(10_000) });
        await response.arrayBuffer();
        outcomes.set(response.status, (outcomes.get(response.status) ?? 0) + 1);
        if (response.status !== 200) failures.push(`${response.status} for ${target}`);
      } catch (err) {
        failures.push(`${target}: ${(err as Error).message}`);
      }
    }
  };
  const load = Promise.all([0, 1, 2, 3].map(worker));
  const servedBefore = (await fx.status()).queries.answered;
  const v2 = await fx.publish();
  const afterV2 = await fx.waitServing(v2.version);
  t.equal(afterV2.swaps, 1, 'one swap');
  const v3 = await fx.publish();
  const afterV3 = await fx.waitServing(v3.version);
  t.equal(afterV3.swaps, 2, 'two swaps');
  t.not(afterV3.answerer, afterV2.answerer, 'the roles swapped back');
  // Keep the load on a little after the last swap so the drain is covered too.
  await waitFor('queries after the last swap', async () => (await fx.status()).queries.answered > afterV3.queries.answered + 50);
  stop = true;
  await load;
  const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
  t.ok(total > 100, `load ran (${total} requests)`);
  t.same(failures, [], `every request during the swaps succeeded (${total} sent, statuses ${JSON.stringify([...outcomes])})`);
  t.ok((await fx.status()).queries.answered > servedBefore);

  const status = await fx.status();
  t.equal(status.servingVersion, v3.version);
  t.match(status.slots, [
    { slot: 0, pid: Number, role: /answer|fetch/, state: String },
    { slot: 1, pid: Number, role: /answer|fetch/, state: String },
  ]);
  t.equal(status.slots.filter((s) => s.role === 'answer').length, 1, 'exactly one answerer');
  t.equal(status.slots.find((s) => s.role === 'answer')!.version, v3.version);

  const trace = await fx.get<TraceRecord[]>('/trace?limit=2000');
  t.equal(trace.status, 200);
  const swaps = trace.body.filter((r) => r.actor === 'supervisor' && r.event === 'SLOT_ANSWERING' && r.to === 'draining');
  t.equal(swaps.length, 2, 'both swaps are in /trace');
  t.ok(
    trace.body.some((r) => r.event === 'DRAINED' && r.to === 'idle'),
    'the drain is traced',
  );
});

t.test('a child keeps no replaced version mapped, even on a quiet heap', async (t) => {
  // usearch has no close(): without load, V8 may not collect a dropped index for many swaps, and
  // each one kept pins a whole version's pages (roles/child.ts releaseDroppedIndex).
  const fx = await startFixture(t, { count: 300, system: { standbyDelayMs: 100 } });
  await waitFor('first version served', async () => (await fx.status()).servingVersion);
  for (let i = 0; i < 3; i++) {
    const next = await fx.publish();
    await fx.waitServing(next.version);
    await waitFor('standby holds the served version', async () => {
      const status = await fx.status();
      return status.slots.every((slot) => slot.version === next.version) && status;
    });
  }
  const mappedVersions = (pid: number) =>
    new Set(
      readFileSync(`/proc/${pid}/maps`, 'utf8')
        .split('\n')
        .filter((line) => line.endsWith('index.usearch'))
        .map((line) => line.slice(line.lastIndexOf(' ') + 1)),
    ).size;
  const pids = (await fx.status()).slots.map((slot) => slot.pid!);
  const counts = await waitFor(
    'each child maps one index version',
    () => {
      const seen = pids.map(mappedVersions);
      return seen.every((count) => count === 1) && seen;
    },
    3_000,
  ).catch(() => pids.map(mappedVersions));
  t.same(counts, [1, 1], 'index versions mapped per child');
});

t.test('API contract: bad input gets a clear 4xx JSON error', async (t) => {
  const fx = await startFixture(t, { count: 120 });
  await waitFor('served', async () => (await fx.status()).servingVersion);
  const id = fx.ids[0]!;
  const cases: [string, number, RegExp][] = [
    [`/recommend/${id}/0`, 400, /positive whole number/],
    [`/recommend/${id}/-3`, 400, /positive whole number/],
    [`/recommend/${id}/1.5`, 400, /positive whole number/],
    [`/recommend/${id}/abc`, 400, /positive whole number/],
    [`/recommend/${id}/1e3`, 400, /positive whole number/],
    [`/recommend/${id}/101`, 400, /at most 100/],
    [`/recommend/${id}/99999999999999999999`, 400, /at most 100/],
    [`/recommend/no-such-profile/5`, 404, /no profile with _id/],
    [`/recommend/${'x'.repeat(129)}/5`, 400, /1 to 128 characters/],
    [`/recommend/%2E%2E%2Fetc/5`, 400, /1 to 128 characters/],
    [`/recommend/caf%C3%A9/5`, 400, /1 to 128 characters/],
    [`/recommend/${id}`, 404, /no route/],
    [`/nothing-here`, 404, /no route/],
    [`/trace?limit=-1`, 400, /limit/],
  ];
  for (const [pathname, status, message] of cases) {
    const response = await fx.get(pathname);
    t.equal(response.status, status, `${pathname} -> ${status}`);
    t.match(response.body, { statusCode: status, code: String, message }, `${pathname} explains itself`);
  }
  const more = await fx.get<Neighbour[]>(`/recommend/${id}/100`);
  t.equal(more.status, 200);
  t.equal(more.body.length, 100, 'n within the cap but larger than what exists would return all; here 100 of 119');
  const tiny = await startFixture(t, { count: 6 });
  await waitFor('tiny served', async () => (await tiny.status()).servingVersion);
  const everything = await tiny.get<Neighbour[]>(`/recommend/${tiny.ids[0]}/50`);
  t.equal(everything.status, 200);
  t.equal(everything.body.length, 5, 'n larger than what exists: everything that exists, the profile excluded');

  const post = await fetch(`${fx.system.url}/recommend/${id}/5`, {
    method: 'POST',
    body: '{}',
    headers: { 'content-type': 'application/json' },
  });
  t.equal(post.status, 405);
  t.equal(post.headers.get('allow'), 'GET, HEAD');
  t.match(await post.json(), { code: 'TANDEM_ERR_METHOD_NOT_ALLOWED', message: /POST is not supported.*use GET/ });
  t.equal((await fx.get(`/recommend/${id}/3`)).status, 200, 'still answering valid requests');
});

t.test('before any index exists: 503 with Retry-After, not ready; then serves once published', async (t) => {
  const fx = await startFixture(t, { count: 50, publish: false });
  const early = await fx.get(`/recommend/${fx.ids[0]}/3`);
  t.equal(early.status, 503);
  t.equal(early.headers.get('retry-after'), '1');
  t.match(early.body, { code: 'TANDEM_ERR_NO_INDEX', message: /no index version/ });
  t.equal((await fx.get('/ready')).status, 503);
  t.equal((await fx.get('/health')).status, 200);
  const v1 = await fx.publish();
  await fx.waitServing(v1.version);
  t.equal((await fx.get('/ready')).status, 200);
  t.equal((await fx.get(`/recommend/${fx.ids[0]}/3`)).status, 200);
});
