// Over HTTP on the HNSW path (more profiles than the full-scan threshold), with many clients at
// once: every caller gets its own answer (each distance is that of the asked profile to the
// returned one) and the answers agree with exact kNN within the recall target.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { createVectorizer } from '../builder/vectorize.js';
import { normalizeInPlace } from '../index-version/engine.js';
import { FULL_SCAN_MAX_ROWS } from '../roles/open-version.js';
import { startFixture } from './helpers/system-fixture.js';
import { waitFor } from './helpers/wait.js';

const COUNT = 6000;
const CLIENTS = 32;
const QUERIES = 640;
const N = 10;

t.test('many clients at once on the HNSW path: each gets its own, correct answer', async (t) => {
  t.ok(COUNT > FULL_SCAN_MAX_ROWS, 'above the full-scan threshold: the graph answers');
  const fx = await startFixture(t, { count: COUNT, seed: 21 });
  await waitFor('serving', async () => (await fx.status()).state === 'serving', 30_000);
  const vectorize = createVectorizer().vectorize;
  const profiles = readFileSync(fx.source, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown> & { _id: string });
  const vectors = new Map(profiles.map((p) => [p._id, normalizeInPlace(Float32Array.from(vectorize(p)))]));
  const distance = (a: string, b: string) => {
    const x = vectors.get(a)!;
    const y = vectors.get(b)!;
    let dot = 0;
    for (let i = 0; i < x.length; i++) dot += x[i]! * y[i]!;
    return 1 - dot;
  };
  const exactTop = (id: string) =>
    profiles
      .filter((p) => p._id !== id)
      .map((p) => ({ id: p._id, d: distance(id, p._id) }))
      .sort((a, b) => a.d - b.d)
      .slice(0, N);

  const asked = Array.from({ length: QUERIES }, (_, i) => fx.ids[(i * 7919) % fx.ids.length]!);
  const answers = new Array<{ _id: string; distance: number }[]>(QUERIES);
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < QUERIES; i = next++) {
        const response = await fetch(`${fx.system.url}/recommend/${asked[i]}/${N}`, { signal: AbortSignal.timeout(10_000) });
        if (response.status !== 200) t.fail(`query ${i}: ${response.status} ${await response.text()}`);
        answers[i] = (await response.json()) as { _id: string; distance: number }[];
      }
    }),
  );
  let foreign = 0;
  let hits = 0;
  for (let i = 0; i < QUERIES; i++) {
    // Each distance is the asked profile's to the returned one: an answer meant for another caller fails here.
    if (answers[i]!.some((r) => Math.abs(r.distance - distance(asked[i]!, r._id)) > 1e-4)) foreign++;
    const truth = exactTop(asked[i]!);
    // Ties at the 10th distance make either profile right.
    const cutoff = truth[N - 1]!.d + 1e-6;
    hits += answers[i]!.filter((r) => r.distance <= cutoff).length;
  }
  t.equal(foreign, 0, `all ${QUERIES} answers belong to the query that asked`);
  const recall = hits / (QUERIES * N);
  t.ok(recall >= 0.98, `recall@${N} ${recall.toFixed(4)} against exact kNN`);
});
