// The import CLI as a real process writing a store file (direct mode): NDJSON, CSV and the
// original service's pickle from the committed fixtures (test/fixtures/import), bad records
// reported by position and id and skipped, malicious pickles refused by name with nothing written
// or run, standard input, fatal errors and exit codes, --if-empty, progress, and atomicity: an
// import killed midway leaves none of its records. --url mode is import-url.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { writeProfilesJsonl } from '../builder/generate.js';
import { ProfileStore } from '../store/profile-store.js';
import { jsonLines } from './helpers/builder-fixture.js';
import { ADA_IN_FIXTURES } from './helpers/import-fixtures.js';
import { FIXTURES, PROGRAMS } from './helpers/paths.js';
import { finished, spawnNode } from './helpers/spawn.js';
import { waitFor } from './helpers/wait.js';

const DIR = path.join(FIXTURES, 'import');
const PICKLES = path.join(FIXTURES, 'pickle');
const expected = JSON.parse(readFileSync(path.join(DIR, 'profiles.expected.json'), 'utf8')) as { _id: string }[];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  log: Record<string, unknown>[];
}

async function runImport(t: Test, args: string[], options: { stdin?: Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  const child = await spawnNode(t, PROGRAMS.importer, args, {
    stdin: options.stdin ? 'pipe' : 'ignore',
    env: { ...process.env, ...options.env },
  });
  if (options.stdin) child.child.stdin!.end(options.stdin);
  const run = await finished(child, options.timeoutMs ?? 30_000);
  return { code: run.code, signal: run.signal, stderr: run.stderr, log: jsonLines(run.stderr) } satisfies Run;
}

/** The run's log is shown only if it did not exit 0. */
const exitsZero = (t: Test, run: Run) => t.equal(run.code, 0, 'exits 0', { stderr: run.stderr });
const summaryOf = (run: Run) => run.log.find((l) => l.msg === 'import finished');
const fatalOf = (run: Run) => run.log.find((l) => l.msg === 'import failed');
const rejections = (run: Run, position = 'line') =>
  run.log.filter((l) => l.msg === 'record rejected').map((l) => [l[position], l._id, l.code]);

/** A store in a folder of its own, with one profile already there, and a reader of it after the run. */
function storeIn(t: Test) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-import-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'profiles.db');
  const seed = ProfileStore.open(file);
  seed.put({ _id: 'already-there', name: 'Old', surname: 'Profile' });
  seed.close();
  const read = <T>(fn: (store: ProfileStore) => T): T => {
    const store = ProfileStore.open(file);
    try {
      return fn(store);
    } finally {
      store.close();
    }
  };
  return { dir, file, read };
}

t.test('NDJSON: good records written as given, bad ones reported by line and id and skipped, counted by code', async (t) => {
  const { file, read } = storeIn(t);
  const run = await runImport(t, [path.join(DIR, 'profiles.jsonl'), '--store', file]);
  exitsZero(t, run);
  t.same(rejections(run), [
    [2, null, 'TANDEM_ERR_BAD_JSON'],
    [4, 'nd-3', 'TANDEM_ERR_BAD_AGE'],
    [5, 'bad id', 'TANDEM_ERR_BAD_ID'],
    [7, null, 'TANDEM_ERR_BAD_PROFILE'],
    [8, 'nd-7', 'TANDEM_ERR_BAD_VECTOR'],
  ]);
  t.match(summaryOf(run), {
    read: 7,
    written: 2,
    rejected: 5,
    rejectedByCode: {
      TANDEM_ERR_BAD_AGE: 1,
      TANDEM_ERR_BAD_ID: 1,
      TANDEM_ERR_BAD_JSON: 1,
      TANDEM_ERR_BAD_PROFILE: 1,
      TANDEM_ERR_BAD_VECTOR: 1,
    },
  });
  read((store) => {
    t.equal(store.count(), 3);
    t.same(store.get('nd-1'), ADA_IN_FIXTURES);
    t.same(store.get('nd-5')?.seeking, { genders: ['male'], ageMin: 20, ageMax: 60 });
  });
});

t.test('CSV: the column mapping end to end, each bad row at the line it starts on', async (t) => {
  const { file, read } = storeIn(t);
  const run = await runImport(t, [path.join(DIR, 'profiles.csv'), '--store', file]);
  exitsZero(t, run);
  t.same(rejections(run), [
    [6, 'csv-4', 'TANDEM_ERR_BAD_AGE'],
    [7, 'csv-5', 'TANDEM_ERR_BAD_VECTOR'],
    [8, 'csv-6', 'TANDEM_ERR_BAD_CSV_ROW'],
    [9, null, 'TANDEM_ERR_BAD_ID'],
    [10, 'csv-8', 'TANDEM_ERR_BAD_SEEKING'],
  ]);
  t.match(summaryOf(run), { read: 9, written: 4, rejected: 5 });
  read((store) => {
    t.same(store.get('csv-1'), {
      _id: 'csv-1',
      name: 'Ada',
      surname: 'Lovelace',
      age: 36,
      gender: 'female',
      city: 'London',
      interests: ['maths', 'poetry'],
      seeking: { genders: ['male', 'female'], ageMin: 30, ageMax: 45 },
      vector: [0.5, -1.25, 3, 0.25],
      bio: 'Wrote the first program; "notes"',
    });
    t.same(store.get('csv-2'), {
      _id: 'csv-2',
      name: 'Grace',
      surname: 'Hopper',
      age: 40,
      gender: 'female',
      city: 'New York, NY',
      interests: ['navy', 'compilers'],
      vector: [1, 2, 3, 4],
    });
    t.equal(store.get('csv-3')?.bio, 'Two-line\nbio');
    t.match(store.get('csv-9'), { name: '  Spaced  ', age: 41 }, 'text as written, numbers trimmed');
  });
});

t.test('pickle, protocols 2 to 5: list and numpy float32/float64 vectors, ObjectId ids; bad records by index', async (t) => {
  for (const protocol of [2, 3, 4, 5]) {
    const { file, read } = storeIn(t);
    const run = await runImport(t, [path.join(DIR, `profiles-p${protocol}.pickle`), '--store', file]);
    exitsZero(t, run);
    t.same(
      rejections(run, 'record'),
      [
        [5, 'py-young', 'TANDEM_ERR_BAD_AGE'],
        [6, 'py-bytes', 'TANDEM_ERR_BAD_FIELD'],
      ],
      `p${protocol}: records are counted from 0, as in the Python list`,
    );
    t.match(summaryOf(run), { read: 7, written: 5, rejected: 2 });
    t.match(
      run.log.find((l) => l._id === 'py-bytes'),
      { problem: /`name` is bytes/ },
      'bytes are refused as bytes, not passed on as something else',
    );
    read((store) => {
      for (const profile of expected) t.same(store.get(profile._id), profile, `p${protocol} ${profile._id}: as Python holds it`);
    });
  }
});

t.test('a malicious pickle is refused with the name it tried: exit 1, nothing written, nothing run', async (t) => {
  const manifest = JSON.parse(readFileSync(path.join(PICKLES, 'manifest.json'), 'utf8')) as Record<
    string,
    { expect: string; global?: string }
  >;
  const cases = Object.entries(manifest)
    .filter(([, entry]) => entry.expect === 'refused')
    .map(([name, entry]) => [path.join(PICKLES, `${name}.pickle`), entry.global!] as const);
  // 1,500 good records before the payload (os.system, which CPython pickles by its module, posix):
  // the reader yields 1,000 of them before it meets the global.
  cases.push([path.join(DIR, 'evil-after-records-p4.pickle'), 'posix.system']);
  t.ok(cases.length >= 8, `${cases.length} malicious pickles`);
  for (const [pickle, global] of cases) {
    const { dir, file, read } = storeIn(t);
    const sentinel = path.join(dir, 'pwned');
    const run = await runImport(t, [pickle, '--store', file], { env: { TANDEM_PICKLE_SENTINEL: sentinel } });
    t.equal(run.code, 1, `${path.basename(pickle)} exits 1`);
    t.match(fatalOf(run), { code: 'TANDEM_ERR_PICKLE_REFUSED', global }, `${path.basename(pickle)}: ${global} named`);
    t.ok(run.stderr.includes(`refused to load ${global} from a pickle`), 'the one-line message names it');
    t.match(run.stderr, /nothing was executed.*\(nothing written\)\n$/);
    t.notOk(existsSync(sentinel), 'its payload did not run');
    t.equal(
      read((store) => store.count()),
      1,
      'nothing of it is in the store',
    );
  }
  const late = await runImport(t, [path.join(DIR, 'evil-after-records-p4.pickle'), '--store', storeIn(t).file]);
  t.match(fatalOf(late), { written: 0 });
  t.ok(Number(fatalOf(late)?.rolledBack) >= 1000, 'the records before the payload went into the transaction, rolled back');
});

t.test('a pickle that is not a list of dicts: a fatal, clear error, nothing written', async (t) => {
  const { file, read } = storeIn(t);
  const notDicts = await runImport(t, [path.join(DIR, 'not-dicts-p4.pickle'), '--store', file]);
  t.equal(notDicts.code, 1);
  t.match(fatalOf(notDicts), { code: 'TANDEM_ERR_IMPORT_NOT_RECORDS' });
  t.match(notDicts.stderr, /import: item 1 of the pickled list is a str, not a dict/);
  const oneDict = await runImport(t, [path.join(DIR, 'one-dict-p4.pickle'), '--store', file]);
  t.equal(oneDict.code, 1);
  t.match(fatalOf(oneDict), { code: 'TANDEM_ERR_PICKLE_UNSUPPORTED' });
  t.match(oneDict.stderr, /import: the top-level object is dict, not a list of records/);
  t.equal(
    read((store) => store.count()),
    1,
  );
});

t.test('- reads standard input: NDJSON with --format, a pickle and a CSV told by their first bytes', async (t) => {
  const { file, read } = storeIn(t);
  const ndjson = await runImport(t, ['-', '--format', 'ndjson', '--store', file], {
    stdin: readFileSync(path.join(DIR, 'profiles.jsonl')),
  });
  exitsZero(t, ndjson);
  t.match(summaryOf(ndjson), { written: 2, rejected: 5 });
  t.match(
    ndjson.log.find((l) => l.msg === 'import started'),
    { input: 'standard input', format: 'ndjson' },
  );
  const pickle = await runImport(t, ['-', '--store', file], { stdin: readFileSync(path.join(DIR, 'profiles-p5.pickle')) });
  exitsZero(t, pickle);
  t.match(summaryOf(pickle), { written: 5, rejected: 2 });
  const csv = await runImport(t, ['-', '--store', file], { stdin: readFileSync(path.join(DIR, 'profiles.csv')) });
  t.match(summaryOf(csv), { written: 4, rejected: 5 });
  t.equal(
    read((store) => store.count()),
    1 + 2 + 5 + 4,
  );
  const unknown = await runImport(t, ['-', '--store', file], { stdin: Buffer.from('hello\n') });
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /import: cannot tell the format of standard input: give --format/);
});

t.test('fatal errors: exit 1 with one clear line on stderr; bad usage: exit 2', async (t) => {
  const dir = t.testdir();
  const store = path.join(dir, 'profiles.db');
  const missing = await runImport(t, [path.join(dir, 'nope.jsonl'), '--store', store]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /^import: cannot read .*nope\.jsonl: ENOENT.*\(nothing written\)$/m);
  t.match(fatalOf(missing), { code: 'TANDEM_ERR_IMPORT_UNREADABLE' });
  writeFileSync(path.join(dir, 'a-file'), '');
  const noStore = await runImport(t, [path.join(DIR, 'profiles.jsonl'), '--store', path.join(dir, 'a-file', 'profiles.db')]);
  t.equal(noStore.code, 1);
  t.match(fatalOf(noStore), { code: 'TANDEM_ERR_STORE_UNAVAILABLE' });
  t.match(noStore.stderr, /^import: profile store unavailable/m);
  const header = await runImport(t, ['-', '--format', 'csv', '--store', path.join(dir, 'other.db')], {
    stdin: Buffer.from('_id,name\na,b\n'),
  });
  t.equal(header.code, 1);
  t.match(header.stderr, /^import: the CSV header has no surname column/m);
  const noToken = await runImport(t, [path.join(DIR, 'profiles.jsonl'), '--url', 'http://127.0.0.1:9'], {
    env: { TANDEM_WRITE_TOKEN: '', TANDEM_WRITE_TOKEN_FILE: '' },
  });
  t.equal(noToken.code, 1);
  t.match(noToken.stderr, /^import: --url needs a write token/m);
  for (const args of [
    ['--concurrency', '0'],
    ['--format', 'xml'],
    ['--url', 'ftp://x'],
    ['--if-empty', '--url', 'http://127.0.0.1:9'],
    [],
  ]) {
    const usage = await runImport(t, [...(args.length ? [path.join(DIR, 'profiles.jsonl')] : []), ...args]);
    t.equal(usage.code, 2, `${args.join(' ') || 'no file'}: usage error`);
  }
  t.notOk(existsSync(store), 'no store was created by any of them');
});

t.test('rejections: each listed up to 100, then only counted; the summary has them all by code', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'bad.jsonl');
  writeFileSync(file, Array.from({ length: 150 }, (_, i) => JSON.stringify({ _id: `bad ${i}`, name: 'A', surname: 'B' })).join('\n'));
  const run = await runImport(t, [file, '--store', path.join(dir, 'profiles.db')]);
  t.equal(run.code, 0, 'rejected records are no fatal error');
  t.equal(rejections(run).length, 100);
  t.same(rejections(run)[99], [100, 'bad 99', 'TANDEM_ERR_BAD_ID']);
  t.ok(run.log.some((l) => l.msg === 'more records rejected: from here on they are only counted, by code'));
  t.match(summaryOf(run), { read: 150, written: 0, rejected: 150, rejectedByCode: { TANDEM_ERR_BAD_ID: 150 } });
});

t.test('--if-empty: seeds an empty store once, then does nothing and exits 0', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'profiles.db');
  const seeded = await runImport(t, [path.join(DIR, 'profiles.jsonl'), '--store', file, '--if-empty']);
  t.match(summaryOf(seeded), { written: 2 });
  const again = await runImport(t, [path.join(DIR, 'profiles.csv'), '--store', file, '--if-empty']);
  t.equal(again.code, 0);
  t.match(
    again.log.find((l) => l.msg === '--if-empty: the store already holds profiles; nothing imported'),
    { profiles: 2 },
  );
  t.notOk(summaryOf(again), 'no import ran');
  const store = ProfileStore.open(file);
  t.teardown(() => store.close());
  t.equal(store.count(), 2);
  t.equal(store.get('csv-1'), null);
});

t.test('atomic: SIGKILL midway leaves none of the records; SIGTERM rolls back; a run to the end writes all', async (t) => {
  const dir = t.testdir();
  const source = path.join(dir, 'many.jsonl');
  // 4 KB a record: 8,000 are more than SQLite's 16 MB page cache holds, so part of the open
  // transaction is on disk in the WAL file when the import is killed.
  const COUNT = 25_000;
  const bio = 'x'.repeat(4000);
  const many = Array.from({ length: COUNT }, (_, i) => JSON.stringify({ _id: `many-${i}`, name: 'Many', surname: `No ${i}`, bio }));
  writeFileSync(source, `${many.join('\n')}\n`);
  const firstId = 'many-0';
  const { file, read } = storeIn(t);

  const importer = await spawnNode(t, PROGRAMS.importer, [source, '--store', file, '--progress-ms', '20']);
  await waitFor('the import to have written records', () => jsonLines(importer.stderr()).some((l) => Number(l.written) >= 8000), 30_000);
  importer.child.kill('SIGKILL');
  t.match(await finished(importer), { signal: 'SIGKILL' }, 'killed midway, not finished');
  t.ok(statSync(`${file}-wal`).size > 1_000_000, 'uncommitted pages of the import had reached the WAL file');
  read((store) => {
    t.equal(store.count(), 1, 'only the profile from before');
    t.equal(store.get(firstId), null);
    t.equal(store.currentSeq(), 1, 'no seq of the import');
  });

  const stopped = await spawnNode(t, PROGRAMS.importer, [source, '--store', file, '--progress-ms', '20']);
  await waitFor('the import to have written records', () => jsonLines(stopped.stderr()).some((l) => Number(l.written) >= 1000), 30_000);
  stopped.child.kill('SIGTERM');
  const term = await finished(stopped);
  t.equal(term.code, 143);
  t.ok(jsonLines(term.stderr).some((l) => l.msg === 'interrupted: rolled back: nothing written'));
  t.equal(
    read((store) => store.count()),
    1,
  );

  const whole = await runImport(t, [source, '--store', file], { timeoutMs: 120_000 });
  exitsZero(t, whole);
  t.match(summaryOf(whole), { read: COUNT, written: COUNT, rejected: 0 });
  read((store) => {
    t.equal(store.count(), COUNT + 1);
    t.ok(store.get(firstId));
  });
});

t.test('progress: log lines with counts when stderr is no terminal', async (t) => {
  const dir = t.testdir();
  const source = path.join(dir, 'some.jsonl');
  await writeProfilesJsonl(source, 20_000, 12);
  const size = statSync(source).size;
  const piped = await runImport(t, [source, '--store', path.join(dir, 'a.db'), '--progress-ms', '20']);
  const lines = piped.log.filter((l) => l.msg === 'progress');
  t.ok(lines.length >= 1, `${lines.length} progress lines`);
  t.match(lines.at(-1), { read: Number, written: Number, rejected: 0, bytesRead: Number, totalBytes: size });
  t.notOk(piped.stderr.includes('\u001b['), 'no terminal control codes in a log');
});

// script(1) runs the import on a pseudo-terminal of its own and copies what it drew to stdout.
const script = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
t.test('progress: a bar when stderr is a terminal', { skip: script ? false : 'script(1) is not installed' }, async (t) => {
  const dir = t.testdir();
  const source = path.join(dir, 'some.jsonl');
  await writeProfilesJsonl(source, 20_000, 12);
  const command = [process.execPath, PROGRAMS.importer, source, '--store', path.join(dir, 'b.db')].map((a) => `'${a}'`).join(' ');
  const tty = spawnSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  t.equal(tty.status, 0, tty.stderr);
  t.match(tty.stdout, /100% \| 20000 read, 20000 written, 0 rejected/, 'the bar at its end');
  t.match(tty.stdout, /"msg":"import finished"/, 'log lines still come, drawn above the bar');
  t.notMatch(tty.stdout, /"msg":"progress"/, 'no progress log lines beside the bar');
});
