// Write -> recommendable and delete -> gone, under load, while the builder rebuilds from the store
// and the service swaps: the whole system on real processes (service, builder in watch mode, load
// generator, each in a session of its own). A writer PUTs a copy of an existing profile (same
// features, so the same vector: it must come first in that twin's results) and polls the twin's
// recommendations until the copy is in them; later it DELETEs the copy and polls until it is out
// and its own /recommend is 404. Every result the writer reads afterwards is checked against every
// copy deleted so far. Writes bench/results/freshness-<dataset>.json.
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { buildIndex } from '../builder/build.js';
import { BUILTIN_VECTORIZER } from '../builder/vectorize.js';
import { readLatest, versionDir } from '../index-version/format.js';
import { readVerifiedManifest } from '../index-version/verify.js';
import {
  CACHE,
  DIST,
  ensureDir,
  freePort,
  log,
  machine,
  percentileOf,
  QUICK,
  quietLog,
  RESULTS,
  ROOT,
  run,
  spawnTracked,
  startLoadgen,
  stopTracked,
  tandemCommand,
  waitFor200,
  writeJson,
} from './common.js';
import { type DatasetName, prepareDataset, readIds, republish } from './datasets.js';

const TOKEN = 'bench-freshness-token';
const N = 10;
const CONNECTIONS = 16;
/** One write (a PUT, later its DELETE) this often; the writer waits for each to show before the next. */
const WRITE_EVERY_MS = 100;
/** A write not visible (or a delete not gone) after this long counts as a miss, not a latency. */
const GIVE_UP_MS = 5000;

export interface FreshnessRow {
  dataset: DatasetName;
  profiles: number;
  seconds: number;
  writes: number;
  deletes: number;
  putP50Ms: number;
  putP99Ms: number;
  visibleP50Ms: number;
  visibleP99Ms: number;
  visibleMaxMs: number;
  goneP50Ms: number;
  goneP99Ms: number;
  goneMaxMs: number;
  missed: number;
  deletedSeenAfter: number;
  resultsChecked: number;
  versionsPublished: number;
  incrementalBuilds: number;
  swaps: number;
  load: { requests: number; failed: number };
  command: string;
}

interface Result {
  _id: string;
}

/** The store the service writes to during a run, and the version built from it, prepared once per data set. */
async function prepareStore(name: DatasetName) {
  const dataset = await prepareDataset(name);
  const dir = ensureDir(path.join(CACHE, name, 'freshness'));
  const pristine = path.join(dir, 'pristine.db');
  // Runs write to work.db; the base version is built from that path, so the builder's incremental
  // builds during a run (same source) start from it.
  const work = path.join(dir, 'work.db');
  const baseData = path.join(dir, 'base-data');
  if (!existsSync(pristine)) {
    log(`${name}: importing ${dataset.manifest.count} profiles into a store (cached afterwards)`);
    rmSync(`${pristine}.tmp`, { force: true });
    const tmp = `${pristine}.tmp`;
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${tmp}${suffix}`, { force: true });
    await run(process.execPath, [path.join(DIST, 'import', 'cli.js'), dataset.source, '--store', tmp]);
    // One self-contained file (no WAL beside it) that each run copies.
    const db = new Database(tmp);
    db.prepare('VACUUM INTO ?').run(pristine);
    db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${tmp}${suffix}`, { force: true });
    rmSync(baseData, { recursive: true, force: true });
  }
  const resetWork = () => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${work}${suffix}`, { force: true });
    copyFileSync(pristine, work);
  };
  let latest = await readLatest(baseData);
  // A base built by another vectorizer would make every build of the run one from scratch.
  if (latest !== null && (await readVerifiedManifest(versionDir(baseData, latest))).vectorizer !== BUILTIN_VECTORIZER) {
    rmSync(baseData, { recursive: true, force: true });
    latest = null;
  }
  if (latest === null) {
    resetWork();
    log(`${name}: building a version from the store (cached afterwards)`);
    const started = performance.now();
    const manifest = await buildIndex({ source: { kind: 'store', path: work }, dataDir: baseData, logger: quietLog });
    latest = manifest.version;
    log(`${name}: built ${manifest.count} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const baseVersion = versionDir(baseData, latest);
  return { dataset, work, resetWork, baseVersion, base: await readVerifiedManifest(baseVersion) };
}

async function http(method: string, url: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(GIVE_UP_MS),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
}

function percentileMs(values: number[], p: number): number {
  return Math.round(percentileOf(values, p) * 10) / 10;
}

export function freshnessDatasets(): DatasetName[] {
  return (process.env.BENCH_FRESHNESS_DATASETS ?? (QUICK ? 'demo-10k' : 'demo-10k,demo-1m')).split(',') as DatasetName[];
}

export async function benchFreshness(name: DatasetName): Promise<FreshnessRow> {
  const { dataset, work, resetWork, baseVersion, base } = await prepareStore(name);
  const seconds = Number(process.env.BENCH_FRESHNESS_SECONDS ?? (QUICK ? 10 : base.count >= 500_000 ? 120 : 60));
  const runDir = ensureDir(path.join(CACHE, name, 'freshness', 'run'));
  const dataDir = path.join(runDir, 'data');
  rmSync(runDir, { recursive: true, force: true });
  ensureDir(dataDir);
  resetWork();
  await republish(baseVersion, dataDir);
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, TANDEM_WRITE_TOKEN: TOKEN };
  const serviceArgs = tandemCommand(dataDir, port, 'view', path.join(runDir, 'runs'), ['--store', work]);
  const service = spawnTracked(process.execPath, serviceArgs, { env });
  const builderArgs = [path.join(DIST, 'builder', 'main.js'), '--store', work, '--data', dataDir, '--watch'];
  const builder = spawnTracked(process.execPath, builderArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
  let builderLog = '';
  builder.stdout?.setEncoding('utf8').on('data', (chunk: string) => (builderLog += chunk));
  const puts: number[] = [];
  const visible: number[] = [];
  const gone: number[] = [];
  let missed = 0;
  let deletedSeenAfter = 0;
  let resultsChecked = 0;
  try {
    await waitFor200(`${url}/ready`, 15 * 60_000);
    const ids = readIds(dataset);
    const loadgen = startLoadgen(port, dataset.idsFile, CONNECTIONS, seconds);
    log(`freshness ${name}: ${seconds} s, a write every ${WRITE_EVERY_MS} ms, load c=${CONNECTIONS}`);

    const deleted = new Set<string>();
    const live: { id: string; twin: string }[] = [];
    const recommendations = async (id: string): Promise<string[] | null> => {
      const { status, json } = await http('GET', `${url}/recommend/${id}/${N}`);
      if (status !== 200) return null;
      const found = (json as Result[]).map((r) => r._id);
      resultsChecked++;
      for (const other of found) if (deleted.has(other)) deletedSeenAfter++;
      return found;
    };
    /** Polls until `done` holds; the time from `since`, or null when it never did. */
    const pollUntil = async (since: number, done: () => Promise<boolean>): Promise<number | null> => {
      while (performance.now() - since < GIVE_UP_MS) {
        if (await done()) return performance.now() - since;
      }
      return null;
    };
    const end = Date.now() + seconds * 1000;
    let written = 0;
    while (Date.now() < end) {
      const next = Date.now() + WRITE_EVERY_MS;
      if (live.length > 20 || (live.length > 0 && written % 2 === 1)) {
        const copy = live.shift()!;
        const started = performance.now();
        const { status } = await http('DELETE', `${url}/profiles/${copy.id}`);
        if (status !== 204) throw new Error(`DELETE ${copy.id}: ${status}`);
        deleted.add(copy.id);
        const took = await pollUntil(started, async () => {
          const twin = await recommendations(copy.twin);
          return twin !== null && !twin.includes(copy.id) && (await http('GET', `${url}/recommend/${copy.id}/${N}`)).status === 404;
        });
        if (took === null) missed++;
        else gone.push(took);
      } else {
        const twin = ids[Math.floor(Math.random() * ids.length)]!;
        const { status: got, json: profile } = await http('GET', `${url}/profiles/${twin}`);
        if (got !== 200) throw new Error(`GET /profiles/${twin}: ${got}`);
        const id = `fresh-${written}-${process.pid}`;
        const started = performance.now();
        const put = await http('PUT', `${url}/profiles/${id}`, { ...(profile as object), _id: id });
        if (put.status !== 201) throw new Error(`PUT ${id}: ${put.status} ${JSON.stringify(put.json)}`);
        puts.push(performance.now() - started);
        const took = await pollUntil(started, async () => (await recommendations(twin))?.includes(id) ?? false);
        if (took === null) missed++;
        else visible.push(took);
        live.push({ id, twin });
      }
      written++;
      const wait = next - Date.now();
      if (wait > 0) await sleep(wait);
    }
    const load = await loadgen.done;
    const status = (await http('GET', `${url}/status`)).json as { swaps?: number };
    const published = builderLog.split('\n').filter((line) => line.includes('"msg":"published"'));
    const row: FreshnessRow = {
      dataset: name,
      profiles: base.count,
      seconds,
      writes: puts.length,
      deletes: gone.length,
      putP50Ms: percentileMs(puts, 50),
      putP99Ms: percentileMs(puts, 99),
      visibleP50Ms: percentileMs(visible, 50),
      visibleP99Ms: percentileMs(visible, 99),
      visibleMaxMs: percentileMs(visible, 100),
      goneP50Ms: percentileMs(gone, 50),
      goneP99Ms: percentileMs(gone, 99),
      goneMaxMs: percentileMs(gone, 100),
      missed,
      deletedSeenAfter,
      resultsChecked,
      versionsPublished: published.length,
      incrementalBuilds: published.filter((line) => line.includes('"incremental":{')).length,
      swaps: status.swaps ?? 0,
      load,
      command:
        `BENCH_ONLY=freshness make bench  (service ${serviceArgs.slice(1).join(' ')}; builder ${builderArgs.slice(1).join(' ')})`.replaceAll(
          `${ROOT}/`,
          '',
        ),
    };
    log(
      `freshness ${name}: write->recommendable p50 ${row.visibleP50Ms} p99 ${row.visibleP99Ms} ms, delete->gone p50 ${row.goneP50Ms} p99 ${row.goneP99Ms} ms, ${row.versionsPublished} versions, ${row.swaps} swaps, missed ${missed}, deleted seen ${deletedSeenAfter}`,
    );
    writeJson(path.join(RESULTS, `freshness-${name}.json`), { machine: machine(), quick: QUICK, row });
    return row;
  } finally {
    await stopTracked(builder);
    await stopTracked(service);
  }
}
