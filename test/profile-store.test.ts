import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { ProfileRejectedError } from '../profiles/errors.js';
import type { Profile } from '../profiles/schema.js';
import { isUnavailableCode, StoreTooNewError, StoreUnavailableError } from '../store/errors.js';
import { SCHEMA_VERSION } from '../store/migrations.js';
import { ProfileStore, type StoreOptions } from '../store/profile-store.js';
import { FIXTURES } from './helpers/paths.js';

const profile = (id: string, extra: Record<string, unknown> = {}): Profile => ({ _id: id, name: `N${id}`, surname: `S${id}`, ...extra });

function openIn(t: Test, options: StoreOptions = {}): ProfileStore {
  const store = ProfileStore.open(path.join(t.testdir(), 'nested', 'dir', 'profiles.db'), options);
  t.teardown(() => store.close());
  return store;
}

/** What `fn` threw, so its fields can be matched. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

t.test('open creates the folder and the file, in WAL mode, at the current schema version', async (t) => {
  const store = openIn(t);
  const other = new Database(store.path, { readonly: true });
  t.teardown(() => other.close());
  t.equal(other.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(other.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  t.equal(store.currentSeq(), 0, 'a store never written is at seq 0');
  t.equal(store.count(), 0);
});

t.test('put: created, then replaced; get returns the profile exactly as given, unknown fields included', async (t) => {
  const store = openIn(t);
  const first = profile('p1', { age: 30, favourite: { colour: 'teal', list: [1, null, 'x'] }, vector: [0.1, 0.2, 0.3] });
  t.same(store.put(first), { seq: 1, created: true });
  t.equal(JSON.stringify(store.get('p1')), JSON.stringify(first), 'same fields, same order, same values');
  const second = profile('p1', { city: 'Oslo' });
  t.same(store.put(second), { seq: 2, created: false });
  t.same(store.get('p1'), second, 'a replace keeps no field of the old profile');
  t.equal(store.get('nobody'), null);
  t.equal(store.count(), 1);
});

t.test('the explicit vector is kept as float32, and null when not given', async (t) => {
  const store = openIn(t);
  store.put(profile('v', { vector: [0.1, -2, 3e10] }));
  store.put(profile('none'));
  const [withVector, without] = store.changesSince(0);
  t.same(withVector?.vector, Float32Array.from([0.1, -2, 3e10]));
  t.ok(withVector?.vector instanceof Float32Array);
  t.same(withVector?.profile?.vector, [0.1, -2, 3e10], 'the profile keeps the numbers as given, doubles');
  t.equal(without?.vector, null);
  store.put(profile('v'));
  t.equal(store.changesSince(2)[0]?.vector, null, 'a replace without a vector drops the old one');
});

t.test('a put that does not validate is refused with its problems and takes no seq', async (t) => {
  const store = openIn(t, { dims: 3 });
  store.put(profile('ok'));
  const err = thrown(() => store.put(profile('bad', { age: 12, vector: [1, 2] })));
  t.ok(err instanceof ProfileRejectedError);
  t.match(err, { code: 'TANDEM_ERR_INVALID_PROFILE', statusCode: 400, index: null });
  t.same((err as ProfileRejectedError).problems.map((p) => p.code).sort(), ['TANDEM_ERR_BAD_AGE', 'TANDEM_ERR_BAD_VECTOR']);
  const cyclic: Record<string, unknown> = profile('cyclic');
  cyclic.self = cyclic;
  t.match(
    thrown(() => store.put(cyclic as Profile)),
    { code: 'TANDEM_ERR_INVALID_PROFILE', problems: [{ code: 'TANDEM_ERR_BAD_FIELD' }] },
  );
  t.equal(store.currentSeq(), 1);
  t.equal(store.get('bad'), null);
});

t.test('delete: takes the next seq and leaves a tombstone; an absent or deleted id is null and takes none', async (t) => {
  const store = openIn(t);
  store.put(profile('a'));
  t.same(store.delete('a'), { seq: 2 });
  t.equal(store.get('a'), null);
  t.equal(store.delete('a'), null, 'already deleted');
  t.equal(store.delete('never'), null, 'never written');
  t.equal(store.currentSeq(), 2);
  t.equal(store.count(), 0);
  t.same(store.put(profile('a')), { seq: 3, created: true }, 'a put over a tombstone creates the profile again');
  t.equal(store.count(), 1);
});

t.test('seq is monotonic across put, delete and putMany, and across close and reopen; never reused', async (t) => {
  const file = path.join(t.testdir(), 'profiles.db');
  let store = ProfileStore.open(file);
  const seqs = [store.put(profile('a')).seq, store.put(profile('b')).seq, store.delete('b')!.seq];
  const range = store.putMany([profile('c'), profile('d')]);
  t.same(range, { fromSeq: 4, toSeq: 5, created: 2 });
  seqs.push(range.fromSeq, range.toSeq, store.delete('d')!.seq);
  t.same(seqs, [1, 2, 3, 4, 5, 6]);
  store.close();

  store = ProfileStore.open(file);
  t.teardown(() => store.close());
  t.equal(store.currentSeq(), 6, 'the last seq survives a restart, though its write was a delete');
  t.equal(store.count(), 2, 'a and c');
  t.same(store.put(profile('d')), { seq: 7, created: true });
  t.same(store.putMany([]), { fromSeq: 8, toSeq: 7, created: 0 }, 'an empty batch is an empty range and takes no seq');
  t.equal(store.currentSeq(), 7);
});

t.test('changesSince: every id changed after seq, deletes included, in seq order, each once at its latest', async (t) => {
  const store = openIn(t);
  store.putMany([profile('a'), profile('b'), profile('c')]); // 1..3
  store.delete('b'); // 4
  store.put(profile('a', { city: 'Rome' })); // 5
  store.put(profile('d')); // 6
  const changes = store.changesSince(2);
  t.same(
    changes.map((c) => [c.seq, c.id, c.profile === null ? 'deleted' : 'live']),
    [
      [3, 'c', 'live'],
      [4, 'b', 'deleted'],
      [5, 'a', 'live'],
      [6, 'd', 'live'],
    ],
  );
  t.same(changes[2]?.profile, profile('a', { city: 'Rome' }));
  t.equal(changes[1]?.vector, null);
  t.ok(changes.every((c) => Number.isInteger(c.updatedAt) && c.updatedAt > 0));
  t.same(
    store.changesSince(0, 2).map((c) => c.seq),
    [3, 4],
    'seq 1 and 2 were a and b, rewritten later: a page holds the latest state',
  );
  t.same(
    store.changesSince(4, 10).map((c) => c.seq),
    [5, 6],
    'paging on from the last seq seen',
  );
  t.same(store.changesSince(6), []);
  t.throws(() => store.changesSince(-1), RangeError);
  t.throws(() => store.changesSince(1.5), RangeError);
  t.throws(() => store.changesSince(0, 0), RangeError);
});

t.test('putMany is all or nothing: an invalid profile midway keeps none of the batch', async (t) => {
  const store = openIn(t);
  store.put(profile('before'));
  const batch = [
    profile('x1'),
    profile('before', { city: 'changed' }),
    profile('x2', { seeking: { ageMin: 50, ageMax: 20 } }),
    profile('x3'),
  ];
  const err = thrown(() => store.putMany(batch));
  t.ok(err instanceof ProfileRejectedError);
  t.match(err, { code: 'TANDEM_ERR_INVALID_PROFILE', index: 2, problems: [{ code: 'TANDEM_ERR_BAD_SEEKING', field: 'seeking' }] });
  t.match((err as Error).message, /profile at index 2 refused/);
  t.equal(store.get('x1'), null, 'written before the failure, rolled back');
  t.same(store.get('before'), profile('before'), 'a replace inside the batch rolled back too');
  t.equal(store.currentSeq(), 1, 'no seq taken');
  t.equal(store.count(), 1);
  t.same(store.changesSince(1), []);
  t.same(
    store.putMany([profile('x1'), profile('x1', { city: 'B' })]),
    { fromSeq: 2, toSeq: 3, created: 1 },
    'the same id twice: the last wins',
  );
  t.same(store.get('x1'), profile('x1', { city: 'B' }));
});

t.test('a full store: SQLITE_FULL midway through putMany keeps nothing and is StoreUnavailableError', async (t) => {
  const file = path.join(t.testdir(), 'profiles.db');
  const empty = ProfileStore.open(file);
  empty.close();
  const pages = (() => {
    const db = new Database(file, { readonly: true });
    const count = db.pragma('page_count', { simple: true }) as number;
    db.close();
    return count;
  })();
  const store = ProfileStore.open(file, { maxPages: pages + 4 });
  t.teardown(() => store.close());
  store.put(profile('small'));
  const bio = 'b'.repeat(2000);
  const batch = Array.from({ length: 200 }, (_, i) => profile(`big${i}`, { bio }));
  const err = thrown(() => store.putMany(batch));
  t.ok(err instanceof StoreUnavailableError);
  t.match(err, { code: 'TANDEM_ERR_STORE_UNAVAILABLE', statusCode: 503, sqliteCode: 'SQLITE_FULL' });
  t.equal(store.get('big0'), null, 'the first rows fitted, and were rolled back with the rest');
  t.equal(store.currentSeq(), 1);
  t.equal(store.count(), 1);
  t.same(store.put(profile('after')), { seq: 2, created: true }, 'a write that fits still goes in');
});

t.test('a locked store: SQLITE_BUSY after the busy timeout is StoreUnavailableError; reads go on', async (t) => {
  const store = openIn(t, { busyTimeoutMs: 50 });
  store.put(profile('a'));
  const intruder = new Database(store.path, { timeout: 0 });
  t.teardown(() => intruder.close());
  intruder.exec('BEGIN IMMEDIATE');
  const started = Date.now();
  t.match(
    thrown(() => store.put(profile('b'))),
    { code: 'TANDEM_ERR_STORE_UNAVAILABLE', sqliteCode: 'SQLITE_BUSY' },
  );
  const waited = Date.now() - started;
  t.ok(waited >= 40 && waited < 2000, `waited ${waited} ms: the busy timeout, well under the heartbeat timeout`);
  t.match(
    thrown(() => store.delete('a')),
    { sqliteCode: 'SQLITE_BUSY' },
  );
  t.same(store.get('a'), profile('a'), 'WAL: a reader is not blocked by a writer');
  intruder.exec('ROLLBACK');
  t.same(store.put(profile('b')), { seq: 2, created: true }, 'the lock gone, writes go in');
});

t.test('a read-only store: every write is StoreUnavailableError SQLITE_READONLY, reads see the writer', async (t) => {
  const store = openIn(t);
  store.put(profile('a', { vector: [1, 0] }));
  const reader = ProfileStore.openReadOnly(store.path);
  t.teardown(() => reader.close());
  t.equal(reader.readOnly, true);
  for (const write of [() => reader.put(profile('b')), () => reader.putMany([profile('b')]), () => reader.delete('a')]) {
    const err = thrown(write);
    t.ok(err instanceof StoreUnavailableError);
    t.match(err, { code: 'TANDEM_ERR_STORE_UNAVAILABLE', sqliteCode: /^SQLITE_READONLY/ });
  }
  store.put(profile('c'));
  store.delete('a');
  t.equal(reader.currentSeq(), 3, 'the reader sees each commit of the writer');
  t.same(reader.get('c'), profile('c'));
  t.equal(reader.get('a'), null);
  t.same(
    reader.changesSince(0).map((c) => [c.seq, c.id]),
    [
      [2, 'c'],
      [3, 'a'],
    ],
  );
});

t.test('closed, missing, not a folder, too new: typed errors', async (t) => {
  const dir = t.testdir({ 'a-file': 'x' });
  const store = ProfileStore.open(path.join(dir, 'profiles.db'));
  store.close();
  store.close();
  for (const call of [() => store.put(profile('a')), () => store.get('a'), () => store.currentSeq(), () => store.snapshot()]) {
    t.match(thrown(call), { code: 'TANDEM_ERR_STORE_UNAVAILABLE', sqliteCode: 'STORE_CLOSED' });
  }
  t.match(
    thrown(() => ProfileStore.openReadOnly(path.join(dir, 'missing.db'))),
    {
      code: 'TANDEM_ERR_STORE_UNAVAILABLE',
      sqliteCode: 'SQLITE_CANTOPEN',
    },
  );
  t.match(
    thrown(() => ProfileStore.open(path.join(dir, 'a-file', 'profiles.db'))),
    { code: 'TANDEM_ERR_STORE_UNAVAILABLE', sqliteCode: /^E(EXIST|NOTDIR)$/ },
  );
  const newer = path.join(dir, 'newer.db');
  const db = new Database(newer);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  const err = thrown(() => ProfileStore.open(newer));
  t.ok(err instanceof StoreTooNewError);
  t.match(err, { code: 'TANDEM_ERR_STORE_TOO_NEW', message: /schema version 2; this build knows up to 1/ });
  t.match(
    thrown(() => ProfileStore.openReadOnly(newer)),
    { code: 'TANDEM_ERR_STORE_TOO_NEW' },
  );
  writeFileSync(path.join(dir, 'not-sqlite.db'), 'x'.repeat(4096));
  t.match(
    thrown(() => ProfileStore.open(path.join(dir, 'not-sqlite.db'))),
    { sqliteCode: 'SQLITE_NOTADB' },
  );
});

t.test('which SQLite codes make the store unavailable', async (t) => {
  for (const code of [
    'SQLITE_FULL',
    'SQLITE_BUSY',
    'SQLITE_BUSY_SNAPSHOT',
    'SQLITE_READONLY_DBMOVED',
    'SQLITE_IOERR',
    'SQLITE_IOERR_WRITE',
    'SQLITE_IOERR_FSYNC',
  ]) {
    t.ok(isUnavailableCode(code), code);
  }
  for (const code of ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_ERROR', 'SQLITE_MISMATCH', 'SQLITE_FULLY'])
    t.notOk(isUnavailableCode(code), code);
});

t.test('snapshot in-process: a consistent view at one seq while the writer goes on', async (t) => {
  const store = openIn(t);
  store.putMany([profile('a'), profile('b', { vector: [3, 4] })]);
  const snapshot = store.snapshot();
  t.teardown(() => snapshot.close());
  store.delete('a');
  store.put(profile('b', { city: 'later' }));
  store.put(profile('c'));
  t.equal(snapshot.seq, 2);
  t.equal(snapshot.count, 2);
  const rows = [...snapshot.profiles()];
  t.same(
    rows.map((r) => [r.id, r.seq]),
    [
      ['a', 1],
      ['b', 2],
    ],
  );
  t.same(rows[1]?.profile, profile('b', { vector: [3, 4] }));
  t.same(rows[1]?.vector, Float32Array.from([3, 4]));
  for (const _ of snapshot.profiles()) break; // an abandoned pass leaves the snapshot usable
  t.equal([...snapshot.profiles()].length, 2, 'iterated again, the same view');
  snapshot.close();
  t.throws(() => [...snapshot.profiles()], /closed/);
  const later = store.snapshot();
  t.teardown(() => later.close());
  t.same([...later.profiles()].map((r) => r.id).sort(), ['b', 'c']);
  t.equal(later.seq, 5);
});

/** Lines of JSON a child prints, one at a time. */
function jsonLines(child: ReturnType<typeof spawn>): () => Promise<Record<string, unknown>> {
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return async () => {
    const next = await lines.next();
    if (next.done) throw new Error('the child closed its output');
    return JSON.parse(next.value as string) as Record<string, unknown>;
  };
}

t.test('snapshot from another process (the builder) stays at its seq while the main process writes', async (t) => {
  const store = openIn(t);
  const ids = Array.from({ length: 200 }, (_, i) => `p${String(i).padStart(3, '0')}`);
  store.putMany(ids.map((id) => profile(id, { version: 1 })));
  const child = spawn(process.execPath, [path.join(FIXTURES, 'snapshot-reader.mjs'), store.path], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => child.kill('SIGKILL'));
  const next = jsonLines(child);
  const started = await next();
  t.match(started, { step: 'started', seq: 200, count: 200 });

  // While the child is one row into its snapshot: deletes, replaces, creates, a bulk write.
  for (const id of ids.slice(0, 50)) store.delete(id);
  for (const id of ids.slice(50, 100)) store.put(profile(id, { version: 2 }));
  store.putMany(Array.from({ length: 50 }, (_, i) => profile(`new${i}`, { version: 2 })));
  t.equal(store.currentSeq(), 350);

  child.stdin!.write('go\n');
  const done = await next();
  t.equal(done.seq, 200);
  t.same(done.ids, ids, 'every profile live at seq 200, none deleted or created after it');
  t.same(done.versions, [1], 'no profile shows a write made after the snapshot');
  t.equal(done.maxRowSeq, 200);
  t.equal(done.storeSeqNow, 350, 'the same process, outside the snapshot, sees the new writes');
  const code = await new Promise((resolve) => child.once('exit', resolve));
  t.equal(code, 0);
});
