// Cost as work grows (issue 16): at 10k, 100k and 1M profiles, tandem's throughput, latency and
// CPU per request at c=64, its memory when settled, how long a full build and a publish-to-served
// take, and one query's CPU cost in the answer child's own code for n = 1, 10 and 100; and the same
// query cost at 128 against 1,024 dimensions. Writes bench/results/scale.json.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeldIndex } from '../roles/held-index.js';
import {
  CACHE,
  DURATION_SEC,
  log,
  machine,
  median,
  percentileOf,
  QUICK,
  RESULTS,
  stopTracked,
  tandemStatus,
  timeQueries,
  WARMUP_SEC,
  waitFor200,
  waitForStandby,
  writeJson,
} from './common.js';
import { buildRecordOf, type Dataset, type DatasetName, freshDataDir, prepareDataset, publishAsBuilder, readIds } from './datasets.js';
import { cpuUsPerAnswered, measureCell, startServer } from './http.js';
import { processTree, procMemory } from './procfs.js';
import { runWrk } from './wrk.js';

const RESULTS_COUNTS = [1, 10, 100];
const CONNECTIONS = 64;
const ROUNDS = QUICK ? 2 : 3;
const CELL_MS = QUICK ? 300 : 1000;
const SETTLE_TIMEOUT_MS = 15 * 60_000;

/** One query's cost for one `n`: CPU time per query and wall-clock percentiles, per round. */
export interface QueryCost {
  n: number;
  cpuUs: number[];
  p50Us: number;
  p99Us: number;
}

export interface ScaleRow {
  dataset: DatasetName;
  count: number;
  dims: number;
  /** A full build's seconds, or null when the cached version predates timed builds. */
  buildSec: number | null;
  /** From the publish's start to tandem serving the new version, and to its spare holding it too. */
  publishToServedSec: number;
  publishToSettledSec: number;
  /** tandem's processes summed, once settled (PSS shares the pages both children map). */
  rssBytes: number;
  pssBytes: number;
  http: { rps: number; p50us: number; p99us: number; cpuUsPerRequest: number; command: string };
  queries: QueryCost[];
}

export interface ScaleFile {
  machine: ReturnType<typeof machine>;
  quick: boolean;
  rows: ScaleRow[];
  /** The same query cost at two widths of random vectors. */
  widths: { dataset: DatasetName; dims: number; expansionSearch: number; queries: QueryCost[] }[];
}

export function scaleDatasets(): DatasetName[] {
  const raw = process.env.BENCH_SCALE_DATASETS;
  if (raw) return raw.split(',') as DatasetName[];
  return QUICK ? ['demo-2k', 'demo-10k'] : ['demo-10k', 'demo-100k', 'demo-1m'];
}

/** CPU time per recommend query through HeldIndex.nearestMany (the answer child's batch search), one query per call. */
async function queryCosts(dataset: Dataset, counts: number[]): Promise<QueryCost[]> {
  const held = await HeldIndex.open(dataset.versionDir, 'view', dataset.manifest.version);
  try {
    const requests = readIds(dataset)
      .slice(0, 200)
      .map((id) => {
        const request = held.recommendRequest(id, 1);
        if ('code' in request) throw new Error(`${dataset.name}: ${id}: ${request.message}`);
        return request;
      });
    const cell = (n: number) => timeQueries(requests, CELL_MS, (request) => held.nearestMany([{ ...request, n }]));
    for (const n of counts) cell(n); // warm-up: page cache, JIT
    const costs = counts.map((n) => ({ n, cpuUs: [] as number[], times: [] as number[] }));
    for (let round = 0; round < ROUNDS; round++) {
      for (const cost of round % 2 === 0 ? costs : [...costs].reverse()) {
        const measured = cell(cost.n);
        cost.cpuUs.push(measured.cpuUs);
        cost.times.push(...measured.times);
      }
    }
    return costs.map(({ n, cpuUs, times }) => ({ n, cpuUs, p50Us: percentileOf(times, 50), p99Us: percentileOf(times, 99) }));
  } finally {
    held.close();
  }
}

/** tandem on its own copy of the data set: settled memory, c=64 under wrk, then one publish until served and settled. */
async function tandemAtScale(
  dataset: Dataset,
): Promise<Pick<ScaleRow, 'publishToServedSec' | 'publishToSettledSec' | 'rssBytes' | 'pssBytes' | 'http'>> {
  const dataDir = await freshDataDir(dataset, path.join(CACHE, dataset.name, 'scale', 'data'));
  const server = startServer('tandem', dataDir, 'view');
  try {
    await waitFor200(`${server.url}/ready`, SETTLE_TIMEOUT_MS);
    await waitForStandby(server.url, SETTLE_TIMEOUT_MS);
    const memory = processTree(server.child.pid!)
      .map((p) => procMemory(p.pid))
      .filter((m) => m !== null);
    await runWrk(server.url, dataset.idsFile, CONNECTIONS, WARMUP_SEC);
    const cell = await measureCell(server, dataset.idsFile, CONNECTIONS);
    const before = (await tandemStatus(server.url)).servingVersion;
    const started = Date.now();
    // The builder's own commit path, in a process of its own as the builder would be.
    await publishAsBuilder(dataset.versionDir, dataDir);
    let served = 0;
    for (const deadline = started + SETTLE_TIMEOUT_MS; !served; await sleep(50)) {
      if ((await tandemStatus(server.url)).servingVersion !== before) served = Date.now();
      else if (Date.now() > deadline) throw new Error(`${dataset.name}: the new version was not served in ${SETTLE_TIMEOUT_MS} ms`);
    }
    await waitForStandby(server.url, SETTLE_TIMEOUT_MS, before);
    return {
      publishToServedSec: (served - started) / 1000,
      publishToSettledSec: (Date.now() - started) / 1000,
      rssBytes: memory.reduce((sum, m) => sum + m.rss, 0),
      pssBytes: memory.reduce((sum, m) => sum + m.pss, 0),
      http: {
        rps: cell.rps,
        p50us: cell.p50us,
        p99us: cell.p99us,
        cpuUsPerRequest: cpuUsPerAnswered(cell),
        command: `wrk -c${CONNECTIONS} -d${DURATION_SEC}s against make multi's equivalent (bench/http.ts startServer)`,
      },
    };
  } finally {
    await stopTracked(server.child);
  }
}

export async function benchScale(): Promise<ScaleFile> {
  const rows: ScaleRow[] = [];
  for (const name of scaleDatasets()) {
    const dataset = await prepareDataset(name);
    const queries = await queryCosts(dataset, RESULTS_COUNTS);
    const tandem = await tandemAtScale(dataset);
    const row: ScaleRow = {
      dataset: name,
      count: dataset.manifest.count,
      dims: dataset.manifest.dims,
      buildSec: buildRecordOf(dataset)?.seconds ?? null,
      ...tandem,
      queries,
    };
    log(
      `scale ${name}: ${row.http.rps.toFixed(0)} req/s at c=${CONNECTIONS}, ${row.http.cpuUsPerRequest.toFixed(0)} CPU-µs/request, query CPU-µs ${queries.map((q) => `n=${q.n} ${median(q.cpuUs).toFixed(0)}`).join(', ')}, publish to served ${row.publishToServedSec.toFixed(1)} s`,
    );
    rows.push(row);
  }
  const widths: ScaleFile['widths'] = [];
  for (const name of ['random-10k-128', 'random-10k-1024'] as const) {
    const dataset = await prepareDataset(name);
    widths.push({
      dataset: name,
      dims: dataset.manifest.dims,
      expansionSearch: dataset.manifest.params.expansionSearch,
      queries: await queryCosts(dataset, [10]),
    });
  }
  const file: ScaleFile = { machine: machine(), quick: QUICK, rows, widths };
  writeJson(path.join(RESULTS, 'scale.json'), file);
  return file;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) await benchScale();
