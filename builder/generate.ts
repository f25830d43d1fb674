// Deterministic demo profiles. Profiles come from ~20 latent "tribes" (shared interests, cities,
// age range) so that nearest neighbours are meaningful to a human looking at the results,
// rather than uniform noise where every neighbour is equally arbitrary.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { BIO_TEMPLATES, CITIES, FEMALE_NAMES, GENDERS, INTERESTS, MALE_NAMES, SURNAMES } from './demo-vocabulary.js';
import { chance, hexDigits, intBetween, mulberry32, pick, pickWeighted, type Rng, sample } from './random.js';

export type Gender = 'female' | 'male' | 'nonbinary';

// A type alias, not an interface: it stays assignable to the vectorizer's Record<string, unknown>.
export type Profile = {
  _id: string;
  name: string;
  surname: string;
  age: number;
  gender: Gender;
  city: string;
  interests: string[];
  bio: string;
  seeking: { genders: Gender[]; ageMin: number; ageMax: number };
};

export interface GenerateOptions {
  count?: number;
  seed?: number;
}

const INTEREST_ORDER = new Map<string, number>(INTERESTS.map((interest, i) => [interest, i]));
const TRIBE_COUNT = 20;
const ID_BASE_SECONDS = 1_500_000_000; // 2017-07-14: ids look like real ObjectIds from a signup stream
const MAX_ID_SECONDS = 0xffffffff;

interface Tribe {
  interests: string[];
  cities: string[];
  ageCenter: number;
  ageSpread: number;
  genderWeights: number[];
}

// Tribes come from their own PRNG stream so that changing how profiles are drawn never
// reshuffles the tribes themselves.
function makeTribes(seed: number): Tribe[] {
  const rng = mulberry32(seed ^ 0x5eed7ab1);
  const tribes: Tribe[] = [];
  for (let t = 0; t < TRIBE_COUNT; t++) {
    tribes.push({
      interests: sample(rng, INTERESTS, intBetween(rng, 6, 8)),
      cities: sample(rng, CITIES, intBetween(rng, 2, 4)),
      ageCenter: intBetween(rng, 22, 62),
      ageSpread: intBetween(rng, 3, 8),
      genderWeights: [intBetween(rng, 20, 80), intBetween(rng, 20, 80), intBetween(rng, 2, 8)],
    });
  }
  return tribes;
}

function drawInterests(rng: Rng, tribe: Tribe): string[] {
  const want = intBetween(rng, 3, 6);
  const chosen = new Set<string>();
  // Mostly tribe interests, with some from anywhere so tribes overlap like real people do.
  while (chosen.size < want) {
    chosen.add(chance(rng, 0.8) ? pick(rng, tribe.interests) : pick(rng, INTERESTS));
  }
  // Canonical order: output is then independent of draw order and easy to diff.
  return [...chosen].sort((a, b) => INTEREST_ORDER.get(a)! - INTEREST_ORDER.get(b)!);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function clampAge(age: number): number {
  return Math.max(18, Math.min(70, Math.round(age)));
}

/** Yields `count` profiles; the same count and seed always yield the same profiles. */
export function* generateProfiles(options: GenerateOptions = {}): Generator<Profile> {
  const count = options.count ?? 10_000;
  const seed = options.seed ?? 42;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);

  const tribes = makeTribes(seed);
  const rng = mulberry32(seed);
  // A stream of its own, so adding `seeking` left every other field of the demo data as it was.
  const seekingRng = mulberry32(seed ^ 0x5eec1);
  // Strictly increasing timestamps make ids unique by construction, not by luck of the random part.
  const maxStep = Math.min(120, Math.floor((MAX_ID_SECONDS - ID_BASE_SECONDS) / Math.max(1, count)));
  if (maxStep < 1) throw new RangeError(`count ${count} is too large for unique 32-bit id timestamps`);
  let seconds = ID_BASE_SECONDS + intBetween(rng, 0, 86_400);

  for (let i = 0; i < count; i++) {
    seconds += intBetween(rng, 1, maxStep);
    const tribe = pick(rng, tribes);
    const gender = pickWeighted(rng, GENDERS, tribe.genderWeights);
    const names = gender === 'female' ? FEMALE_NAMES : gender === 'male' ? MALE_NAMES : chance(rng, 0.5) ? FEMALE_NAMES : MALE_NAMES;
    const city = chance(rng, 0.75) ? pick(rng, tribe.cities) : pick(rng, CITIES);
    const age = clampAge(tribe.ageCenter + (rng() * 2 - 1) * tribe.ageSpread);
    const interests = drawInterests(rng, tribe);
    const template = pick(rng, BIO_TEMPLATES);
    const [first, second] = sample(rng, interests, 2);
    yield {
      _id: seconds.toString(16).padStart(8, '0') + hexDigits(rng, 16),
      name: pick(rng, names),
      surname: pick(rng, SURNAMES),
      age,
      gender,
      city,
      interests,
      bio: capitalize(template(first!, second ?? first!, city)),
      seeking: drawSeeking(seekingRng, gender, age),
    };
  }
}

/** Most seek another gender within a few years of their own age, some more than one gender. */
function drawSeeking(rng: Rng, gender: Gender, age: number): Profile['seeking'] {
  const others = GENDERS.filter((g) => g !== gender);
  const genders: Gender[] =
    gender === 'nonbinary'
      ? sample(rng, [...GENDERS], intBetween(rng, 1, 3))
      : chance(rng, 0.85)
        ? [others.find((g) => g !== 'nonbinary')!]
        : chance(rng, 0.5)
          ? [gender]
          : sample(rng, [...GENDERS], 2);
  const ageMin = clampAge(age - intBetween(rng, 2, 8));
  const ageMax = clampAge(age + intBetween(rng, 2, 10));
  return { genders: [...genders].sort(), ageMin, ageMax };
}

// ~1 MB writes: few syscalls, bounded memory.
const CHUNK_CHARS = 1 << 20;

/**
 * Writes profiles as JSON lines. Streams, so a million profiles never sit in memory at once, and
 * publishes by rename, so a watching builder never reads a half-written source.
 */
export async function writeProfilesJsonl(out: string, count: number, seed: number): Promise<void> {
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const stream = createWriteStream(tmp);
  try {
    let chunk = '';
    for (const profile of generateProfiles({ count, seed })) {
      chunk += `${JSON.stringify(profile)}\n`;
      if (chunk.length >= CHUNK_CHARS) {
        if (!stream.write(chunk)) await once(stream, 'drain');
        chunk = '';
      }
    }
    stream.end(chunk);
    await once(stream, 'finish');
    const handle = await open(tmp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, out);
  } catch (err) {
    stream.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
}
