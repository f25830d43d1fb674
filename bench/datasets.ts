// The profile data sets of the HTTP and swap benchmarks, generated and built once and cached under
// .cache/bench/<name>/ (profiles.jsonl, data/indexes/<version>, ids.txt).

import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { buildIndex, DEFAULT_PARAMS } from '../builder/build.js';
import { generateProfiles, writeProfilesJsonl } from '../builder/generate.js';
import { commitStaging, createStaging, discardStaging, type ManifestDraft } from '../builder/publish.js';
import { mulberry32 } from '../builder/random.js';
import { BACKGROUND_NICENESS } from '../common/niceness.js';
import { IndexFormatError } from '../index-version/errors.js';
import { INDEX_FILE, type Manifest, ROWS_FILE, readLatest, VECTORS_FILE, versionDir } from '../index-version/format.js';
import { RowTable } from '../index-version/row-table.js';
import { readVerifiedManifest } from '../index-version/verify.js';
import { CACHE, DIST, ensureDir, log, quietLog, run } from './common.js';

export type DatasetName = 'demo-10k' | 'random-10k-1024' | 'random-10k-128' | 'demo-100k' | 'demo-1m' | 'demo-2k';

export interface Dataset {
  name: DatasetName;
  dir: string;
  source: string;
  dataDir: string;
  idsFile: string;
  manifest: Manifest;
  versionDir: string;
}

const SIZES: Record<DatasetName, number> = {
  'demo-2k': 2_000,
  'demo-10k': 10_000,
  'random-10k-1024': 10_000,
  'random-10k-128': 10_000,
  'demo-100k': 100_000,
  'demo-1m': 1_000_000,
};
/** Data sets of random vectors (not the demo vectorizer's), by their width. */
const RANDOM_DIMS: Partial<Record<DatasetName, number>> = { 'random-10k-1024': 1024, 'random-10k-128': 128 };
const SEED = 42;
// Enough distinct ids that no cache can stand in for search.
const MAX_IDS = 100_000;

/** Demo profiles, each with a `vector` of `dims` uniform random numbers in [0, 1) (used as is by the builder). */
async function writeRandomVectorProfiles(out: string, count: number, dims: number): Promise<void> {
  const tmp = `${out}.tmp-${process.pid}`;
  const stream = createWriteStream(tmp);
  const rng = mulberry32(SEED + 1);
  for (const profile of generateProfiles({ count, seed: SEED })) {
    const vector = new Array<number>(dims);
    for (let d = 0; d < dims; d++) vector[d] = Math.round(rng() * 1e6) / 1e6;
    if (!stream.write(`${JSON.stringify({ ...profile, vector })}\n`)) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
  const { rename } = await import('node:fs/promises');
  await rename(tmp, out);
}

/** A cached version of an older on-disk format or other engine defaults would silently measure the old engine. */
async function builtWithCurrentDefaults(dir: string): Promise<boolean> {
  try {
    const { params } = await readVerifiedManifest(dir);
    return (['metric', 'quantization', 'connectivity', 'expansionAdd'] as const).every((key) => params[key] === DEFAULT_PARAMS[key]);
  } catch (err) {
    if (err instanceof IndexFormatError) return false;
    throw err;
  }
}

/** Generates (once) and builds (once) a data set; later calls return the cached one. */
export async function prepareDataset(name: DatasetName): Promise<Dataset> {
  const dir = ensureDir(path.join(CACHE, name));
  const source = path.join(dir, 'profiles.jsonl');
  const dataDir = path.join(dir, 'data');
  const idsFile = path.join(dir, 'ids.txt');
  const count = SIZES[name];
  if (!existsSync(source)) {
    log(`${name}: generating ${count} profiles -> ${source}`);
    const randomDims = RANDOM_DIMS[name];
    if (randomDims) await writeRandomVectorProfiles(source, count, randomDims);
    else await writeProfilesJsonl(source, count, SEED);
  }
  let version = await readLatest(dataDir);
  if (version !== null && !(await builtWithCurrentDefaults(versionDir(dataDir, version)))) {
    log(`${name}: cached index has another format or engine parameters; rebuilding`);
    rmSync(path.join(dataDir, 'indexes'), { recursive: true, force: true });
    version = null;
  }
  if (version === null) {
    log(`${name}: building the index (cached afterwards)`);
    const started = performance.now();
    const manifest = await buildIndex({ source, dataDir, logger: quietLog, dims: RANDOM_DIMS[name] });
    version = manifest.version;
    const seconds = (performance.now() - started) / 1000;
    writeFileSync(path.join(dir, BUILD_FILE), JSON.stringify({ version, seconds } satisfies BuildRecord));
    log(`${name}: built ${manifest.count} x ${manifest.dims} in ${seconds.toFixed(1)} s`);
  }
  const vdir = versionDir(dataDir, version);
  const manifest = await readVerifiedManifest(vdir);
  if (!existsSync(idsFile)) {
    const rows = RowTable.open(path.join(vdir, ROWS_FILE), 'file');
    const rng = mulberry32(SEED + 2);
    const ids: string[] = [];
    const take = Math.min(MAX_IDS, rows.count);
    for (let i = 0; i < take; i++) ids.push(rows.fields(Math.floor(rng() * rows.count)).id);
    rows.close();
    writeFileSync(idsFile, `${ids.join('\n')}\n`);
  }
  return { name, dir, source, dataDir, idsFile, manifest, versionDir: vdir };
}

/** How long the cached version took to build (a full build from profiles.jsonl), written when it was built. */
export interface BuildRecord {
  version: string;
  seconds: number;
}

const BUILD_FILE = 'build.json';

/** The cached version's build record, or null when it was built before builds were timed. */
export function buildRecordOf(dataset: Dataset): BuildRecord | null {
  try {
    const record = JSON.parse(readFileSync(path.join(dataset.dir, BUILD_FILE), 'utf8')) as BuildRecord;
    return record.version === dataset.manifest.version ? record : null;
  } catch {
    return null;
  }
}

export function readIds(dataset: Dataset): string[] {
  return readFileSync(dataset.idsFile, 'utf8').split('\n').filter(Boolean);
}

/** A fresh data dir for a swap run holding one copy of the data set's cached version. */
export async function freshDataDir(dataset: Dataset, dir: string): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  ensureDir(dir);
  await republish(dataset.versionDir, dir);
  return dir;
}

/** The stand-in builder's niceness (BENCH_PUBLISH_NICENESS=0: what a builder at normal priority costs the service). */
export const PUBLISH_NICENESS = Number(process.env.BENCH_PUBLISH_NICENESS ?? BACKGROUND_NICENESS);

/**
 * Publishes a copy of `fromDir` into `dataDir` from a process as the builder's (`make multi`): in
 * a session of its own whose CPU weight is the builder's niceness from its first instruction. Under
 * autogroup scheduling a niceness set inside a shared session, or set after Node's start-up and
 * imports (about 0.4 s of CPU here), takes the answerer's CPU as if not niced; a long-running
 * builder pays its start-up once, not per publish.
 */
export function publishAsBuilder(fromDir: string, dataDir: string): Promise<string> {
  const setWeightThenExec = `echo ${PUBLISH_NICENESS} > /proc/self/autogroup 2>/dev/null; exec "$0" "$@"`;
  return run('/bin/sh', ['-c', setWeightThenExec, process.execPath, path.join(DIST, 'bench', 'republish.js'), fromDir, dataDir], {
    detached: true,
  });
}

/**
 * Publishes a copy of the version in `fromDir` as a new version of `dataDir`, through the builder's
 * own commit path (checksums, manifest, fsync, rename, LATEST, retention). A real copy, not a
 * hard link: a new version's pages are new to the page cache, as a rebuilt version's would be.
 */
export async function republish(fromDir: string, dataDir: string): Promise<Manifest> {
  const manifest = JSON.parse(readFileSync(path.join(fromDir, 'manifest.json'), 'utf8')) as Manifest;
  const { format: _f, version: _v, created: _c, files: _files, ...draft } = manifest;
  const staging = await createStaging(dataDir);
  try {
    for (const name of [INDEX_FILE, VECTORS_FILE, ROWS_FILE]) await copyFile(path.join(fromDir, name), path.join(staging.dir, name));
    return await commitStaging(staging, draft as ManifestDraft, { keep: 3 });
  } catch (err) {
    await discardStaging(staging);
    throw err;
  }
}

export async function listVersionDirs(dataDir: string): Promise<string[]> {
  return (await readdir(path.join(dataDir, 'indexes'))).filter((n) => n.startsWith('v'));
}

// `node dist/bench/datasets.js demo-1m ...` prepares data sets ahead of time (the Makefile does not need it).
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  for (const name of process.argv.slice(2) as DatasetName[]) {
    const dataset = await prepareDataset(name);
    log(`${name}: ready, version ${dataset.manifest.version}, ${dataset.manifest.count} x ${dataset.manifest.dims}`);
  }
}
