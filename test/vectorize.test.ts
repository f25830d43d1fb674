import path from 'node:path';
import t from 'tap';
import { BUILTIN_VECTORIZER, createVectorizer, DEFAULT_DIMS, loadVectorizer, vectorFromField } from '../builder/vectorize.js';
import { FIXTURES } from './helpers/paths.js';

function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return 1 - dot / Math.sqrt(na * nb);
}

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

const base = {
  _id: 'a',
  name: 'Ann',
  age: 31,
  gender: 'female',
  city: 'Oslo',
  interests: ['chess', 'jazz', 'hiking'],
  bio: 'Jazz and chess in Oslo.',
};

t.test('deterministic and unit-normalised', async (t) => {
  const v1 = createVectorizer().vectorize(base);
  const v2 = createVectorizer({ dims: DEFAULT_DIMS }).vectorize({ ...base });
  t.equal(DEFAULT_DIMS, 128);
  t.equal(v1.length, 128);
  t.ok(v1 instanceof Float32Array);
  t.same(Array.from(v1), Array.from(v2), 'same profile, same vector, across instances');
  t.ok(Math.abs(norm(v1) - 1) < 1e-5, `norm ${norm(v1)}`);
  const small = createVectorizer({ dims: 16 }).vectorize(base);
  t.equal(small.length, 16);
  t.ok(Math.abs(norm(small) - 1) < 1e-5);
  t.throws(() => createVectorizer({ dims: 0 }), RangeError);
});

t.test('interest order, case and duplicates do not matter', async (t) => {
  const { vectorize } = createVectorizer();
  const a = vectorize(base);
  const b = vectorize({ ...base, interests: ['Hiking ', 'jazz', 'CHESS', 'jazz'] });
  t.ok(cosineDistance(a, b) < 1e-6);
});

t.test('shared features bring profiles closer', async (t) => {
  const { vectorize } = createVectorizer();
  const a = vectorize(base);
  const similar = vectorize({ ...base, _id: 'b', interests: ['chess', 'jazz', 'poetry'], bio: 'Chess, mostly.' });
  const disjoint = vectorize({
    _id: 'c',
    age: 64,
    gender: 'male',
    city: 'Lisbon',
    interests: ['surfing', 'wine', 'opera'],
    bio: 'Surf and opera.',
  });
  const sameCityOnly = vectorize({ ...base, _id: 'd', interests: ['surfing', 'wine', 'opera'], bio: '' });
  const dSimilar = cosineDistance(a, similar);
  const dDisjoint = cosineDistance(a, disjoint);
  t.ok(dSimilar < dDisjoint, `similar ${dSimilar.toFixed(3)} < disjoint ${dDisjoint.toFixed(3)}`);
  t.ok(cosineDistance(a, sameCityOnly) < dDisjoint, 'a shared city and age count too');
  t.ok(dDisjoint > 0.7, `disjoint profiles are near-orthogonal (${dDisjoint.toFixed(3)})`);
});

t.test('age is smooth: near ages are nearer than far ones', async (t) => {
  const { vectorize } = createVectorizer();
  const at = (age: number) => vectorize({ _id: 'x', age });
  const d1 = cosineDistance(at(30), at(31));
  const d4 = cosineDistance(at(30), at(34));
  const d30 = cosineDistance(at(30), at(60));
  t.ok(d1 < d4 && d4 < d30, `${d1.toFixed(3)} < ${d4.toFixed(3)} < ${d30.toFixed(3)}`);
  // Across a bucket boundary (34 -> 35) there is no jump.
  t.ok(cosineDistance(at(34), at(35)) < 0.1);
});

t.test('a profile of the original service (_id, name, surname only) is placed by its name and surname', async (t) => {
  const { vectorize } = createVectorizer();
  const ada = vectorize({ _id: 'a', name: 'Ada', surname: 'Lovelace' });
  t.ok(Math.abs(norm(ada) - 1) < 1e-5, 'a unit vector, not the zero vector: it can be recommended');
  const sameName = vectorize({ _id: 'b', name: 'ada ', surname: 'Byron' });
  const stranger = vectorize({ _id: 'c', name: 'Grace', surname: 'Hopper' });
  t.ok(cosineDistance(ada, sameName) < cosineDistance(ada, stranger), 'a shared name (case and spaces aside) is nearer');
  t.same(
    Array.from(vectorize({ ...base, surname: 'Lovelace' })),
    Array.from(vectorize(base)),
    'with any descriptive feature the name plays no part',
  );
});

t.test('a profile with nothing to go on, not even a name, is the zero vector (the validator rejects it)', async (t) => {
  const v = createVectorizer().vectorize({ _id: 'z', name: ' ' });
  t.equal(norm(v), 0);
  t.equal(v.length, 128);
});

t.test('a carried `vector` is used as is', async (t) => {
  const { vectorize } = createVectorizer();
  const v = vectorize({ ...base, vector: [3, 4, 0.5] });
  t.same(Array.from(v), [3, 4, 0.5], 'not normalised, not re-dimensioned: the validator judges it');
  t.throws(() => vectorize({ ...base, vector: 'nope' }), /must be an array of numbers/);
  t.throws(() => vectorize({ ...base, vector: [1, null, 2] }), /\[1\] is null/);
  t.equal(vectorFromField(JSON.parse('[1e400]'))[0], Infinity, 'JSON overflow stays visible as non-finite');
});

t.test('loadVectorizer: built-in by default', async (t) => {
  const v = await loadVectorizer();
  t.equal(v.name, BUILTIN_VECTORIZER);
  t.equal(v.dims, 128);
  t.equal((await loadVectorizer(undefined, 32)).dims, 32);
});

t.test('loadVectorizer: a user module', async (t) => {
  const v = await loadVectorizer(path.join(FIXTURES, 'custom-vectorizer.mjs'));
  t.equal(v.name, 'custom-test');
  t.equal(v.dims, 4);
  const out = v.vectorize({ _id: 'q', age: 50, interests: ['a', 'b'], city: 'Oslo' });
  t.ok(out instanceof Float32Array, 'arrays are converted');
  t.same(Array.from(out), [1, 2, 0.5, 1]);
  t.same(Array.from(v.vectorize({ _id: 'q', vector: [9, 9] })), [9, 9], 'passthrough applies to user vectorizers too');
  t.throws(() => v.vectorize({ _id: 'q', explode: true }), /refused/);
  t.equal((await loadVectorizer(path.join(FIXTURES, 'custom-vectorizer.mjs'), 4)).dims, 4, 'agreeing dims are fine');
  await t.rejects(loadVectorizer(path.join(FIXTURES, 'custom-vectorizer.mjs'), 8), /declares dims 4, but dims 8/);
  await t.rejects(loadVectorizer(path.join(FIXTURES, 'not-a-vectorizer.mjs')), /does not export a vectorize/);
  await t.rejects(loadVectorizer(path.join(FIXTURES, 'missing.mjs')), /cannot load vectorizer module/);
});
