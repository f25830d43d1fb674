// Index engine at scale: usearch (our engine) against hnswlib-node on the same clustered data, in
// the same process, alternating: build time, file size, load() vs view(), recall@10 and single-query
// p50/p99 at several search expansions; usearch cos vs ip-on-normalised, f32 vs f16 vs i8.
// Data, ground truth and built indexes are cached under .cache/bench/engine-<n>/.
// Writes bench/results/engine-<count>.json.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import hnswlib from 'hnswlib-node';
import usearch, { type MetricKind, type ScalarKind } from 'usearch';
import { mulberry32 } from '../builder/random.js';
import { CACHE, ensureDir, log, machine, median, percentile, QUICK, RESULTS, readJson, writeJson } from './common.js';

const DIMS = 128;
const K = 10;
const QUERIES = Number(process.env.BENCH_ENGINE_QUERIES ?? 1000);
const COUNT = Number(process.env.BENCH_ENGINE_COUNT ?? (QUICK ? 50_000 : 1_000_000));
const CLUSTERS = Number(process.env.BENCH_ENGINE_CLUSTERS ?? 1000);
const THREADS = Number(process.env.BENCH_ENGINE_THREADS ?? 2);
/** The peer's graph degree (the issue fixes hnswlib-node at M=16, efConstruction=128); usearch variants say their own. */
const M = 16;
const EF_CONSTRUCTION = 128;
const EFS = (process.env.BENCH_ENGINE_EFS ?? '16,32,40,48,56,64,72,80,96,128,256').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ENGINE_ROUNDS ?? 4);
const DIR = ensureDir(path.join(CACHE, `engine-${COUNT}`));

interface Variant {
  name: string;
  metric: 'cos' | 'ip';
  quantization: 'f32' | 'f16' | 'i8';
  normalised: boolean;
  /** usearch's graph degree (links per node above level 0; twice that at level 0, as hnswlib). */
  connectivity: number;
}

const VARIANTS: Variant[] = [
  { name: 'usearch cos f32', metric: 'cos', quantization: 'f32', normalised: false, connectivity: M },
  { name: 'usearch ip f32 (normalised)', metric: 'ip', quantization: 'f32', normalised: true, connectivity: M },
  { name: 'usearch cos f16', metric: 'cos', quantization: 'f16', normalised: false, connectivity: M },
  { name: 'usearch ip f16 (normalised)', metric: 'ip', quantization: 'f16', normalised: true, connectivity: M },
  { name: 'usearch cos i8', metric: 'cos', quantization: 'i8', normalised: false, connectivity: M },
  { name: 'usearch ip i8 (normalised)', metric: 'ip', quantization: 'i8', normalised: true, connectivity: M },
  // A denser graph reaches a given recall at a much smaller ef (fewer hops), which pays where
  // each visited node costs usearch more than hnswlib.
  { name: 'usearch ip f32 (normalised) M=32', metric: 'ip', quantization: 'f32', normalised: true, connectivity: 32 },
  { name: 'usearch ip f16 (normalised) M=32', metric: 'ip', quantization: 'f16', normalised: true, connectivity: 32 },
];
const enabled = (process.env.BENCH_ENGINE_VARIANTS ?? '').split(',').filter(Boolean);
const variants = enabled.length ? VARIANTS.filter((v) => enabled.some((e) => v.name.includes(e))) : VARIANTS;

/** Gaussian mixture: CLUSTERS centres ~ N(0, 1), points = centre + N(0, 0.5^2) per dimension. */
function gaussianMixture(count: number, seed: number, centres: Float32Array): Float32Array {
  const rng = mulberry32(seed);
  const gauss = () => {
    const u = 1 - rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  };
  const out = new Float32Array(count * DIMS);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(rng() * CLUSTERS);
    for (let d = 0; d < DIMS; d++) out[i * DIMS + d] = centres[c * DIMS + d]! + 0.5 * gauss();
  }
  return out;
}

function normalise(vectors: Float32Array): Float32Array {
  const out = new Float32Array(vectors.length);
  for (let i = 0; i < vectors.length; i += DIMS) {
    let s = 0;
    for (let d = 0; d < DIMS; d++) s += vectors[i + d]! ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < DIMS; d++) out[i + d] = vectors[i + d]! * inv;
  }
  return out;
}

function loadF32(file: string): Float32Array {
  const b = readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

function prepareData(): { base: Float32Array; queries: Float32Array; truth: Uint32Array } {
  const baseFile = path.join(DIR, 'base.f32');
  const queryFile = path.join(DIR, 'queries.f32');
  const truthFile = path.join(DIR, 'truth.u32');
  if (!existsSync(baseFile) || !existsSync(queryFile)) {
    log(`engine: generating ${COUNT} + ${QUERIES} x ${DIMS} Gaussian-mixture vectors (${CLUSTERS} clusters)`);
    const rng = mulberry32(7);
    const centres = new Float32Array(CLUSTERS * DIMS);
    for (let i = 0; i < centres.length; i++) {
      const u = 1 - rng();
      centres[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
    }
    writeFileSync(queryFile, gaussianMixture(QUERIES, 99, centres));
    writeFileSync(baseFile, gaussianMixture(COUNT, 11, centres));
  }
  const base = loadF32(baseFile);
  const queries = loadF32(queryFile);
  if (!existsSync(truthFile)) {
    log(`engine: exact top-${K} ground truth for ${QUERIES} queries (usearch exactSearch, cos, ${THREADS} threads)`);
    const t = performance.now();
    const matches = usearch.exactSearch(base, queries, DIMS, K, 'cos' as MetricKind, THREADS) as InstanceType<typeof usearch.BatchMatches>;
    const truth = new Uint32Array(QUERIES * K);
    for (let i = 0; i < truth.length; i++) truth[i] = Number(matches.keys[i]);
    writeFileSync(truthFile, truth);
    log(`engine: ground truth in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const tb = readFileSync(truthFile);
  return { base, queries, truth: new Uint32Array(tb.buffer, tb.byteOffset, tb.byteLength / 4) };
}

interface BuildInfo {
  buildMs: number;
  threads: number;
  bytes: number;
  /** Set by hand when a build's wall time is not clean (e.g. it shared the machine). */
  note?: string;
}

function recallOf(found: ArrayLike<number>[], truth: Uint32Array): number {
  let hits = 0;
  for (let q = 0; q < found.length; q++) {
    const want = new Set(truth.subarray(q * K, (q + 1) * K));
    for (const key of Array.from(found[q]!)) if (want.has(key)) hits++;
  }
  return hits / (found.length * K);
}

interface SearchRow {
  engine: string;
  ef: number;
  recall: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

function timeQueries(count: number, fn: (q: number) => ArrayLike<number>): { found: ArrayLike<number>[]; us: number[] } {
  const found: ArrayLike<number>[] = [];
  const us: number[] = [];
  for (let q = 0; q < count; q++) {
    const t = performance.now();
    const keys = fn(q);
    us.push((performance.now() - t) * 1000);
    found.push(keys);
  }
  return { found, us };
}

export async function benchEngine(): Promise<void> {
  const { base, queries, truth } = prepareData();
  // One file per build, so builds can run in separate processes at once.
  const buildFile = (name: string) => path.join(DIR, `build-${name.replace(/[^a-z0-9]+/gi, '-')}.json`);
  const builds: Record<string, BuildInfo> = { ...(readJson<Record<string, BuildInfo>>(path.join(DIR, 'builds.json')) ?? {}) };
  for (const name of [...VARIANTS.map((v) => v.name), 'hnswlib']) {
    const info = readJson<BuildInfo>(buildFile(name));
    if (info) builds[name] = info;
  }
  const saveBuild = (name: string, info: BuildInfo) => {
    builds[name] = info;
    writeJson(buildFile(name), info);
  };
  let normBase: Float32Array | null = null;
  const normQueries = normalise(queries);

  // Builds (cached): usearch variants with THREADS threads, hnswlib-node single-threaded (its Node API adds one point per call).
  for (const v of variants) {
    const file = path.join(DIR, `${v.name.replace(/[^a-z0-9]+/gi, '-')}.usearch`);
    if (builds[v.name] && existsSync(file)) continue;
    if (v.normalised) normBase ??= normalise(base);
    const data = v.normalised && normBase ? normBase : base;
    log(`engine: building ${v.name} (${THREADS} threads)`);
    const index = new usearch.Index({
      dimensions: DIMS,
      metric: v.metric as MetricKind,
      quantization: v.quantization as ScalarKind,
      connectivity: v.connectivity,
      expansion_add: EF_CONSTRUCTION,
      expansion_search: 64,
      multi: false,
    });
    const keys = new BigUint64Array(COUNT);
    for (let i = 0; i < COUNT; i++) keys[i] = BigInt(i);
    const t = performance.now();
    index.add(keys, data, THREADS);
    const buildMs = performance.now() - t;
    index.save(file);
    saveBuild(v.name, { buildMs, threads: THREADS, bytes: statSync(file).size });
    log(`engine: ${v.name} built in ${(buildMs / 1000).toFixed(1)} s`);
  }
  const hnswFile = path.join(DIR, 'hnswlib.bin');
  const wantHnsw = enabled.length === 0 || enabled.some((e) => 'hnswlib'.includes(e));
  if (wantHnsw && (!builds.hnswlib || !existsSync(hnswFile))) {
    log('engine: building hnswlib-node (M=16, efConstruction=128, 1 thread)');
    const index = new hnswlib.HierarchicalNSW('cosine', DIMS);
    index.initIndex(COUNT, M, EF_CONSTRUCTION, 100);
    const t = performance.now();
    for (let i = 0; i < COUNT; i++) index.addPoint(Array.from(base.subarray(i * DIMS, (i + 1) * DIMS)), i);
    const buildMs = performance.now() - t;
    index.writeIndexSync(hnswFile);
    saveBuild('hnswlib', { buildMs, threads: 1, bytes: statSync(hnswFile).size });
    log(`engine: hnswlib-node built in ${(buildMs / 1000).toFixed(1)} s`);
  }

  if (process.env.BENCH_ENGINE_BUILD_ONLY === '1') return;
  // Keep only the builds this run measures.
  for (const name of Object.keys(builds)) if (name !== 'hnswlib' ? !variants.some((v) => v.name === name) : !wantHnsw) delete builds[name];

  // Open times: load() copies into the heap, view() memory-maps (page cache warm from the build or a previous run).
  const open: Record<string, { loadMs: number; viewMs: number }> = {};
  const viewed = new Map<string, (ef: number) => InstanceType<typeof usearch.Index>>();
  for (const v of variants) {
    const file = path.join(DIR, `${v.name.replace(/[^a-z0-9]+/gi, '-')}.usearch`);
    const make = (ef: number) =>
      new usearch.Index({
        dimensions: DIMS,
        metric: v.metric as MetricKind,
        quantization: v.quantization as ScalarKind,
        connectivity: v.connectivity,
        expansion_add: EF_CONSTRUCTION,
        expansion_search: ef,
        multi: false,
      });
    let t = performance.now();
    make(64).load(file);
    const loadMs = performance.now() - t;
    t = performance.now();
    make(64).view(file);
    const viewMs = performance.now() - t;
    open[v.name] = { loadMs, viewMs };
    viewed.set(v.name, (ef) => {
      const index = make(ef);
      index.view(file);
      return index;
    });
  }
  let hnsw: InstanceType<typeof hnswlib.HierarchicalNSW> | null = null;
  if (wantHnsw) {
    hnsw = new hnswlib.HierarchicalNSW('cosine', DIMS);
    const t = performance.now();
    hnsw.readIndexSync(hnswFile);
    open.hnswlib = { loadMs: performance.now() - t, viewMs: NaN };
  }

  // Search: the same 1,000 queries one at a time on one thread, engines alternating per ef and round.
  const queryArrays = Array.from({ length: QUERIES }, (_, q) => Array.from(queries.subarray(q * DIMS, (q + 1) * DIMS)));
  const rows: SearchRow[] = [];
  for (const ef of EFS) {
    const perEngine = new Map<string, { recall: number; p50: number[]; p99: number[]; mean: number[] }>();
    const indexes = variants.map((v) => ({ v, index: viewed.get(v.name)!(ef) }));
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['hnswlib', ...variants.map((v) => v.name)] : [...variants.map((v) => v.name), 'hnswlib'];
      for (const name of order) {
        let result: { found: ArrayLike<number>[]; us: number[] };
        if (name === 'hnswlib') {
          if (!hnsw) continue;
          hnsw.setEf(ef);
          const h = hnsw;
          result = timeQueries(QUERIES, (q) => h.searchKnn(queryArrays[q]!, K).neighbors);
        } else {
          const entry = indexes.find((x) => x.v.name === name)!;
          const qs = entry.v.normalised ? normQueries : queries;
          result = timeQueries(QUERIES, (q) => {
            const m = entry.index.search(qs.subarray(q * DIMS, (q + 1) * DIMS), K, 1) as InstanceType<typeof usearch.Matches>;
            return Array.from(m.keys, Number);
          });
        }
        const sorted = Float64Array.from(result.us).sort();
        const e = perEngine.get(name) ?? { recall: recallOf(result.found, truth), p50: [], p99: [], mean: [] };
        e.p50.push(percentile(sorted, 50));
        e.p99.push(percentile(sorted, 99));
        e.mean.push(result.us.reduce((a, b) => a + b, 0) / result.us.length);
        perEngine.set(name, e);
      }
    }
    for (const [engine, e] of perEngine) {
      rows.push({ engine, ef, recall: e.recall, p50Us: median(e.p50), p99Us: median(e.p99), meanUs: median(e.mean) });
      log(
        `engine ef=${ef} ${engine}: recall@10 ${e.recall.toFixed(4)} p50 ${median(e.p50).toFixed(0)} us p99 ${median(e.p99).toFixed(0)} us`,
      );
    }
  }
  writeJson(path.join(RESULTS, `engine-${COUNT}.json`), {
    machine: machine(),
    quick: QUICK,
    count: COUNT,
    dims: DIMS,
    queries: QUERIES,
    clusters: CLUSTERS,
    m: M,
    efConstruction: EF_CONSTRUCTION,
    rounds: ROUNDS,
    command: `BENCH_ENGINE_COUNT=${COUNT} node dist/bench/engine.js`,
    builds,
    open,
    rows,
  });
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) await benchEngine();
