import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { CITIES, FEMALE_NAMES, INTERESTS, MALE_NAMES, SURNAMES } from '../builder/demo-vocabulary.js';
import { generateProfiles, writeProfilesJsonl } from '../builder/generate.js';
import { fnv1a32, mulberry32, sample } from '../builder/random.js';
import { PROGRAMS } from './helpers/paths.js';
import { finished, spawnNode } from './helpers/spawn.js';

t.test('mulberry32 and fnv1a32 are stable across runs', async (t) => {
  const a = mulberry32(1);
  const b = mulberry32(1);
  for (let i = 0; i < 100; i++) t.equal(a(), b());
  const rng = mulberry32(123);
  for (let i = 0; i < 1000; i++) {
    const x = rng();
    if (x < 0 || x >= 1) t.fail(`out of range: ${x}`);
  }
  // Pinned values: a change here silently changes every generated data set and every vector.
  t.equal(fnv1a32(''), 0x811c9dc5);
  t.equal(fnv1a32('a'), 0xe40c292c);
  t.equal(fnv1a32('foobar'), 0xbf9cf968);
});

t.test('sample keeps order and never repeats', async (t) => {
  const rng = mulberry32(9);
  const items = Array.from({ length: 40 }, (_, i) => i);
  for (let round = 0; round < 200; round++) {
    const got = sample(rng, items, 6);
    t.equal(got.length, 6);
    t.same(
      [...got].sort((x, y) => x - y),
      got,
      'in original order',
    );
    t.equal(new Set(got).size, 6);
  }
  t.same(sample(rng, [1, 2], 5), [1, 2], 'k larger than the list takes all');
});

t.test('same seed and count give the same profiles; another seed does not', async (t) => {
  const a = [...generateProfiles({ count: 300, seed: 5 })];
  const b = [...generateProfiles({ count: 300, seed: 5 })];
  const c = [...generateProfiles({ count: 300, seed: 6 })];
  t.same(a, b);
  t.not(JSON.stringify(a), JSON.stringify(c));
  t.equal([...generateProfiles()].length, 10_000, 'count defaults to 10k');
});

t.test('profiles have the documented shape and unique ObjectId-style ids', async (t) => {
  const profiles = [...generateProfiles({ count: 20_000, seed: 42 })];
  const ids = new Set<string>();
  let previous = '';
  let bad = 0;
  const names = new Set<string>([...FEMALE_NAMES, ...MALE_NAMES]);
  for (const p of profiles) {
    ids.add(p._id);
    const ok =
      /^[0-9a-f]{24}$/.test(p._id) &&
      p._id > previous &&
      names.has(p.name) &&
      (SURNAMES as readonly string[]).includes(p.surname) &&
      Number.isInteger(p.age) &&
      p.age >= 18 &&
      p.age <= 70 &&
      ['female', 'male', 'nonbinary'].includes(p.gender) &&
      (CITIES as readonly string[]).includes(p.city) &&
      p.interests.length >= 3 &&
      p.interests.length <= 6 &&
      new Set(p.interests).size === p.interests.length &&
      p.interests.every((i) => (INTERESTS as readonly string[]).includes(i)) &&
      typeof p.bio === 'string' &&
      p.bio.length > 10 &&
      p.interests.some((i) => p.bio.toLowerCase().includes(i));
    if (!ok) {
      bad++;
      if (bad < 5) t.fail(`bad profile ${JSON.stringify(p)}`);
    }
    previous = p._id;
  }
  t.equal(bad, 0, 'every profile well-formed');
  t.equal(ids.size, profiles.length, 'ids unique');
  t.same(Object.keys(profiles[0]!), ['_id', 'name', 'surname', 'age', 'gender', 'city', 'interests', 'bio', 'seeking']);
});

t.test('tribes make the data clustered, not uniform', async (t) => {
  // With 40 interests drawn uniformly, a given pair co-occurs rarely; tribes make some pairs common.
  const pairs = new Map<string, number>();
  const profiles = [...generateProfiles({ count: 5000, seed: 1 })];
  for (const p of profiles) {
    for (let i = 0; i < p.interests.length; i++) {
      for (let j = i + 1; j < p.interests.length; j++) {
        const key = `${p.interests[i]}|${p.interests[j]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }
    }
  }
  const counts = [...pairs.values()].sort((x, y) => y - x);
  const mean = counts.reduce((s, x) => s + x, 0) / counts.length;
  t.ok(counts[0]! > 4 * mean, `most common pair ${counts[0]} vs mean ${mean.toFixed(1)}`);
});

t.test('the CLI writes byte-identical files for the same seed, atomically', async (t) => {
  const dir = t.testdir();
  const run = async (out: string, seed: number) =>
    finished(await spawnNode(t, PROGRAMS.generate, ['--count', '2500', '--seed', String(seed), '--out', out]));
  const first = await run(path.join(dir, 'a/profiles.jsonl'), 11);
  t.equal(first.code, 0, first.stderr);
  const second = await run(path.join(dir, 'b.jsonl'), 11);
  t.equal(second.code, 0, second.stderr);
  const third = await run(path.join(dir, 'c.jsonl'), 12);
  t.equal(third.code, 0, third.stderr);
  const a = readFileSync(path.join(dir, 'a/profiles.jsonl'));
  t.ok(a.equals(readFileSync(path.join(dir, 'b.jsonl'))), 'byte-identical');
  t.notOk(a.equals(readFileSync(path.join(dir, 'c.jsonl'))), 'another seed differs');
  const lines = a.toString('utf8').split('\n');
  t.equal(lines.length, 2501, '2500 lines and a final newline');
  t.equal(lines.at(-1), '');
  t.same(JSON.parse(lines[0]!), [...generateProfiles({ count: 1, seed: 11 })][0], 'matches the library');
  t.same(readdirSync(dir).sort(), ['a', 'b.jsonl', 'c.jsonl'], 'no temporaries left');

  const bad = await finished(await spawnNode(t, PROGRAMS.generate, ['--count', 'many']));
  t.not(bad.code, 0, 'bad --count is rejected');
});

t.test('writeProfilesJsonl streams a large count in bounded memory', async (t) => {
  const out = path.join(t.testdir(), 'big.jsonl');
  await writeProfilesJsonl(out, 50_000, 3);
  const text = readFileSync(out, 'utf8');
  t.equal(text.split('\n').length, 50_001);
});
