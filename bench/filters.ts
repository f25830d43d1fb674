// Filtered search: recall@10 against exact filtered kNN, and queries per second, at 50%, 10%, 1%
// and 0.1% of the profiles matching, against the same queries unfiltered. In one process, through
// the answer child's own code (roles/query-request.ts, HeldIndex.nearestMany): at 1M profiles the
// child's search is what bounds throughput, and this isolates it from HTTP and the hop.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { QueryFilter } from '../channel/query-batch.js';
import { exactNearest } from '../index-version/engine.js';
import { VECTORS_FILE } from '../index-version/format.js';
import { planCounts } from '../roles/filtered-search.js';
import { HeldIndex } from '../roles/held-index.js';
import { compileFilter, type RowTest } from '../roles/query-filter.js';
import { toRequest } from '../roles/query-request.js';
import { log, machine, percentileOf, QUICK, RESULTS, timeQueries, writeJson } from './common.js';
import { type DatasetName, prepareDataset, readIds } from './datasets.js';

const TARGETS = [0.5, 0.1, 0.01, 0.001];
const K = 10;
const CELL_MS = QUICK ? 300 : 2000;

export interface FilterRow {
  target: number;
  selectivity: number;
  filter: QueryFilter;
  recall: number;
  /** Queries per second of one thread, per round (unfiltered: the same queries without the filter). */
  qps: number[];
  /** This process's CPU time per query, per round: what the search costs whatever share of the cores it got. */
  cpuUs: number[];
  p50Us: number;
  p99Us: number;
  plans: { exact: number; graph: number };
}

export interface FiltersFile {
  machine: ReturnType<typeof machine>;
  /** Absent in files from before it was recorded. */
  quick?: boolean;
  dataset: string;
  count: number;
  queries: number;
  rounds: number;
  command: string;
  unfiltered: { qps: number[]; cpuUs: number[]; p50Us: number; p99Us: number };
  rows: FilterRow[];
}

/** The share of rows a filter admits, counted over every row. */
function shareOf(held: HeldIndex, filter: QueryFilter): number {
  const { test } = compileFilter(filter, null, held.rows.attributes, new Set());
  let passed = 0;
  for (let row = 0; row < held.rows.count; row++) if (test(row)) passed++;
  return passed / held.rows.count;
}

/** Among ages, genders and cities, the filter whose share is nearest (in ratio) to each target. */
function filtersNear(held: HeldIndex): { target: number; filter: QueryFilter; share: number }[] {
  const { genders, cities } = held.rows.attributes;
  const candidates: QueryFilter[] = [];
  for (let low = 18; low <= 70; low += 2) for (let high = low; high <= 70; high += 3) candidates.push({ ageMin: low, ageMax: high });
  for (const gender of genders.values.slice(1)) candidates.push({ genders: [gender] });
  for (const city of cities.values.slice(1)) {
    candidates.push({ city });
    for (const gender of genders.values.slice(1)) candidates.push({ city, genders: [gender] });
    for (let low = 18; low <= 66; low += 6) candidates.push({ city, ageMin: low, ageMax: low + 5 });
  }
  const shares = candidates.map((filter) => ({ filter, share: shareOf(held, filter) })).filter((c) => c.share > 0);
  return TARGETS.map((target) => {
    const best = shares.reduce((a, b) => (Math.abs(Math.log(b.share / target)) < Math.abs(Math.log(a.share / target)) ? b : a));
    return { target, ...best };
  });
}

function readVectors(versionDir: string): Float32Array {
  const bytes = readFileSync(path.join(versionDir, VECTORS_FILE));
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/**
 * Exact filtered top k for every query (its own row left out): the admitted rows gathered once,
 * then one exact search per query over them (the engine's, all of them float32).
 */
function exactFiltered(all: Float32Array, dims: number, selves: number[], test: RowTest, rows: number, k: number): Set<number>[] {
  const admitted: number[] = [];
  for (let row = 0; row < rows; row++) if (test(row)) admitted.push(row);
  const gathered = new Float32Array(admitted.length * dims);
  admitted.forEach((row, i) => {
    gathered.set(all.subarray(row * dims, (row + 1) * dims), i * dims);
  });
  return selves.map((self) => {
    // A copy: the binding reads a typed array from its buffer's start, whatever its byteOffset.
    const query = all.slice(self * dims, (self + 1) * dims);
    const found = exactNearest(gathered, query, dims, Math.min(k + 1, admitted.length), 'ip');
    const nearest = Array.from(found.keys, (i) => admitted[Number(i)]!).filter((row) => row !== self);
    return new Set(nearest.slice(0, k));
  });
}

export async function benchFilters(name: DatasetName): Promise<void> {
  const dataset = await prepareDataset(name);
  const held = await HeldIndex.open(dataset.versionDir, 'view', dataset.manifest.version);
  const slot = { held, live: null, vectorize: null };
  const ids = readIds(dataset).slice(0, QUICK ? 50 : 200);
  const rounds = QUICK ? 2 : 3;
  const chosen = filtersNear(held);
  log(`${name}: filters ${chosen.map((c) => `${JSON.stringify(c.filter)} ${(c.share * 100).toFixed(2)}%`).join(', ')}`);
  const all = readVectors(dataset.versionDir);
  const dims = held.dims;

  const timeAll = (filter: QueryFilter | undefined) => {
    const answers: number[][] = [];
    // The ids again and again for at least CELL_MS: a cell of 200 queries unfiltered lasts a tenth of a second.
    const { times, cpuUs } = timeQueries(ids, CELL_MS, (id, pass) => {
      const request = toRequest(slot, held, { q: 1, op: 'recommend', id, n: K, ...(filter && { f: filter }) }, []);
      if ('code' in request) throw new Error(request.message);
      const [answer] = held.nearestMany([request]);
      if (pass === 0) answers.push((JSON.parse(answer!.body.toString()) as { _id: string }[]).map((r) => held.rowOf(r._id)!));
    });
    return { times, answers, qps: times.length / (times.reduce((a, b) => a + b, 0) / 1e6), cpuUs };
  };

  const unfilteredQps: number[] = [];
  const unfilteredCpu: number[] = [];
  let unfilteredTimes: number[] = [];
  const filteredQps = chosen.map(() => [] as number[]);
  const filteredCpu = chosen.map(() => [] as number[]);
  const filteredTimes = chosen.map(() => [] as number[]);
  const filteredAnswers: number[][][] = [];
  const plans = chosen.map(() => ({ exact: 0, graph: 0 }));
  // Warm-up: every cell once (page cache, JIT), not counted.
  timeAll(undefined);
  for (const { filter } of chosen) timeAll(filter);
  // Alternating: unfiltered, then each filter, every round.
  for (let round = 0; round < rounds; round++) {
    const plain = timeAll(undefined);
    unfilteredQps.push(plain.qps);
    unfilteredCpu.push(plain.cpuUs);
    unfilteredTimes = unfilteredTimes.concat(plain.times);
    chosen.forEach(({ filter }, i) => {
      const before = { ...planCounts };
      const run = timeAll(filter);
      filteredQps[i]!.push(run.qps);
      filteredCpu[i]!.push(run.cpuUs);
      filteredTimes[i] = filteredTimes[i]!.concat(run.times);
      filteredAnswers[i] = run.answers;
      plans[i]!.exact += planCounts.exact - before.exact;
      plans[i]!.graph += planCounts.graph - before.graph;
    });
    log(
      `${name}: round ${round + 1}/${rounds}: unfiltered ${plain.qps.toFixed(0)} q/s, filtered ${filteredQps.map((q) => q.at(-1)!.toFixed(0)).join(', ')} q/s`,
    );
  }

  const selves = ids.map((id) => held.rowOf(id)!);
  const rows: FilterRow[] = chosen.map(({ target, filter, share }, i) => {
    const { test } = compileFilter(filter, null, held.rows.attributes, new Set());
    const truths = exactFiltered(all, dims, selves, test, held.rows.count, K);
    let found = 0;
    let expected = 0;
    truths.forEach((truth, q) => {
      found += filteredAnswers[i]![q]!.filter((row) => truth.has(row)).length;
      expected += truth.size;
    });
    const times = filteredTimes[i]!;
    return {
      target,
      selectivity: share,
      filter,
      recall: expected === 0 ? 1 : found / expected,
      qps: filteredQps[i]!,
      cpuUs: filteredCpu[i]!,
      p50Us: percentileOf(times, 50),
      p99Us: percentileOf(times, 99),
      plans: plans[i]!,
    };
  });
  held.close();
  const file: FiltersFile = {
    machine: machine(),
    quick: QUICK,
    dataset: name,
    count: dataset.manifest.count,
    queries: ids.length,
    rounds,
    command: `BENCH_ONLY=filters make bench (dataset ${name})`,
    unfiltered: {
      qps: unfilteredQps,
      cpuUs: unfilteredCpu,
      p50Us: percentileOf(unfilteredTimes, 50),
      p99Us: percentileOf(unfilteredTimes, 99),
    },
    rows,
  };
  writeJson(path.join(RESULTS, `filters-${name}.json`), file);
  log(`${name}: filters ${rows.map((r) => `${(r.selectivity * 100).toFixed(2)}% recall ${r.recall.toFixed(3)}`).join(', ')}`);
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  await benchFilters((process.argv[2] as DatasetName | undefined) ?? (QUICK ? 'demo-10k' : 'demo-1m'));
}
