// A seeded PRNG and the few helpers the generator needs. Math.random cannot be seeded, and the
// demo data must be byte-identical for a given seed so builds and benchmarks are comparable.

export type Rng = () => number;

/** mulberry32: 32-bit state, fast, good enough for demo data (not for cryptography). */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over UTF-16 code units: a stable string -> seed mapping that never changes across Node versions. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Integer in [min, max], both inclusive. */
export function intBetween(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function chance(rng: Rng, probability: number): boolean {
  return rng() < probability;
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick from an empty list');
  return items[Math.floor(rng() * items.length)]!;
}

/** Picks index i with probability weights[i] / sum(weights). */
export function pickWeighted<T>(rng: Rng, items: readonly T[], weights: readonly number[]): T {
  let total = 0;
  for (const w of weights) total += w;
  let roll = rng() * total;
  for (let i = 0; i < items.length; i++) {
    roll -= weights[i] ?? 0;
    if (roll < 0) return items[i]!;
  }
  return items[items.length - 1]!;
}

/**
 * k distinct items in their original order (Knuth's selection sampling): one pass, no shuffled
 * copy, and the output order is stable, which keeps generated JSON deterministic and readable.
 */
export function sample<T>(rng: Rng, items: readonly T[], k: number): T[] {
  const n = items.length;
  const want = Math.max(0, Math.min(k, n));
  const out: T[] = [];
  for (let i = 0; i < n && out.length < want; i++) {
    if (rng() * (n - i) < want - out.length) out.push(items[i]!);
  }
  return out;
}

/** Standard normal via Box-Muller; 1 - rng() keeps log() away from zero. */
export function gaussian(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** n lowercase hex digits. */
export function hexDigits(rng: Rng, n: number): string {
  let out = '';
  while (out.length < n) {
    out += Math.floor(rng() * 0x10000)
      .toString(16)
      .padStart(4, '0');
  }
  return out.slice(0, n);
}
