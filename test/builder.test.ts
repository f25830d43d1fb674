import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import t, { type Test } from 'tap';
import usearch from 'usearch';
import { buildIndex, DEFAULT_PARAMS } from '../builder/build.js';
import { RECALL_TARGET } from '../builder/calibrate.js';
import { generateProfiles, type Profile, writeProfilesJsonl } from '../builder/generate.js';
import { advanceLatest, formatVersionName, newVersionName, parseVersionName, publishVersion, writeLatest } from '../builder/publish.js';
import { pruneVersions, STALE_TMP_MS } from '../builder/retention.js';
import { createVectorizer } from '../builder/vectorize.js';
import {
  INDEX_FILE,
  indexesDir,
  isVersionName,
  LATEST_FILE,
  listVersions,
  ROWS_FILE,
  readLatest,
  VECTORS_FILE,
  versionDir,
} from '../index-version/format.js';
import { RowTable } from '../index-version/row-table.js';
import { readVerifiedManifest } from '../index-version/verify.js';
import { HeldIndex } from '../roles/held-index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'dist/builder/main.js');
const FIXTURES = path.join(ROOT, 'test/fixtures');

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

const silent = pino({ level: 'silent' });

/** 200 good profiles with one bad record of every kind mixed in. */
function sourceWithBadRecords(dir: string): { file: string; good: Profile[] } {
  const good = [...generateProfiles({ count: 200, seed: 3 })];
  const zeros = new Array(127).fill(0);
  const bad = [
    '{not json',
    JSON.stringify({ name: 'no id' }),
    JSON.stringify({ _id: 17, name: 'numeric id' }),
    JSON.stringify({ ...good[0], name: 'duplicate' }),
    JSON.stringify({ _id: 'wrong-dims', vector: [1, 2, 3] }),
    `{"_id":"non-finite","vector":[1e400,${zeros.join(',')}]}`,
    JSON.stringify({ _id: 'zero', name: 'featureless' }),
    JSON.stringify({ _id: 'bad-vector', vector: 'abc' }),
    '',
  ];
  const lines: string[] = [];
  good.forEach((p, i) => {
    lines.push(JSON.stringify(p));
    if (i % 20 === 5 && bad.length > 0) lines.push(bad.shift()!);
  });
  lines.push(...bad);
  const file = path.join(dir, 'profiles.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, good };
}

function visibleEntries(dataDir: string): string[] {
  return readdirSync(indexesDir(dataDir));
}

t.test('builds, validates and publishes a verifiable version', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const { file, good } = sourceWithBadRecords(dir);
  const { logger, lines } = captureLogger();

  const manifest = await buildIndex({ source: file, dataDir, logger, threads: 2, batchSize: 64 });

  t.ok(isVersionName(manifest.version));
  t.equal(manifest.count, 200);
  t.equal(manifest.dims, 128);
  t.equal(manifest.metric, 'ip', 'inner product on unit vectors: cosine distance, computed faster');
  t.match(manifest.params, {
    engine: 'usearch',
    metric: 'ip',
    quantization: 'f32',
    connectivity: 16,
    expansionAdd: 128,
    expansionSearch: manifest.calibration!.expansionSearch,
  });
  t.equal(manifest.vectorizer, 'tandem-hash/1');
  t.equal(manifest.skipped.total, 8);
  t.same(manifest.skipped.byReason, {
    invalid_json: 1,
    missing_id: 2,
    duplicate_id: 1,
    wrong_dimensions: 1,
    non_finite: 1,
    zero_vector: 1,
    vectorizer_error: 1,
  });
  t.equal(manifest.skipped.samples.length, 8);
  t.match(
    manifest.skipped.samples.find((s) => s.reason === 'duplicate_id'),
    { id: good[0]!._id },
  );

  const warns = lines.filter((l) => l.msg === 'record skipped');
  t.equal(warns.length, 8, 'one warn line per skipped record');
  t.ok(warns.every((w) => w.level === 40 && typeof w.reason === 'string' && 'id' in w && typeof w.line === 'number'));

  const vdir = versionDir(dataDir, manifest.version);
  const verified = await readVerifiedManifest(vdir);
  t.same(verified, manifest, 'checksums hold and the manifest on disk is the one returned');
  t.equal(await readLatest(dataDir), manifest.version, 'LATEST names it');
  t.same(visibleEntries(dataDir).sort(), [LATEST_FILE, manifest.version].sort(), 'no temporaries left');

  // Row i of every file is key i of the index.
  const rows = RowTable.open(path.join(vdir, ROWS_FILE), 'file');
  t.teardown(() => rows.close());
  t.same(
    Array.from({ length: rows.count }, (_, row) => rows.fields(row)),
    good.map((p) => ({ id: p._id, name: p.name, surname: p.surname })),
  );
  t.ok(
    good.every((p, row) => rows.rowOf(p._id) === row),
    'every id finds its row',
  );
  const raw = readFileSync(path.join(vdir, VECTORS_FILE));
  t.equal(raw.byteLength, 200 * 128 * 4);
  const vectors = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const { vectorize } = createVectorizer();
  const index = new usearch.Index({
    dimensions: 128,
    metric: usearch.MetricKind.Cos,
    quantization: usearch.ScalarKind.F32,
    connectivity: 16,
    expansion_add: 128,
    expansion_search: 64,
    multi: false,
  });
  index.load(path.join(vdir, INDEX_FILE));
  t.equal(index.size(), 200);
  for (const row of [0, 1, 57, 199]) {
    const stored = vectors.subarray(row * 128, (row + 1) * 128);
    t.same(Array.from(stored), Array.from(vectorize(good[row]!)), `vectors.f32 row ${row} is profile ${row}`);
    const found = index.search(stored, 10, 1);
    const at = Array.from(found.keys).indexOf(BigInt(row));
    t.ok(at >= 0 && found.distances[at]! < 1e-4, `searching row ${row}'s vector finds key ${row}`);
  }
});

t.test('successive builds get newer names; retention keeps the newest', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const { file } = sourceWithBadRecords(dir);
  const published: string[] = [];
  for (let i = 0; i < 4; i++) {
    published.push((await buildIndex({ source: file, dataDir, logger: silent, threads: 1, keep: 2 })).version);
  }
  for (let i = 1; i < published.length; i++) t.ok(published[i]! > published[i - 1]!, `${published[i]} > ${published[i - 1]}`);
  t.same(await listVersions(dataDir), published.slice(-2));
  t.equal(await readLatest(dataDir), published.at(-1));
  t.same(
    visibleEntries(dataDir).filter((n) => n.includes('.tmp-')),
    [],
  );
});

t.test('concurrent publishes never share a name', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const { file } = sourceWithBadRecords(dir);
  const results = await Promise.all([0, 1, 2].map(() => buildIndex({ source: file, dataDir, logger: silent, threads: 1 })));
  const names = results.map((m) => m.version);
  t.equal(new Set(names).size, 3);
  t.same(await listVersions(dataDir), [...names].sort());
  t.equal(await readLatest(dataDir), [...names].sort().at(-1), 'LATEST ends at the newest');
  for (const name of names) await readVerifiedManifest(versionDir(dataDir, name));
});

t.test('a user vectorizer module sets dims and name', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const file = path.join(dir, 'p.jsonl');
  writeFileSync(
    file,
    [
      { _id: 'a', age: 20, interests: ['x'], city: 'Oslo' },
      { _id: 'b', age: 40, interests: ['x', 'y'] },
      { _id: 'c', explode: true },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n'),
  );
  const m = await buildIndex({ source: file, dataDir, logger: silent, vectorizerPath: path.join(FIXTURES, 'custom-vectorizer.mjs') });
  t.equal(m.dims, 4);
  t.equal(m.vectorizer, 'custom-test');
  t.equal(m.count, 2);
  t.same(m.skipped.byReason, { vectorizer_error: 1 });
  t.equal(m.files[VECTORS_FILE]!.bytes, 2 * 4 * 4);
});

t.test('no valid record: a clear error and nothing published', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const file = path.join(dir, 'bad.jsonl');
  writeFileSync(file, '{oops\n{"name":"no id"}\n');
  await t.rejects(buildIndex({ source: file, dataDir, logger: silent }), {
    code: 'TANDEM_ERR_NO_VALID_RECORDS',
    message: /no valid record/,
  });
  t.same(visibleEntries(dataDir), [], 'no version, no LATEST, no temporary');
  await t.rejects(buildIndex({ source: path.join(dir, 'missing.jsonl'), dataDir, logger: silent }), {
    code: 'TANDEM_ERR_SOURCE_UNREADABLE',
  });
});

t.test('an aborted build publishes nothing and leaves nothing', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const { file } = sourceWithBadRecords(dir);
  const controller = new AbortController();
  controller.abort();
  await t.rejects(buildIndex({ source: file, dataDir, logger: silent, batchSize: 50, signal: controller.signal }), {
    code: 'TANDEM_ERR_BUILD_ABORTED',
  });
  t.same(visibleEntries(dataDir), []);
});

t.test('publishVersion publishes in-memory data (fixtures for other tests)', async (t) => {
  const dataDir = t.testdir();
  const dims = 4;
  const vectors = new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0.9, 0.1, 0, 0]);
  const index = new usearch.Index({
    dimensions: dims,
    metric: usearch.MetricKind.Cos,
    quantization: usearch.ScalarKind.F32,
    connectivity: 16,
    expansion_add: 128,
    expansion_search: 64,
    multi: false,
  });
  index.add(new BigUint64Array([0n, 1n, 2n]), vectors, 1);
  const manifest = await publishVersion({
    dataDir,
    index,
    vectors,
    profiles: [
      { id: 'a', name: 'A', surname: 'Aa' },
      { id: 'b', name: 'B', surname: 'Bb' },
      { id: 'c', name: 'C', surname: 'Cc' },
    ],
    draft: {
      count: 3,
      dims,
      metric: 'cos',
      params: DEFAULT_PARAMS,
      vectorizer: 'fixture',
      source: 'memory',
      buildMs: 0,
      skipped: { total: 0, byReason: {}, samples: [] },
    },
  });
  t.same(await readVerifiedManifest(versionDir(dataDir, manifest.version)), manifest);
  t.equal(await readLatest(dataDir), manifest.version);
  const rows = RowTable.open(path.join(versionDir(dataDir, manifest.version), ROWS_FILE), 'memory');
  t.teardown(() => rows.close());
  t.same(
    [0, 1, 2].map((row) => rows.fields(row)),
    [
      { id: 'a', name: 'A', surname: 'Aa' },
      { id: 'b', name: 'B', surname: 'Bb' },
      { id: 'c', name: 'C', surname: 'Cc' },
    ],
  );
});

t.test('version names', async (t) => {
  const now = new Date(Date.UTC(2026, 10, 23, 19, 48, 0, 123));
  t.equal(formatVersionName(now), 'v20261123T194800123Z');
  t.equal(parseVersionName('v20261123T194800123Z').getTime(), now.getTime());
  t.throws(() => parseVersionName('v2026'), { code: 'TANDEM_ERR_INVALID_VERSION' });
  t.equal(newVersionName([], now), 'v20261123T194800123Z');
  t.equal(newVersionName(['v20261123T194800000Z', 'junk', 'v20261123T194800123Z.tmp-1-ab'], now), 'v20261123T194800123Z');
  t.equal(newVersionName(['v20261123T194800123Z'], now), 'v20261123T194800124Z', 'same millisecond: bumped');
  t.equal(
    newVersionName(['v20261123T195900999Z', 'v20261123T194800123Z'], now),
    'v20261123T195901000Z',
    'clock behind the newest: newest + 1 ms',
  );
  t.equal(newVersionName(['v20261231T235959999Z'], now), 'v20270101T000000000Z', 'carries across a year');
  // Monotonic under a frozen clock.
  const names: string[] = [];
  for (let i = 0; i < 50; i++) names.push(newVersionName(names, now));
  t.same([...names].sort(), names);
  t.equal(new Set(names).size, 50);
  t.ok(names.every(isVersionName));
});

t.test('retention: keeps the newest, LATEST target and fresh temporaries', async (t) => {
  const dataDir = t.testdir();
  const root = indexesDir(dataDir);
  const versions = ['v20260101T000000000Z', 'v20260102T000000000Z', 'v20260103T000000000Z', 'v20260104T000000000Z'];
  for (const v of versions) mkdirSync(path.join(root, v), { recursive: true });
  const staleTmp = 'v20260105T000000000Z.tmp-1-aaaa';
  const freshTmp = 'v20260105T000000000Z.tmp-2-bbbb';
  mkdirSync(path.join(root, staleTmp));
  writeFileSync(path.join(root, staleTmp, VECTORS_FILE), 'x');
  mkdirSync(path.join(root, freshTmp));
  writeFileSync(path.join(root, 'LATEST.tmp-3-cccc'), 'v');
  const old = (Date.now() - STALE_TMP_MS - 60_000) / 1000;
  for (const p of [path.join(root, staleTmp), path.join(root, staleTmp, VECTORS_FILE), path.join(root, 'LATEST.tmp-3-cccc')])
    utimesSync(p, old, old);
  t.ok(await writeLatest(dataDir, versions[0]!));
  t.notOk(await writeLatest(dataDir, 'v20250101T000000000Z'), 'LATEST never moves back');

  // A version some process still holds (here: this one) is deleted all the same, and reported.
  writeFileSync(path.join(root, versions[1]!, VECTORS_FILE), 'held');
  const held = openSync(path.join(root, versions[1]!, VECTORS_FILE), 'r');
  const result = await pruneVersions(dataDir, 1);
  closeSync(held);
  t.same(result.deletedVersions, [versions[1], versions[2]]);
  t.same(result.stillInUse, [versions[1]], 'the held version is named as still in use');
  t.same(result.deletedTemporaries.sort(), ['LATEST.tmp-3-cccc', staleTmp].sort());
  t.same(readdirSync(root).sort(), [LATEST_FILE, versions[0], versions[3], freshTmp].sort());
  await t.rejects(pruneVersions(dataDir, 0), RangeError);
  t.equal(await advanceLatest(dataDir), versions[3], 'advanceLatest moves LATEST to the newest complete version');
  t.equal(await readLatest(dataDir), versions[3]);
});

function runMain(args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000 });
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

t.test('main.js one-shot: publishes, logs a summary, exits 0', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const { file } = sourceWithBadRecords(dir);
  const run = runMain(['--source', file, '--data', dataDir, '--threads', '1', '--keep', '3']);
  t.equal(run.status, 0, run.stderr);
  const summary = jsonLines(run.stdout).find((l) => l.msg === 'published');
  t.match(summary, { name: 'builder', count: 200, skipped: 8, buildMs: Number, version: String });
  t.equal(await readLatest(dataDir), summary?.version);
  await readVerifiedManifest(versionDir(dataDir, String(summary?.version)));

  const again = runMain(['--source', file, '--data', dataDir, '--threads', '1']);
  t.equal(again.status, 0, 'one-shot always publishes a new version');
  t.equal((await listVersions(dataDir)).length, 2);

  const fixed = runMain(['--source', file, '--data', dataDir, '--threads', '1', '--ef-search', '48']);
  t.equal(fixed.status, 0, fixed.stderr);
  const fixedManifest = await readVerifiedManifest(versionDir(dataDir, (await readLatest(dataDir))!));
  t.equal(fixedManifest.params.expansionSearch, 48, '--ef-search fixes the search expansion');
  t.not(runMain(['--source', file, '--data', dataDir, '--ef-search', '0']).status, 0, '--ef-search 0 is refused');

  const denser = runMain(['--source', file, '--data', dataDir, '--threads', '1', '--connectivity', '32']);
  t.equal(denser.status, 0, denser.stderr);
  const denserVersion = (await readLatest(dataDir))!;
  const denserManifest = await readVerifiedManifest(versionDir(dataDir, denserVersion));
  t.equal(denserManifest.params.connectivity, 32, '--connectivity sets the graph degree');
  const held = await HeldIndex.open(versionDir(dataDir, denserVersion), 'view', denserVersion);
  t.teardown(() => held.close());
  t.equal(held.count, 200, "a child opens it with the manifest's connectivity");
  const refused = runMain(['--source', file, '--data', dataDir, '--connectivity', '1']);
  t.equal(refused.status, 1, '--connectivity 1 is refused');
  t.match(refused.stderr, /--connectivity.*expected an integer 2-64/);
});

t.test('main.js one-shot: fatal errors exit 1 with a clear message', async (t) => {
  const dir = t.testdir();
  const missing = runMain(['--source', path.join(dir, 'nope.jsonl'), '--data', dir]);
  t.equal(missing.status, 1);
  t.match(missing.stderr, /cannot read the profile source/);
  t.match(
    jsonLines(missing.stdout).find((l) => l.level === 60),
    { code: 'TANDEM_ERR_SOURCE_UNREADABLE' },
  );
  const badVectorizer = runMain([
    '--source',
    sourceWithBadRecords(dir).file,
    '--data',
    dir,
    '--vectorizer',
    path.join(FIXTURES, 'not-a-vectorizer.mjs'),
  ]);
  t.equal(badVectorizer.status, 1);
  t.match(badVectorizer.stderr, /does not export a vectorize/);
  const noSource = runMain([]);
  t.not(noSource.status, 0);
  t.match(noSource.stderr, /--source/);
});

t.test('main.js one-shot: SIGTERM mid-build exits 0 and leaves nothing visible', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const source = path.join(dir, 'profiles.jsonl');
  await writeProfilesJsonl(source, 4000, 8);
  // Small batches: the build yields to the event loop often, so the signal lands mid-build.
  const child = spawn(process.execPath, [MAIN, '--source', source, '--data', dataDir, '--threads', '1', '--batch-size', '100'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until('the build to start', () => (stdout.includes('build started') ? true : undefined));
  child.kill('SIGTERM');
  t.equal(await withDeadline('exit after SIGTERM', exited), 0);
  const entries = readdirSync(indexesDir(dataDir));
  t.same(
    entries.filter((n) => n.includes('.tmp-')),
    [],
    'no temporary left',
  );
  if (jsonLines(stdout).some((l) => l.msg === 'build abandoned; nothing published')) {
    t.same(entries, [], 'abandoned: nothing published');
  } else {
    // The signal lost the race with a fast machine: then the version must be complete.
    await readVerifiedManifest(versionDir(dataDir, (await readLatest(dataDir))!));
  }
});

interface Watched {
  child: ChildProcess;
  output: () => Record<string, unknown>[];
  exited: Promise<number | null>;
}

function startWatch(t: Test, args: string[]): Watched {
  const child = spawn(process.execPath, [MAIN, '--watch', '--debounce-ms', '50', '--poll-ms', '50', '--threads', '1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => jsonLines(stdout), exited };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, deadlineMs = 20_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function withDeadline<T>(what: string, promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

t.test('main.js --watch: publishes at start and again when the source is rewritten', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const source = path.join(dir, 'profiles.jsonl');
  await writeProfilesJsonl(source, 300, 1);

  const first = startWatch(t, ['--source', source, '--data', dataDir]);
  const v1 = await until('the first version', async () => (await readLatest(dataDir)) ?? undefined);
  // Rewritten the way generate-cli does it: temp file + rename.
  await writeProfilesJsonl(source, 250, 2);
  const v2 = await until('a newer version', async () => {
    const latest = await readLatest(dataDir);
    return latest !== null && latest > v1 ? latest : undefined;
  });
  t.equal((await readVerifiedManifest(versionDir(dataDir, v2))).count, 250);
  first.child.kill('SIGTERM');
  t.equal(await withDeadline('exit after SIGTERM', first.exited), 0, 'SIGTERM exits 0');
  t.ok(first.output().some((l) => l.msg === 'stopped'));

  // Restarted with an unchanged source: nothing to publish.
  const second = startWatch(t, ['--source', source, '--data', dataDir]);
  await until('the up-to-date check', () =>
    second.output().some((l) => l.msg === 'latest version is up to date with the source') ? true : undefined,
  );
  second.child.kill('SIGINT');
  t.equal(await withDeadline('exit after SIGINT', second.exited), 0);
  t.same(await listVersions(dataDir), [v1, v2]);
});

t.test('main.js --watch --every: republishes on a timer', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const source = path.join(dir, 'profiles.jsonl');
  await writeProfilesJsonl(source, 100, 4);
  const watched = startWatch(t, ['--source', source, '--data', dataDir, '--every', '0.2', '--keep', '10']);
  await until('three versions', async () => ((await listVersions(dataDir)).length >= 3 ? true : undefined));
  watched.child.kill('SIGTERM');
  t.equal(await withDeadline('exit after SIGTERM', watched.exited), 0);
  t.same(
    readdirSync(indexesDir(dataDir)).filter((n) => n.includes('.tmp-')),
    [],
    'an abandoned build cleans up after itself',
  );
});

t.test('each build calibrates its search expansion from measured recall; a chosen one is kept', async (t) => {
  const dir = t.testdir();
  const source = path.join(dir, 'profiles.jsonl');
  await writeProfilesJsonl(source, 6_000, 5);
  const calibrated = await buildIndex({ source, dataDir: path.join(dir, 'a'), logger: silent });
  const calibration = calibrated.calibration!;
  const last = calibration.tried[calibration.tried.length - 1]!;
  t.equal(calibrated.params.expansionSearch, calibration.expansionSearch, 'the manifest carries the chosen ef to the children');
  t.equal(last.expansionSearch, calibration.expansionSearch);
  t.ok(last.recall >= RECALL_TARGET, `recall ${last.recall} at ef ${last.expansionSearch}`);
  t.ok(
    calibration.tried.slice(0, -1).every((step) => step.recall < RECALL_TARGET),
    'the smallest ef that reaches the target',
  );
  t.equal(calibration.sample, 256);

  const fixed = await buildIndex({ source, dataDir: path.join(dir, 'b'), logger: silent, params: { expansionSearch: 40 } });
  t.equal(fixed.params.expansionSearch, 40);
  t.same(
    fixed.calibration!.tried.map((step) => step.expansionSearch),
    [40],
    'only the chosen ef is measured',
  );
});
